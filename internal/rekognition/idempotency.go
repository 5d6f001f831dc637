package rekognition

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"regexp"
)

// ClientRequestToken, as AWS: a retried CreateUser, DeleteUser,
// AssociateFaces or DisassociateFaces with the same token gets the first
// answer instead of running again. Answers are kept per tenant, collection,
// operation and token for AnswerLifetime; the same token with other
// parameters is IdempotentParameterMismatchException. The AWS SDKs fill a
// fresh token into every such call and keep it across their own retries.

var requestTokenPattern = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)

func checkRequestToken(tok string) error {
	if tok != "" && !requestTokenPattern.MatchString(tok) {
		return Invalid("ClientRequestToken must be 1-64 characters of [a-zA-Z0-9_-]")
	}
	return nil
}

// fingerprint identifies a request's parameters: the operation and its
// decoded input (re-encoded, so the order of the client's fields does not
// matter).
func fingerprint(op string, in any) string {
	b, _ := json.Marshal(in)
	sum := sha256.Sum256(append([]byte(op+"\x00"), b...))
	return hex.EncodeToString(sum[:])
}

// once runs an operation at most once per ClientRequestToken (every time
// when token is ""). in is the decoded input, whose fingerprint a replay
// must match.
func (h *Handler) once(ctx context.Context, c *call, op, collection, token string, in any, run func() (any, error)) (any, error) {
	if token == "" {
		return run()
	}
	if err := checkRequestToken(token); err != nil {
		return nil, err
	}
	key, fp := AnswerKey{Operation: op, Token: token}, fingerprint(op, in)
	if a, ok, err := h.backend.Answer(ctx, c.tenant, collection, key); err != nil || ok {
		return replay(a, fp, err)
	}
	res, runErr := run()
	if runErr != nil {
		// A twin of this request (a retry sent while it ran) may have
		// succeeded meanwhile: then its answer is the answer.
		if a, ok, err := h.backend.Answer(ctx, c.tenant, collection, key); err == nil && ok {
			return replay(a, fp, nil)
		}
		return nil, runErr
	}
	body, err := json.Marshal(res)
	if err != nil {
		return nil, err
	}
	kept, err := h.backend.KeepAnswer(ctx, c.tenant, collection, key, Answer{Fingerprint: fp, Body: body})
	if err != nil {
		// The operation is done; only its replay is lost.
		h.log.WarnContext(ctx, "rekognition: keeping the answer of a ClientRequestToken", "op", op, "err", err)
		return json.RawMessage(body), nil
	}
	return replay(kept, fp, nil)
}

// replay returns a kept answer, if it was given to the same parameters.
func replay(a Answer, fp string, err error) (any, error) {
	switch {
	case err != nil:
		return nil, err
	case a.Fingerprint != fp:
		return nil, idempotentMismatch()
	}
	return json.RawMessage(a.Body), nil
}
