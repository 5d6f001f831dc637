package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// TestLivenessStreamWaitsForReturn: once every challenge is done, a
// session whose engine says "returning" (the face not yet back at rest as
// the first face) is not decided: the stream prompts the subject to face
// the camera and decides on the frame that brings the face back.
func TestLivenessStreamWaitsForReturn(t *testing.T) {
	e, fake, _ := liveServe(t, liveOpts())
	fake.returnToRest = true
	id, nonce, ks := e.liveStart(e.admin)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws := "ws" + strings.TrimPrefix(e.url, "http") + "/v1/liveness/sessions/" + id + "/stream?nonce=" + nonce
	c, _, err := websocket.Dial(ctx, ws, &websocket.DialOptions{Subprotocols: []string{"mien.liveness.v1", "bearer." + e.admin}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if msg := readWS(t, ctx, c); msg["type"] != "session" {
		t.Fatalf("first message %v", msg)
	}
	frames := passing(1, ks) // rest, then each action followed by rest
	returning := false
	for i, f := range frames {
		if err := c.Write(ctx, websocket.MessageBinary, f); err != nil {
			t.Fatal(err)
		}
		msg := readWS(t, ctx, c)
		if msg["type"] != "progress" {
			t.Fatalf("after frame %d of %d: %v, want progress (the face is not back at rest before the last frame)", i+1, len(frames), msg)
		}
		if msg["returning"] == true {
			returning = true
			if msg["completed"] != float64(len(ks)) || msg["prompt"] != "Face the camera again" || i != len(frames)-2 {
				t.Fatalf("returning after frame %d: %v", i+1, msg)
			}
		}
	}
	if !returning {
		t.Fatal("the stream never said it waited for the return to rest")
	}
	v := readWS(t, ctx, c)
	if vd, _ := v["verdict"].(map[string]any); v["type"] != "verdict" || vd["result"] != "live" {
		t.Fatalf("after the return to rest: %v, want a live verdict", v)
	}
}
