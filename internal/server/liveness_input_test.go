package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// TestLivenessBadInput: every malformed request gets a clear 4xx and leaves
// the session as it was (no frame counted); unknown and other tenants'
// sessions are 404 on every route; the per-tenant cap is a 429.
func TestLivenessBadInput(t *testing.T) {
	e, _, clk := liveServe(t, liveOpts())
	for _, body := range []string{`{"challenges": 9}`, `{"challenges": "three"}`, `{"ttl_seconds": 1}`, `{"ttl_seconds": 1000}`, `[1,2]`, `{`} {
		if code, out := e.call("POST", "/v1/liveness/sessions", e.admin, strings.NewReader(body), "application/json"); code != 400 {
			t.Errorf("create with %s: %d %v, want 400", body, code, out)
		}
	}
	if code, _ := e.call("POST", "/v1/liveness/sessions", "", nil, ""); code != 401 {
		t.Errorf("create without a key: %d, want 401", code)
	}
	id, nonce, ks := e.liveStart(e.admin)
	clk.advance(2 * time.Second) // bursts may now span up to 2 s
	ok := map[string]string{"nonce": nonce}
	big := append(frameOf(1, ""), make([]byte, 5000)...) // over the test's 4096-byte frame limit
	cases := []struct {
		name   string
		fields map[string]string
		frames [][]byte
		want   int
	}{
		{"no nonce", nil, [][]byte{frameOf(1, "")}, 409},
		{"wrong nonce", map[string]string{"nonce": "00"}, [][]byte{frameOf(1, "")}, 409},
		{"not an image", ok, [][]byte{[]byte("this is not a jpeg")}, 415},
		{"huge frame", ok, [][]byte{big}, 413},
		{"timestamps missing", map[string]string{"nonce": nonce, "timestamps": ""}, [][]byte{frameOf(1, ""), frameOf(1, "")}, 400},
		{"timestamps not numbers", map[string]string{"nonce": nonce, "timestamps": "a,b"}, [][]byte{frameOf(1, ""), frameOf(1, "")}, 400},
		{"timestamps not increasing", map[string]string{"nonce": nonce, "timestamps": "10,10"}, [][]byte{frameOf(1, ""), frameOf(1, "")}, 400},
		{"burst longer than the session so far", map[string]string{"nonce": nonce, "timestamps": "0,2500"}, [][]byte{frameOf(1, ""), frameOf(1, "")}, 400},
		{"finish not a boolean", map[string]string{"nonce": nonce, "finish": "maybe"}, nil, 400},
	}
	for _, c := range cases {
		code, out := e.burst(e.admin, id, c.fields, c.frames)
		if code != c.want {
			t.Errorf("%s: %d %v, want %d", c.name, code, out, c.want)
		}
	}
	if code, out := e.call("POST", "/v1/liveness/sessions/"+id+"/frames", e.admin, strings.NewReader(`{"frames":[]}`), "application/json"); code != 400 {
		t.Errorf("JSON frames: %d %v, want 400", code, out)
	}
	if code, out := e.call("GET", "/v1/liveness/sessions/"+id, e.admin, nil, ""); code != 200 || out["frames"] != 0.0 || out["state"] != "open" {
		t.Fatalf("after the bad uploads: %d %v, want open with no frame", code, out)
	}
	// Too many frames: the test server takes 12 a session.
	many := make([][]byte, 13)
	for i := range many {
		many[i] = frameOf(1, "")
	}
	if code, out := e.burst(e.admin, id, map[string]string{"nonce": nonce, "finish": "false"}, many); code != 413 || errCode(out) != "too_many_frames" {
		t.Errorf("13 frames: %d %v, want 413 too_many_frames", code, out)
	}
	// The session ends; then everything is 409 session_ended.
	if code, out := e.burst(e.admin, id, ok, nil); code != 200 || out["result"] != "not_live" {
		t.Fatalf("finish: %d %v", code, out)
	}
	if code, out := e.burst(e.admin, id, ok, passing(1, ks)); code != 409 || errCode(out) != "session_ended" {
		t.Errorf("frames after the end: %d %v, want 409 session_ended", code, out)
	}
	// Unknown ids and tenant B: 404 everywhere, and A's session is untouched.
	id2, nonce2, _ := e.liveStart(e.admin)
	for _, who := range []struct{ key, id string }{{e.admin, "00000000-0000-4000-8000-000000000000"}, {e.other, id2}} {
		for _, m := range []string{"GET", "DELETE"} {
			if code, _ := e.call(m, "/v1/liveness/sessions/"+who.id, who.key, nil, ""); code != 404 {
				t.Errorf("%s %s: %d, want 404", m, who.id, code)
			}
		}
		if code, _ := e.burst(who.key, who.id, map[string]string{"nonce": nonce2}, [][]byte{frameOf(1, "")}); code != 404 {
			t.Errorf("frames to %s: %d, want 404", who.id, code)
		}
		if code := e.wsStatus(who.key, who.id, nonce2); code != 404 {
			t.Errorf("stream of %s: %d, want 404", who.id, code)
		}
	}
	if code := e.wsStatus("", id2, nonce2); code != 401 {
		t.Errorf("stream without a key: %d, want 401", code)
	}
	if code := e.wsStatus(e.admin, id2, "00"); code != 409 {
		t.Errorf("stream with a wrong nonce: %d, want 409", code)
	}
	// The cap: three open sessions a tenant in the test server (id2 and two more).
	e.liveStart(e.admin)
	e.liveStart(e.admin)
	if code, out := e.call("POST", "/v1/liveness/sessions", e.admin, nil, ""); code != 429 || errCode(out) != "too_many_sessions" {
		t.Errorf("a fourth open session: %d %v, want 429", code, out)
	}
	if code, _ := e.call("POST", "/v1/liveness/sessions", e.other, nil, ""); code != 201 {
		t.Errorf("tenant B is not capped by A's sessions: %d", code)
	}
	if code, _ := e.call("DELETE", "/v1/liveness/sessions/"+id2, e.admin, nil, ""); code != 204 {
		t.Errorf("delete: %d", code)
	}
	if code, _ := e.call("POST", "/v1/liveness/sessions", e.admin, nil, ""); code != 201 {
		t.Errorf("after a delete, a session can start: %d", code)
	}
}

