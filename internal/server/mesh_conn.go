package server

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/mienhq/mien/driver"
	"github.com/mienhq/mien/effects"
	"github.com/mienhq/mien/mesh"
)

// meshConn is one mesh stream connection: a reader that keeps the newest
// frame and a processor that meshes it and answers.
type meshConn struct {
	c      *websocket.Conn
	mode   string
	tr     *mesh.Tracker
	detect mesh.Detector
	opts   MeshStreamOptions
	mon    *driver.Monitor
	fx     *effects.Renderer
	start  time.Time
	lastT  float64

	wake chan struct{}
	mu   sync.Mutex // guards the fields below, shared with the reader
	next []byte     // the newest frame not yet processed
	at   time.Time  // when next arrived
	tok  float64    // rate tokens
	last time.Time  // last token refill
	par  effectParams
	bad  error // a text message that could not be read

	frames, dropped int
}

func newMeshConn(c *websocket.Conn, mode string, m *mesh.Model, det mesh.Detector, fx effectParams, o MeshStreamOptions) *meshConn {
	// the rate's bucket starts full: a client that sends its next frame as
	// soon as an answer comes may send the first few faster than the rate
	// (a warm mesh answers in 10-20 ms, under the 33 ms of 30 frames/s), and
	// a frame dropped there gets no answer, so such a client waited for
	// the idle timeout (TestMeshStreamModes failed so once in CI)
	mc := &meshConn{c: c, mode: mode, detect: det, opts: o, start: time.Now(), wake: make(chan struct{}, 1), par: fx, tok: meshBurst(o)}
	mc.tr = mesh.NewTracker(m, mesh.TrackOptions{Smooth: true})
	if mode == "driver" {
		mc.mon, _ = driver.New(driver.Options{}) // default options always validate
	}
	if mode == "effects" {
		mc.fx = effects.NewRenderer()
	}
	return mc
}

// run serves the connection until the client leaves, a limit is reached or
// ctx ends, and says why it closed. The reader has a context of its own so
// that the close handshake can still be read after ctx's deadline.
func (mc *meshConn) run(ctx context.Context) string {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	rctx, rcancel := context.WithCancel(context.WithoutCancel(ctx))
	defer rcancel()
	readErr := make(chan error, 1)
	go func() { readErr <- mc.read(rctx); cancel() }()
	status, reason := mc.process(ctx)
	select {
	case err := <-readErr: // the client left or broke a limit
		if websocket.CloseStatus(err) == websocket.StatusMessageTooBig {
			return fmt.Sprintf("frame over %d bytes", mc.opts.MaxFrameBytes)
		}
		mc.c.CloseNow()
		return "client closed"
	default:
	}
	mc.c.Close(status, reason) // waits (5 s at most) for the client's close
	rcancel()
	<-readErr
	return reason
}

// read takes the client's messages: each frame replaces any frame still
// waiting, and frames over the rate are dropped at once.
func (mc *meshConn) read(ctx context.Context) error {
	burst := meshBurst(mc.opts)
	for {
		typ, data, err := mc.c.Read(ctx)
		if err != nil {
			return err
		}
		now := time.Now()
		mc.mu.Lock()
		if typ == websocket.MessageText {
			mc.bad = mc.par.update(data)
			mc.mu.Unlock()
			mc.poke()
			continue
		}
		if !mc.last.IsZero() {
			mc.tok = math.Min(burst, mc.tok+now.Sub(mc.last).Seconds()*mc.opts.MaxFPS)
		}
		mc.last = now
		switch {
		case mc.tok < 1:
			mc.dropped++
		default:
			mc.tok--
			if mc.next != nil {
				mc.dropped++
			}
			mc.next, mc.at = data, now
		}
		mc.mu.Unlock()
		mc.poke()
	}
}

// meshBurst is how many frames a connection may send at once: a fifth of
// a second's worth at the rate, at least one.
func meshBurst(o MeshStreamOptions) float64 { return math.Max(1, o.MaxFPS/5) }

func (mc *meshConn) poke() {
	select {
	case mc.wake <- struct{}{}:
	default:
	}
}

// process handles the newest frame whenever one is there; it returns the
// close status and reason.
func (mc *meshConn) process(ctx context.Context) (websocket.StatusCode, string) {
	idle := time.NewTimer(mc.opts.Idle)
	defer idle.Stop()
	for {
		select {
		case <-ctx.Done():
			if errors.Is(context.Cause(ctx), context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return websocket.StatusPolicyViolation, "connection time limit reached"
			}
			return websocket.StatusNormalClosure, "closed"
		case <-idle.C:
			return websocket.StatusPolicyViolation, "no frame for " + mc.opts.Idle.String()
		case <-mc.wake:
		}
		mc.mu.Lock()
		data, at, par, bad := mc.next, mc.at, mc.par, mc.bad
		mc.next, mc.bad = nil, nil
		mc.mu.Unlock()
		if bad != nil {
			return websocket.StatusUnsupportedData, bad.Error()
		}
		if data == nil {
			continue
		}
		idle.Reset(mc.opts.Idle)
		if err := mc.frame(ctx, data, at, par); err != nil {
			if ctx.Err() != nil {
				continue // the select above reports why
			}
			return websocket.StatusInternalError, "internal error"
		}
	}
}
