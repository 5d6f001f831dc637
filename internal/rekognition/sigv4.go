package rekognition

// AWS Signature Version 4 verification, written from the specification
// ("Create a signed AWS API request", AWS IAM user guide): canonical request,
// string to sign, and the HMAC-SHA256 key chain over date, region, service
// and "aws4_request".

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

const (
	sigAlgorithm = "AWS4-HMAC-SHA256"
	sigService   = "rekognition"
	sigTerminal  = "aws4_request"
	amzDateForm  = "20060102T150405Z"
)

// authorization is a parsed Authorization header.
type authorization struct {
	AccessKeyID   string
	Date          string // YYYYMMDD from the credential scope
	Region        string
	Service       string
	Terminal      string
	SignedHeaders []string
	Signature     string
}

// scope returns the credential scope string.
func (a authorization) scope() string {
	return a.Date + "/" + a.Region + "/" + a.Service + "/" + a.Terminal
}

func incomplete(format string, args ...any) *Error {
	return newError(http.StatusBadRequest, "IncompleteSignatureException", format, args...)
}

// parseAuthorization parses
// "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/rekognition/aws4_request, SignedHeaders=a;b, Signature=hex".
func parseAuthorization(v string) (authorization, error) {
	var a authorization
	alg, rest, ok := strings.Cut(strings.TrimSpace(v), " ")
	if !ok || alg != sigAlgorithm {
		return a, incomplete("Authorization header requires the %s algorithm", sigAlgorithm)
	}
	fields := map[string]string{}
	for part := range strings.SplitSeq(rest, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return a, incomplete("Authorization header has a malformed component %q", strings.TrimSpace(part))
		}
		fields[k] = val
	}
	for _, k := range []string{"Credential", "SignedHeaders", "Signature"} {
		if fields[k] == "" {
			return a, incomplete("Authorization header requires '%s' parameter", k)
		}
	}
	cred := strings.Split(fields["Credential"], "/")
	if len(cred) != 5 || cred[0] == "" {
		return a, incomplete("Credential must have the form ACCESS_KEY_ID/YYYYMMDD/REGION/SERVICE/aws4_request")
	}
	a.AccessKeyID, a.Date, a.Region, a.Service, a.Terminal = cred[0], cred[1], cred[2], cred[3], cred[4]
	a.SignedHeaders = strings.Split(fields["SignedHeaders"], ";")
	a.Signature = strings.ToLower(fields["Signature"])
	return a, nil
}

// signed is a request whose Authorization header, scope, date and access
// key have been checked, before its body is read.
type signed struct {
	auth  authorization
	at    time.Time
	creds Credentials
}

// preauthenticate checks everything of r's signature that does not need
// the body: the Authorization header's form, the credential scope, the
// signed headers, the date and the access key. An unsigned or forged
// request is refused here, before a byte of its body is read.
func (h *Handler) preauthenticate(ctx context.Context, r *http.Request) (signed, error) {
	hv := r.Header.Get("Authorization")
	if hv == "" {
		if r.URL.Query().Get("X-Amz-Algorithm") != "" {
			return signed{}, incomplete("presigned requests are not supported; sign the Authorization header")
		}
		return signed{}, missingToken()
	}
	a, err := parseAuthorization(hv)
	if err != nil {
		return signed{}, err
	}
	t, err := h.checkScope(r, a)
	if err != nil {
		return signed{}, err
	}
	creds, err := h.backend.Credentials(ctx, a.AccessKeyID)
	if errors.Is(err, ErrUnknownKey) {
		return signed{}, unrecognizedClient()
	} else if err != nil {
		return signed{}, err
	}
	creds.AccessKeyID = a.AccessKeyID
	return signed{auth: a, at: t, creds: creds}, nil
}

// verify checks the signature over r and its body, and returns the key's
// credentials and the region the request was signed for.
func (h *Handler) verify(r *http.Request, s signed, body []byte) (Credentials, string, error) {
	sum := sha256.Sum256(body)
	payloadHash := hex.EncodeToString(sum[:])
	if claimed := r.Header.Get("X-Amz-Content-Sha256"); claimed != "" && claimed != payloadHash {
		return Credentials{}, "", invalidSignature("The provided 'x-amz-content-sha256' header does not match what was computed.")
	}
	canonical := canonicalRequest(r, s.auth.SignedHeaders, payloadHash)
	want := signature(s.creds.Secret, s.auth, s.at, canonical)
	if !hmac.Equal([]byte(want), []byte(s.auth.Signature)) {
		return Credentials{}, "", invalidSignature("The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")
	}
	return s.creds, s.auth.Region, nil
}

// authenticate is preauthenticate and verify in one, for a body already
// read.
func (h *Handler) authenticate(ctx context.Context, r *http.Request, body []byte) (Credentials, string, error) {
	s, err := h.preauthenticate(ctx, r)
	if err != nil {
		return Credentials{}, "", err
	}
	return h.verify(r, s, body)
}

// mustSign are the headers every request must sign: without x-amz-target a
// captured DescribeCollection could be replayed as DeleteCollection.
var mustSign = []string{"host", "x-amz-date", "x-amz-target", "content-type"}

