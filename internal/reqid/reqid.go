// Package reqid carries a request's id through a context, so the audit
// entries and log lines a request causes name it. It imports only the
// standard library: the server sets the id, the store reads it.
package reqid

import (
	"context"
	"crypto/rand"
	"fmt"
)

type key struct{}

// With returns ctx carrying the request id.
func With(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, key{}, id)
}

// From returns the request id ctx carries, or "".
func From(ctx context.Context) string {
	id, _ := ctx.Value(key{}).(string)
	return id
}

// New returns a fresh id: a random (version 4) UUID.
func New() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// MaxLen is the longest id a caller may bring.
const MaxLen = 64

// Valid reports whether a caller's id may be kept: 1 to 64 letters, digits,
// '-', '_', '.' or ':' (nothing that could forge a log line or a header).
func Valid(id string) bool {
	if id == "" || len(id) > MaxLen {
		return false
	}
	for _, c := range []byte(id) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':'
		if !ok {
			return false
		}
	}
	return true
}
