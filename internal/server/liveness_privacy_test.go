package server_test

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mienhq/mien/internal/server"
	"github.com/mienhq/mien/liveness/challenge"
)

// noisyFrame is frameOf with random noise in the blue channel: an
// incompressible PNG whose bytes cannot turn up anywhere by chance.
func noisyFrame(r *rand.Rand, person int, action challenge.Kind) []byte {
	plain, _ := png.Decode(bytes.NewReader(frameOf(person, action)))
	m := image.NewRGBA(image.Rect(0, 0, 32, 32))
	for y := range 32 {
		for x := range 32 {
			c := color.RGBAModel.Convert(plain.At(0, 0)).(color.RGBA)
			if x != 16 || y != 16 { // the centre pixel carries the fake's person and action
				c.B = uint8(r.IntN(256))
			}
			m.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	png.Encode(&b, m)
	return b.Bytes()
}

// TestLivenessPrivacy: the frames of a session are held by nobody once it
// ends: the engine's side is closed at the verdict, the best frame lives
// only in the token until it is used, a session that nobody finishes is
// decided and closed at its deadline and forgotten TokenGrace later, and
// no frame's bytes reach the database (its files, WAL included). The audit
// entry of a session holds its verdict and reasons, nothing else.
func TestLivenessPrivacy(t *testing.T) {
	e, fake, clk := liveServe(t, server.LivenessOptions{PerTenant: 4, MaxFrames: 40, MaxFrameBytes: 1 << 20, TTL: 1500 * time.Millisecond, TokenGrace: 300 * time.Millisecond})
	col := e.collection(e.admin, "doors")
	sid := e.enrolFake(e.admin, col, "alice", 1)
	rng := rand.New(rand.NewPCG(1, 2))
	var sent [][]byte
	// A live session fed by HTTP.
	id, nonce, ks := e.liveStart(e.admin)
	clk.advance(time.Second)
	var frames [][]byte
	for _, k := range append([]challenge.Kind{""}, ks...) {
		frames = append(frames, noisyFrame(rng, 1, k))
	}
	sent = append(sent, frames...)
	code, out := e.burst(e.admin, id, map[string]string{"nonce": nonce}, frames)
	if code != 200 || out["result"] != "live" {
		t.Fatalf("live burst: %d %v", code, out)
	}
	if n, eng, tok := server.LiveHeld(e.srv); n != 1 || eng != 0 || tok != 1 {
		t.Errorf("after a live verdict: %d sessions, %d engine sides open, %d tokens; want 1, 0, 1", n, eng, tok)
	}
	if held, open := fake.retained(); held != 0 || open != 0 {
		t.Errorf("the engine holds %d frames in %d open sessions after the verdict", held, open)
	}
	if code, _ := e.verifyToken(e.admin, col, sid, out["token"].(string)); code != 200 {
		t.Fatalf("verify: %d", code)
	}
	if _, _, tok := server.LiveHeld(e.srv); tok != 0 {
		t.Errorf("%d tokens (with their frames) after the token was used", tok)
	}
	// A session left unfinished: decided at the deadline, forgotten after the grace.
	clk.advance(-time.Second)
	id2, nonce2, _ := e.liveStart(e.admin)
	time.Sleep(100 * time.Millisecond)
	f := noisyFrame(rng, 1, "")
	sent = append(sent, f)
	if code, out := e.burst(e.admin, id2, map[string]string{"nonce": nonce2, "finish": "false"}, [][]byte{f}); code != 200 {
		t.Fatalf("unfinished burst: %d %v", code, out)
	}
	if _, eng, _ := server.LiveHeld(e.srv); eng != 1 {
		t.Fatalf("%d open engine sides while a session is being fed, want 1", eng)
	}
	time.Sleep(1600 * time.Millisecond)
	if code, out := e.call("GET", "/v1/liveness/sessions/"+id2, e.admin, nil, ""); code != 200 || out["state"] != "ended" {
		t.Errorf("after the deadline: %d %v, want ended", code, out)
	}
	if _, eng, _ := server.LiveHeld(e.srv); eng != 0 {
		t.Errorf("%d engine sides open after the deadline", eng)
	}
	time.Sleep(400 * time.Millisecond)
	if n, _, _ := server.LiveHeld(e.srv); n != 0 {
		t.Errorf("%d sessions held after the deadline and the grace", n)
	}
	if code, _ := e.call("GET", "/v1/liveness/sessions/"+id2, e.admin, nil, ""); code != 404 {
		t.Errorf("a reaped session: %d, want 404", code)
	}
	// Nothing of the frames in the database files.
	files, _ := filepath.Glob(e.db + "*")
	if len(files) == 0 {
		t.Fatal("no database file found")
	}
	for _, path := range files {
		db, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		for i, fr := range sent {
			if bytes.Contains(db, fr[len(fr)/2:len(fr)/2+48]) {
				t.Errorf("%s holds bytes of frame %d", path, i)
			}
		}
	}
	// The audit: the verdict and the reasons only.
	code, out = e.call("GET", "/v1/audit?action=liveness.session", e.admin, nil, "")
	audit, _ := out["entries"].([]any)
	if code != 200 || len(audit) != 2 {
		t.Fatalf("audit: %d %v, want 2 liveness.session entries", code, out)
	}
	for _, a := range audit {
		var keys []string
		for k := range a.(map[string]any)["detail"].(map[string]any) {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if strings.Join(keys, ",") != "reasons,verdict" {
			t.Errorf("audit entry %v holds %v, want only verdict and reasons", a, keys)
		}
	}
}