// checkScope checks the credential scope, the signed headers and the date
// skew, and returns the request's time.
func (h *Handler) checkScope(r *http.Request, a authorization) (time.Time, error) {
	if a.Service != sigService {
		return time.Time{}, invalidSignature("Credential should be scoped to correct service: '%s'.", sigService)
	}
	if a.Terminal != sigTerminal {
		return time.Time{}, invalidSignature("Credential should be scoped with a valid terminator: '%s', not '%s'.", sigTerminal, a.Terminal)
	}
	if a.Region == "" {
		return time.Time{}, invalidSignature("Credential should be scoped to a valid region.")
	}
	for _, name := range mustSign {
		if !contains(a.SignedHeaders, name) {
			return time.Time{}, invalidSignature("Signed headers must include %s (SignedHeaders=%s).", strings.Join(mustSign, ", "), strings.Join(a.SignedHeaders, ";"))
		}
	}
	ds := r.Header.Get("X-Amz-Date")
	t, err := time.Parse(amzDateForm, ds)
	if err != nil {
		return time.Time{}, incomplete("X-Amz-Date %q is not an ISO 8601 basic date-time (YYYYMMDD'T'HHMMSS'Z')", ds)
	}
	if t.Format("20060102") != a.Date {
		return time.Time{}, invalidSignature("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.", a.Date, t.Format("20060102"), ds)
	}
	now := h.now().UTC()
	if t.Before(now.Add(-h.maxSkew)) {
		return time.Time{}, invalidSignature("Signature expired: %s is now earlier than %s (%s - %s.)", ds, now.Add(-h.maxSkew).Format(amzDateForm), now.Format(amzDateForm), h.maxSkew)
	}
	if t.After(now.Add(h.maxSkew)) {
		return time.Time{}, invalidSignature("Signature not yet current: %s is still later than %s (%s + %s.)", ds, now.Add(h.maxSkew).Format(amzDateForm), now.Format(amzDateForm), h.maxSkew)
	}
	return t, nil
}

// canonicalRequest builds the canonical request of r over the signed headers.
func canonicalRequest(r *http.Request, signed []string, payloadHash string) string {
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')
	b.WriteString(canonicalURI(r))
	b.WriteByte('\n')
	b.WriteString(canonicalQuery(r.URL.Query()))
	b.WriteByte('\n')
	for _, name := range signed {
		b.WriteString(name)
		b.WriteByte(':')
		b.WriteString(headerValue(r, name))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(signed, ";"))
	b.WriteByte('\n')
	b.WriteString(payloadHash)
	return b.String()
}

// canonicalURI is the request path as the client sent it (RequestURI, so a
// mount under http.StripPrefix still verifies), URI-encoded once more as
// AWS does for every service but S3.
func canonicalURI(r *http.Request) string {
	p := r.URL.EscapedPath()
	if r.RequestURI != "" {
		p, _, _ = strings.Cut(r.RequestURI, "?")
		if u, err := url.ParseRequestURI(r.RequestURI); err == nil && u.Host != "" {
			p = u.EscapedPath() // absolute-form request target
		}
	}
	if p == "" {
		p = "/"
	}
	return uriEncode(p, false)
}

func canonicalQuery(q url.Values) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		vs := append([]string(nil), q[k]...)
		sort.Strings(vs)
		for _, v := range vs {
			parts = append(parts, uriEncode(k, true)+"="+uriEncode(v, true))
		}
	}
	return strings.Join(parts, "&")
}

// headerValue is a signed header's canonical value: values trimmed, runs of
// spaces collapsed, several values joined with commas.
func headerValue(r *http.Request, name string) string {
	var vals []string
	switch name {
	case "host":
		vals = []string{r.Host}
	case "content-length":
		vals = r.Header.Values("Content-Length")
		if len(vals) == 0 && r.ContentLength >= 0 {
			vals = []string{strconv.FormatInt(r.ContentLength, 10)}
		}
	default:
		vals = r.Header.Values(name)
	}
	for i, v := range vals {
		vals[i] = strings.Join(strings.Fields(v), " ")
	}
	return strings.Join(vals, ",")
}

// signature is the hex HMAC of the string to sign under the derived key.
func signature(secret string, a authorization, t time.Time, canonical string) string {
	sum := sha256.Sum256([]byte(canonical))
	toSign := sigAlgorithm + "\n" + t.UTC().Format(amzDateForm) + "\n" + a.scope() + "\n" + hex.EncodeToString(sum[:])
	k := hmacSHA256([]byte("AWS4"+secret), a.Date)
	k = hmacSHA256(k, a.Region)
	k = hmacSHA256(k, a.Service)
	k = hmacSHA256(k, sigTerminal)
	return hex.EncodeToString(hmacSHA256(k, toSign))
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// uriEncode percent-encodes every byte except RFC 3986's unreserved
// characters (and '/' unless encodeSlash).
func uriEncode(s string, encodeSlash bool) string {
	const hexd = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_', c == '.', c == '~':
			b.WriteByte(c)
		case c == '/' && !encodeSlash:
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hexd[c>>4])
			b.WriteByte(hexd[c&15])
		}
	}
	return b.String()
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
