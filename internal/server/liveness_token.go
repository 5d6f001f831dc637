package server

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"time"

	"github.com/mienhq/mien/face"
)

// A liveness token is the proof that a face was seen live: 32 random bytes
// handed to the client once, kept only as their SHA-256, bound to the
// tenant, the session and the session's best frame (in memory), good until
// the session's deadline plus TokenGrace, and good once: the first use takes
// it, whatever its outcome, so a replayed token is refused.

const tokenPrefix = "lvt_"

// liveToken is what a token's hash unlocks.
type liveToken struct {
	tenant, session string
	best            *face.Image
	expires         time.Time
}

// issue makes the token of a live session (ls.mu held).
func (m *liveSessions) issue(ls *liveSession, best *face.Image) (string, string) {
	raw := make([]byte, 32)
	rand.Read(raw)
	tok := tokenPrefix + base64.RawURLEncoding.EncodeToString(raw)
	exp := ls.ch.Deadline.Add(m.opts.TokenGrace)
	m.mu.Lock()
	m.tokens[sha256.Sum256([]byte(tok))] = &liveToken{tenant: ls.tenant, session: ls.id, best: best, expires: exp}
	m.mu.Unlock()
	return tok, exp.UTC().Format(time.RFC3339Nano)
}

// redeem takes a tenant's token, once: it is gone after this call, whether
// or not it was good. Another tenant's token is refused and stays unusable
// by anyone.
func (m *liveSessions) redeem(tenant, tok string) (*liveToken, error) {
	if !strings.HasPrefix(tok, tokenPrefix) || len(tok) > 100 {
		return nil, errTokenRefused
	}
	h := sha256.Sum256([]byte(tok))
	m.mu.Lock()
	t, ok := m.tokens[h]
	delete(m.tokens, h)
	m.mu.Unlock()
	if !ok || t.tenant != tenant || !m.opts.Now().Before(t.expires) {
		return nil, errTokenRefused
	}
	return t, nil
}
