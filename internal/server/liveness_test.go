package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/mienhq/mien/internal/server"
	"github.com/mienhq/mien/liveness/challenge"
)

// liveStart creates a session and returns its id, nonce and challenges.
func (e *env) liveStart(key string) (string, string, []challenge.Kind) {
	e.t.Helper()
	code, out := e.call("POST", "/v1/liveness/sessions", key, nil, "")
	if code != 201 {
		e.t.Fatalf("create liveness session: %d %v", code, out)
	}
	var ks []challenge.Kind
	for _, k := range out["challenges"].([]any) {
		ks = append(ks, challenge.Kind(k.(string)))
	}
	return out["id"].(string), out["nonce"].(string), ks
}

// passing is a sequence of frames of one person doing the challenges.
func passing(person int, ks []challenge.Kind) [][]byte {
	out := [][]byte{frameOf(person, "")}
	for _, k := range ks {
		out = append(out, frameOf(person, k), frameOf(person, ""))
	}
	return out
}

// burst uploads frames 10 ms apart (or a form built by the caller's fields).
func (e *env) burst(key, id string, fields map[string]string, frames [][]byte) (int, map[string]any) {
	e.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	var ts []string
	for i, f := range frames {
		w, _ := mw.CreateFormFile("frames", fmt.Sprintf("f%d.png", i))
		w.Write(f)
		ts = append(ts, fmt.Sprint(i*10))
	}
	if _, ok := fields["timestamps"]; !ok && len(frames) > 0 {
		mw.WriteField("timestamps", strings.Join(ts, ","))
	}
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	mw.Close()
	return e.call("POST", "/v1/liveness/sessions/"+id+"/frames", key, &buf, mw.FormDataContentType())
}

// liveToken runs a passing session by HTTP and returns its token.
func (e *env) liveToken(key string, person int) (string, string) {
	e.t.Helper()
	id, nonce, ks := e.liveStart(key)
	time.Sleep(100 * time.Millisecond) // the burst (10 ms a frame) must fit after the session's start
	code, out := e.burst(key, id, map[string]string{"nonce": nonce}, passing(person, ks))
	if code != 200 || out["result"] != "live" || out["token"] == nil {
		e.t.Fatalf("passing burst: %d %v", code, out)
	}
	return out["token"].(string), id
}

