// Package rekognition serves mien over the AWS Rekognition JSON 1.1 wire
// protocol, so that programs written against Rekognition's face operations
// switch to a self-hosted mien by changing their endpoint and keys.
//
// Requests are POSTs with X-Amz-Target: RekognitionService.<Operation>,
// signed with Signature Version 4 under an access key that mien issued to a
// tenant. A Rekognition collection is a mien collection; IndexFaces enrols
// faces only under the consent policy the collection's owner declared. mien
// never infers age, gender, emotion or any other personal attribute, so no
// response ever carries one.
package rekognition

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/mienhq/mien/quality"
)

const (
	contentType  = "application/x-amz-json-1.1"
	targetPrefix = "RekognitionService."
)

// Options configure a Handler. Zero values take the defaults.
type Options struct {
	// MaxSkew is the largest difference allowed between X-Amz-Date and the
	// server's clock (default 5 minutes, as AWS).
	MaxSkew time.Duration
	// MaxBodyBytes bounds a request body (default 16 MiB: two images).
	MaxBodyBytes int64
	// MaxBytesInFlight bounds the request-body bytes held at once across
	// all requests (default 64 MiB, at least MaxBodyBytes). A signed
	// request whose body would go over it is refused at once with
	// ThrottlingException (429), before its body is read.
	MaxBytesInFlight int64
	// MaxImageBytes bounds one image (default 5 MiB, AWS's limit for Bytes).
	MaxImageBytes int
	// Now is the clock (default time.Now).
	Now    func() time.Time
	Logger *slog.Logger
	// AutoGate is what QualityFilter AUTO (IndexFaces' default) applies: the
	// server's enrolment gate (zero: quality.DefaultGate).
	AutoGate quality.Gate
}

// Handler is an http.Handler speaking Rekognition's protocol over a Backend.
// It is safe for concurrent use.
type Handler struct {
	backend  Backend
	maxSkew  time.Duration
	maxBody  int64
	maxImage int
	now      func() time.Time
	log      *slog.Logger
	autoGate quality.Gate
	inflight *budget
}

