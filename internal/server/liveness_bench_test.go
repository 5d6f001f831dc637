package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/mienhq/mien/internal/server"
)

// BenchmarkLivenessStreamFrame is the transport's own cost per frame: one
// small PNG frame over the WebSocket, decoded, given to a fake engine
// session and answered with a progress message (the real engine's
// measurement is BenchmarkLivenessSessionAddFrame in the root package).
func BenchmarkLivenessStreamFrame(b *testing.B) {
	t := &testing.T{} // the server helpers take a *testing.T; its cleanups do not run in a benchmark (the process ends after it)
	e, _, _ := liveServe(t, server.LivenessOptions{MaxFrames: 1 << 30, TTL: 10 * time.Minute})
	e.t = t
	id, nonce, _ := e.liveStart(e.admin)
	ctx := context.Background()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(e.url, "http")+"/v1/liveness/sessions/"+id+"/stream?nonce="+nonce,
		&websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + e.admin}}})
	if err != nil {
		b.Fatal(err)
	}
	defer c.CloseNow()
	if _, _, err := c.Read(ctx); err != nil {
		b.Fatal(err)
	}
	frame := frameOf(1, "")
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := c.Write(ctx, websocket.MessageBinary, frame); err != nil {
			b.Fatal(err)
		}
		if _, _, err := c.Read(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