// TestLivenessStreamPassAndToken: a session fed over the WebSocket (the
// key as a subprotocol, as browsers send it) reports progress after each
// frame, is decided once the challenges are done, and answers a live
// verdict with a token; the token logs the person in once (a replay is
// refused) and only them; the session's answer afterwards has no token.
func TestLivenessStreamPassAndToken(t *testing.T) {
	e, fake, _ := liveServe(t, liveOpts())
	col := e.collection(e.admin, "doors")
	sid := e.enrolFake(e.admin, col, "alice", 1)
	id, nonce, ks := e.liveStart(e.admin)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws := "ws" + strings.TrimPrefix(e.url, "http") + "/v1/liveness/sessions/" + id + "/stream?nonce=" + nonce
	c, resp, err := websocket.Dial(ctx, ws, &websocket.DialOptions{Subprotocols: []string{"mien.liveness.v1", "bearer." + e.admin}})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Header.Get("Sec-WebSocket-Protocol") != "mien.liveness.v1" {
		t.Errorf("subprotocol %q, want mien.liveness.v1 (never the key echoed)", resp.Header.Get("Sec-WebSocket-Protocol"))
	}
	defer c.CloseNow()
	msg := readWS(t, ctx, c)
	if msg["type"] != "session" {
		t.Fatalf("first message %v, want the session", msg)
	}
	var verdict map[string]any
	for i, f := range passing(1, ks) {
		if err := c.Write(ctx, websocket.MessageBinary, f); err != nil {
			t.Fatal(err)
		}
		msg = readWS(t, ctx, c)
		if msg["type"] != "progress" || msg["frame"] != float64(i+1) {
			t.Fatalf("after frame %d: %v, want progress", i+1, msg)
		}
		if msg["effort"] != float64(fakeEffort(i+1)) {
			t.Errorf("after frame %d: effort %v, want the engine's %g", i+1, msg["effort"], fakeEffort(i+1))
		}
		if msg["completed"] == float64(len(ks)) {
			verdict = readWS(t, ctx, c)
			break
		}
		if want := strings.ReplaceAll(string(ks[int(msg["completed"].(float64))]), "_", " "); !strings.Contains(strings.ToLower(msg["prompt"].(string)), strings.Fields(want)[0]) {
			t.Errorf("prompt %q for %s", msg["prompt"], want)
		}
	}
	v, _ := verdict["verdict"].(map[string]any)
	if verdict["type"] != "verdict" || v["result"] != "live" || v["token"] == nil || v["passive_score"] != 0.9 {
		t.Fatalf("verdict %v, want live with a token and the passive score", verdict)
	}
	if _, _, err := c.Read(ctx); websocket.CloseStatus(err) != websocket.StatusNormalClosure {
		t.Errorf("after the verdict: %v, want a normal close", err)
	}
	tok := v["token"].(string)
	if frames, open := fake.retained(); frames != 0 || open != 0 {
		t.Errorf("after the verdict the engine holds %d frames and %d open sessions", frames, open)
	}
	// The token logs alice in, once.
	code, out := e.verifyToken(e.admin, col, sid, tok)
	if code != 200 || out["decision"] != "match" {
		t.Fatalf("verify with the token: %d %v", code, out)
	}
	if code, out := e.verifyToken(e.admin, col, sid, tok); code != 403 || errCode(out) != "liveness_token" {
		t.Errorf("replayed token: %d %v, want 403 liveness_token", code, out)
	}
	// The session is ended; its verdict is kept without the token.
	code, out = e.call("GET", "/v1/liveness/sessions/"+id, e.admin, nil, "")
	if code != 200 || out["state"] != "ended" || out["verdict"].(map[string]any)["token"] != nil {
		t.Errorf("ended session: %d %v", code, out)
	}
	// Another person's token does not log alice in.
	bob, _ := e.liveToken(e.admin, 2)
	if code, out := e.verifyToken(e.admin, col, sid, bob); code != 200 || out["decision"] != "no_match" {
		t.Errorf("bob's token for alice: %d %v, want no_match", code, out)
	}
}