// wsStatus is the HTTP status of a refused WebSocket upgrade (101 if accepted).
func (e *env) wsStatus(key, id, nonce string) int {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	h := http.Header{}
	if key != "" {
		h.Set("Authorization", "Bearer "+key)
	}
	c, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(e.url, "http")+"/v1/liveness/sessions/"+id+"/stream?nonce="+nonce, &websocket.DialOptions{HTTPHeader: h})
	if err == nil {
		c.CloseNow()
		return 101
	}
	if resp == nil {
		e.t.Fatalf("dial: %v", err)
	}
	return resp.StatusCode
}

// TestLivenessStreamBadInput: over the WebSocket a frame that is not an
// image is answered with an error and the stream goes on; a text message
// other than finish is an error; a frame over the size limit closes the
// connection (1009); a second stream on a session being fed is refused; a
// stream reconnects to an open session.
func TestLivenessStreamBadInput(t *testing.T) {
	e, _, _ := liveServe(t, liveOpts())
	id, nonce, _ := e.liveStart(e.admin)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	url := "ws" + strings.TrimPrefix(e.url, "http") + "/v1/liveness/sessions/" + id + "/stream?nonce=" + nonce
	h := http.Header{"Authorization": {"Bearer " + e.admin}}
	c, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		t.Fatal(err)
	}
	readWS(t, ctx, c) // session
	if code := e.wsStatus(e.admin, id, nonce); code != 409 {
		t.Errorf("a second stream: %d, want 409 session_busy", code)
	}
	c.Write(ctx, websocket.MessageBinary, []byte("not an image"))
	if m := readWS(t, ctx, c); m["type"] != "error" || m["frame"] != 1.0 {
		t.Errorf("garbage frame: %v, want an error for frame 1", m)
	}
	c.Write(ctx, websocket.MessageText, []byte(`{"type":"dance"}`))
	if m := readWS(t, ctx, c); m["type"] != "error" || m["code"] != "bad_request" {
		t.Errorf("unknown text message: %v, want bad_request", m)
	}
	c.Write(ctx, websocket.MessageBinary, frameOf(1, ""))
	if m := readWS(t, ctx, c); m["type"] != "progress" || m["faces"] != 1.0 {
		t.Errorf("good frame after bad ones: %v, want progress", m)
	}
	c.Write(ctx, websocket.MessageBinary, make([]byte, 10000))
	if _, _, err := c.Read(ctx); websocket.CloseStatus(err) != websocket.StatusMessageTooBig {
		t.Errorf("huge frame: %v, want close 1009", err)
	}
	// The session stays open; a new stream picks it up and finishes it.
	var c2 *websocket.Conn
	for range 50 { // the first stream's handler lets go of the session as it returns
		if c2, _, err = websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: h}); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer c2.CloseNow()
	if m := readWS(t, ctx, c2); m["session"].(map[string]any)["frames"] != 1.0 {
		t.Errorf("reconnected: %v, want the session with its one frame", m)
	}
	c2.Write(ctx, websocket.MessageText, []byte(`{"type":"finish"}`))
	m := readWS(t, ctx, c2)
	if v, _ := m["verdict"].(map[string]any); m["type"] != "verdict" || v["result"] != "not_live" || v["token"] != nil {
		t.Errorf("finish: %v, want not_live without a token", m)
	}
	if code := e.wsStatus(e.admin, id, nonce); code != 409 {
		t.Errorf("stream of an ended session: %d, want 409", code)
	}
}