// New returns a Handler over b.
func New(b Backend, opts Options) *Handler {
	h := &Handler{backend: b, maxSkew: opts.MaxSkew, maxBody: opts.MaxBodyBytes,
		maxImage: opts.MaxImageBytes, now: opts.Now, log: opts.Logger, autoGate: opts.AutoGate}
	if h.autoGate == (quality.Gate{}) {
		h.autoGate = quality.DefaultGate
	}
	if h.maxSkew <= 0 {
		h.maxSkew = 5 * time.Minute
	}
	if h.maxBody <= 0 {
		h.maxBody = 16 << 20
	}
	h.inflight = &budget{limit: max(opts.MaxBytesInFlight, h.maxBody)}
	if opts.MaxBytesInFlight <= 0 {
		h.inflight.limit = max(64<<20, h.maxBody)
	}
	if h.maxImage <= 0 {
		h.maxImage = 5 << 20
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	return h
}

// call is one authenticated request.
type call struct {
	tenant string
	region string
	body   []byte
}

type operation struct {
	run   func(h *Handler, ctx context.Context, c *call) (any, error)
	write bool // refused to read-only keys
}

var operations = map[string]operation{
	"DetectFaces":        {(*Handler).detectFaces, false},
	"CompareFaces":       {(*Handler).compareFaces, false},
	"CreateCollection":   {(*Handler).createCollection, true},
	"DeleteCollection":   {(*Handler).deleteCollection, true},
	"ListCollections":    {(*Handler).listCollections, false},
	"DescribeCollection": {(*Handler).describeCollection, false},
	"IndexFaces":         {(*Handler).indexFaces, true},
	"ListFaces":          {(*Handler).listFaces, false},
	"DeleteFaces":        {(*Handler).deleteFaces, true},
	"SearchFaces":        {(*Handler).searchFaces, false},
	"SearchFacesByImage": {(*Handler).searchFacesByImage, false},
	"CreateUser":         {(*Handler).createUser, true},
	"DeleteUser":         {(*Handler).deleteUser, true},
	"ListUsers":          {(*Handler).listUsers, false},
	"AssociateFaces":     {(*Handler).associateFaces, true},
	"DisassociateFaces":  {(*Handler).disassociateFaces, true},
	"SearchUsers":        {(*Handler).searchUsers, false},
	"SearchUsersByImage": {(*Handler).searchUsersByImage, false},
	// Face Liveness (ops_liveness.go): a session lives in memory only.
	"CreateFaceLivenessSession":     {(*Handler).createFaceLivenessSession, false},
	"GetFaceLivenessSessionResults": {(*Handler).getFaceLivenessSessionResults, false},
}

// Operations lists the operations the handler serves.
func Operations() []string {
	out := make([]string, 0, len(operations))
	for k := range operations {
		out = append(out, k)
	}
	return out
}

// ServeHTTP authenticates, dispatches and answers one request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	opName := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), targetPrefix)
	w.Header().Set("X-Amzn-RequestId", requestID())
	res, err := h.serve(r, opName)
	if err != nil {
		h.writeError(w, r, opName, err)
		return
	}
	body, err := json.Marshal(res)
	if err != nil {
		h.writeError(w, r, opName, err)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.Write(body)
}

func (h *Handler) serve(r *http.Request, opName string) (any, error) {
	if r.Method != http.MethodPost {
		return nil, newError(http.StatusMethodNotAllowed, "InvalidAction", "Rekognition requests are POSTs, not %s", r.Method)
	}
	pre, err := h.preauthenticate(r.Context(), r)
	if err != nil {
		return nil, err
	}
	body, release, err := h.readBody(r)
	if err != nil {
		return nil, err
	}
	defer release()
	creds, region, err := h.verify(r, pre, body)
	if err != nil {
		return nil, err
	}
	op, ok := operations[opName]
	if !strings.HasPrefix(r.Header.Get("X-Amz-Target"), targetPrefix) || !ok {
		return nil, newError(http.StatusBadRequest, "UnknownOperationException", "mien does not support the operation %q", r.Header.Get("X-Amz-Target"))
	}
	if op.write && creds.ReadOnly {
		return nil, Denied("this access key is read-only and cannot call %s", opName)
	}
	ctx := context.WithValue(r.Context(), accessKeyCtx{}, creds.AccessKeyID)
	return op.run(h, ctx, &call{tenant: creds.Tenant, region: region, body: body})
}

// readBody reads r's body within the per-request limit and the budget of
// bytes in flight; release returns the bytes to the budget.
func (h *Handler) readBody(r *http.Request) (body []byte, release func(), err error) {
	if r.ContentLength > h.maxBody {
		return nil, nil, tooLarge("The request body is over the %d-byte limit", h.maxBody)
	}
	n := h.maxBody // unknown length (chunked): reserve the most it may be
	if r.ContentLength >= 0 {
		n = r.ContentLength
	}
	if !h.inflight.acquire(n) {
		return nil, nil, throttled("mien is receiving too many request bodies at once; try your call again")
	}
	release = func() { h.inflight.release(n) }
	if r.ContentLength >= 0 {
		body = make([]byte, n)
		_, err = io.ReadFull(r.Body, body)
	} else {
		body, err = io.ReadAll(io.LimitReader(r.Body, n+1))
	}
	if err == nil && int64(len(body)) > h.maxBody {
		err = tooLarge("The request body is over the %d-byte limit", h.maxBody)
	} else if err != nil {
		err = serialization("reading the request body: %v", err)
	}
	if err != nil {
		release()
		return nil, nil, err
	}
	return body, release, nil
}

// budget counts bytes held across requests; acquire never waits.
type budget struct {
	mu          sync.Mutex
	used, limit int64
}

func (b *budget) acquire(n int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.used+n > b.limit {
		return false
	}
	b.used += n
	return true
}

func (b *budget) release(n int64) {
	b.mu.Lock()
	b.used -= n
	b.mu.Unlock()
}

type accessKeyCtx struct{}

// AccessKeyID returns the access-key id a request was signed with, for a
// Backend's audit records ("" outside a verified request).
func AccessKeyID(ctx context.Context) string {
	id, _ := ctx.Value(accessKeyCtx{}).(string)
	return id
}

// decode unmarshals the request body into v.
func (c *call) decode(v any) error {
	body := c.body
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	if err := json.Unmarshal(body, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return serialization("field %s has the wrong type (%s given, %s wanted)", te.Field, te.Value, te.Type)
		}
		return serialization("the request body is not valid JSON: %v", err)
	}
	return nil
}

func requestID() string { return newUUID() }

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// limit validates MaxResults-like values: 0 (absent) takes def.
func limit(name string, v *int, def, maxV int) (int, error) {
	if v == nil {
		return def, nil
	}
	if *v < 0 || *v > maxV {
		return 0, Invalid("%s must be between 0 and %d, got %d", name, maxV, *v)
	}
	if *v == 0 {
		return def, nil
	}
	return *v, nil
}