func readWS(t *testing.T, ctx context.Context, c *websocket.Conn) map[string]any {
	t.Helper()
	typ, b, err := c.Read(ctx)
	if err != nil || typ != websocket.MessageText {
		t.Fatalf("read: %v %v", typ, err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func errCode(out map[string]any) string {
	e, _ := out["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

// enrolFake enrols a person of the fake engine with a photo.
func (e *env) enrolFake(key, col, name string, person int) string {
	e.t.Helper()
	body, ct := form(map[string][][]byte{"images": {frameOf(person, "")}}, consentFields(name))
	code, out := e.call("POST", "/v1/collections/"+col+"/subjects", key, body, ct)
	if code != 201 {
		e.t.Fatalf("enrol %s: %d %v", name, code, out)
	}
	return out["id"].(string)
}

func (e *env) verifyToken(key, col, sid, tok string) (int, map[string]any) {
	body, ct := form(nil, map[string]string{"liveness_token": tok})
	return e.call("POST", "/v1/collections/"+col+"/subjects/"+sid+"/verify", key, body, ct)
}

// TestLivenessTokenRefused: a token is refused when replayed, expired (the
// clock moved past the deadline plus the grace), presented by another
// tenant (which also burns it), or made up; a not_live session gets none.
func TestLivenessTokenRefused(t *testing.T) {
	e, _, clk := liveServe(t, liveOpts())
	col := e.collection(e.admin, "doors")
	sid := e.enrolFake(e.admin, col, "alice", 1)
	colB := e.collection(e.other, "doors-b")
	sidB := e.enrolFake(e.other, colB, "alice-b", 1)

	tok, _ := e.liveToken(e.admin, 1)
	if code, out := e.verifyToken(e.other, colB, sidB, tok); code != 403 {
		t.Errorf("tenant a's token at tenant b: %d %v, want 403", code, out)
	}
	if code, _ := e.verifyToken(e.admin, col, sid, tok); code != 403 {
		t.Errorf("a token shown to another tenant stays usable: %d, want 403", code)
	}
	tok, _ = e.liveToken(e.admin, 1)
	clk.advance(30*time.Second + time.Minute + time.Second) // past the deadline and the grace
	if code, out := e.verifyToken(e.admin, col, sid, tok); code != 403 {
		t.Errorf("expired token: %d %v, want 403", code, out)
	}
	clk.advance(-(30*time.Second + time.Minute + time.Second))
	for _, bad := range []string{"lvt_madeup", "mien_notatoken", strings.Repeat("x", 500)} {
		if code, _ := e.verifyToken(e.admin, col, sid, bad); code != 403 {
			t.Errorf("token %.20q: %d, want 403", bad, code)
		}
	}
	id, nonce, ks := e.liveStart(e.admin)
	time.Sleep(50 * time.Millisecond)
	code, out := e.burst(e.admin, id, map[string]string{"nonce": nonce}, [][]byte{frameOf(1, ""), frameOf(1, ks[0])})
	if code != 200 || out["result"] != "not_live" || out["token"] != nil || len(out["reasons"].([]any)) == 0 {
		t.Errorf("unfinished challenges: %d %v, want not_live with reasons and no token", code, out)
	}
}

// liveOpts are the tests' limits: small.
func liveOpts() server.LivenessOptions {
	return server.LivenessOptions{PerTenant: 3, MaxFrames: 12, MaxFrameBytes: 4096}
}

// TestLivenessEnrolmentPolicy: a collection that requires liveness refuses
// enrolment without a token, enrols with one (the live face, plus photos of
// the same person), refuses photos of someone else beside the token, and a
// used token cannot enrol again.
func TestLivenessEnrolmentPolicy(t *testing.T) {
	e, _, _ := liveServe(t, liveOpts())
	col := e.collection(e.admin, "bank")
	code, out := e.call("PUT", "/v1/collections/"+col+"/settings", e.admin, strings.NewReader(`{"require_liveness": true}`), "application/json")
	if code != 200 || out["require_liveness"] != true {
		t.Fatalf("set the policy: %d %v", code, out)
	}
	enrol := func(ext string, imgs [][]byte, tok string) (int, map[string]any) {
		fields := consentFields(ext)
		if tok != "" {
			fields["liveness_token"] = tok
		}
		var files map[string][][]byte
		if imgs != nil {
			files = map[string][][]byte{"images": imgs}
		}
		body, ct := form(files, fields)
		return e.call("POST", "/v1/collections/"+col+"/subjects", e.admin, body, ct)
	}
	if code, out := enrol("alice", [][]byte{frameOf(1, "")}, ""); code != 422 || errCode(out) != "liveness_required" {
		t.Errorf("photo only under the policy: %d %v, want 422 liveness_required", code, out)
	}
	tok, _ := e.liveToken(e.admin, 1)
	if code, out := enrol("alice", [][]byte{frameOf(2, "")}, tok); code != 422 || errCode(out) != "not_live_person" {
		t.Errorf("someone else's photo beside the token: %d %v, want 422 not_live_person", code, out)
	}
	tok, _ = e.liveToken(e.admin, 1)
	code, out = enrol("alice", [][]byte{frameOf(1, "")}, tok)
	if code != 201 || len(out["templates"].([]any)) != 2 {
		t.Fatalf("token and photo: %d %v, want 201 with two templates", code, out)
	}
	if code, out := enrol("alice2", nil, tok); code != 403 {
		t.Errorf("the used token again: %d %v, want 403", code, out)
	}
	tok, _ = e.liveToken(e.admin, 3)
	if code, out := enrol("carol", nil, tok); code != 201 {
		t.Errorf("token alone: %d %v, want 201", code, out)
	}
	code, out = e.call("PUT", "/v1/collections/"+col+"/settings", e.admin, strings.NewReader(`{"require_liveness": false}`), "application/json")
	if code != 200 || out["require_liveness"] != false {
		t.Fatalf("clear the policy: %d %v", code, out)
	}
	if code, out := enrol("dave", [][]byte{frameOf(4, "")}, ""); code != 201 {
		t.Errorf("photo only without the policy: %d %v, want 201", code, out)
	}
	if code, _ := e.call("PUT", "/v1/collections/"+col+"/settings", e.admin, strings.NewReader(`{"require_liveness": "yes"}`), "application/json"); code != 400 {
		t.Errorf("require_liveness as a string: %d, want 400", code)
	}
}
