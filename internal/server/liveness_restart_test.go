package server_test

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/mienhq/mien/internal/server"
	"github.com/mienhq/mien/internal/store"
)

// TestLivenessTokenAfterRestart: liveness sessions and tokens live in
// memory only, by design (docs/liveness.md, "Privacy": a token holds the
// best frame of a person who may not be enrolled, which must never reach
// the disk). A restart therefore ends them: a token issued before it is
// refused with a 403 that says so, and the old session is unknown (404),
// while the enrolled subject is still there.
func TestLivenessTokenAfterRestart(t *testing.T) {
	dir := t.TempDir()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	start := func() *env {
		f, c := &liveFake{}, &clock{}
		lo := liveOpts()
		lo.Engine, lo.Now = f, c.now
		return serveAt(t, f, dir, store.Options{}, server.Options{Liveness: lo, Logger: quiet})
	}
	e := start()
	col := e.collection(e.admin, "doors")
	sid := e.enrolFake(e.admin, col, "alice", 1)
	tok, session := e.liveToken(e.admin, 1)

	e2 := start() // a new server over the same database: nothing in memory carried over
	code, out := e2.verifyToken(e2.admin, col, sid, tok)
	if code != 403 || !strings.Contains(fmt.Sprint(out), "restart") {
		t.Errorf("a token from before the restart: %d %v, want 403 saying a restart ends tokens", code, out)
	}
	code, out = e2.call("GET", "/v1/liveness/sessions/"+session, e2.admin, nil, "")
	if code != 404 || !strings.Contains(fmt.Sprint(out), "restart") {
		t.Errorf("a session from before the restart: %d %v, want 404 saying a restart ends sessions", code, out)
	}
	if code, out := e2.call("GET", "/v1/collections/"+col+"/subjects/"+sid, e2.admin, nil, ""); code != 200 {
		t.Errorf("the enrolled subject after the restart: %d %v", code, out)
	}
}

// TestLivenessTokenReplays: the replayed-token attack species, 12 times
// (docs/benchmarks.md counts it with the sequence species): each token of
// a live session logs its person in once; the same token again, at verify
// or at enrolment, is refused (403 liveness_token).
func TestLivenessTokenReplays(t *testing.T) {
	e, _, _ := liveServe(t, server.LivenessOptions{PerTenant: 3, MaxFrames: 12, MaxFrameBytes: 4096})
	col := e.collection(e.admin, "doors")
	sid := e.enrolFake(e.admin, col, "alice", 1)
	refused := 0
	const n = 12
	for i := range n {
		tok, _ := e.liveToken(e.admin, 1)
		if code, out := e.verifyToken(e.admin, col, sid, tok); code != 200 || out["decision"] != "match" {
			t.Fatalf("token %d, first use: %d %v, want a match", i, code, out)
		}
		code, out := e.verifyToken(e.admin, col, sid, tok)
		if code == 403 && errCode(out) == "liveness_token" {
			refused++
		} else {
			t.Errorf("token %d replayed: %d %v, want 403 liveness_token", i, code, out)
		}
	}
	if refused != n {
		t.Errorf("%d of %d replayed tokens refused", refused, n)
	}
}
