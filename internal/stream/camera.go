package stream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/mienhq/mien/count"
	"github.com/mienhq/mien/detect"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/track"
	"github.com/mienhq/mien/video"
)

// Camera states.
const (
	StateStarting = "starting"
	StateRunning  = "running"
	StateEnded    = "ended"  // a file source reached its end
	StateFailed   = "failed" // could not start (bad source, gate unavailable), or stopped by StopWhere
	StateStopped  = "stopped"
)

// Health is one camera's state and counters since it (re)started.
type Health struct {
	ID        string         `json:"id"`
	Name      string         `json:"name"`
	Mode      string         `json:"mode"`
	State     string         `json:"state"`
	Started   time.Time      `json:"started"`
	Frames    uint64         `json:"frames"`     // frames analysed
	FPS       float64        `json:"fps"`        // frames analysed per second, recently
	Tracks    int            `json:"tracks"`     // confirmed tracks now
	In        int64          `json:"in"`         // line crossings since start
	Out       int64          `json:"out"`        //
	Decisions map[string]int `json:"decisions"`  // gate decisions since start, by kind
	Occupancy map[string]int `json:"occupancy"`  // people per zone now
	DetectMS  float64        `json:"detect_ms"`  // detection time per frame, recent average
	LastError string         `json:"last_error"` // the last detection, gate or sink error
	Source    video.Health   `json:"source"`     // the frame source: fps in, dropped, reconnects
}

// flushEvery is how often partial minute counts reach the sink.
const flushEvery = 5 * time.Second

// camera is one running camera.
type camera struct {
	cfg    Config // with defaults filled in
	given  Config // as applied: Apply compares the next config with it
	src    Source
	det    Detector
	slots  chan struct{} // shared by the Manager's cameras: one per detector session
	gate   Gate
	sink   Sink
	log    *slog.Logger
	cancel context.CancelFunc
	done   chan struct{}

	mu   sync.Mutex // guards h, snap and taps
	h    Health
	snap snapshot
	taps map[*tap]bool // frames copied out for liveness sessions (Manager.Tap)

	// owned by the run goroutine
	tr       *track.Tracker
	counter  *count.Counter
	minute   Minute
	flushed  time.Time
	occ      map[string]int
	points   []face.Point
	dets     []track.Detection
	fpsStart time.Time
	fpsN     int
}

func (c *camera) setError(err error) {
	c.mu.Lock()
	c.h.LastError = err.Error()
	c.mu.Unlock()
	c.log.Warn("camera", "camera", c.cfg.ID, "err", err)
}

// run reads frames until the source ends or ctx is cancelled.
func (c *camera) run(ctx context.Context) {
	defer close(c.done)
	defer c.src.Stop()
	if c.gate != nil {
		defer c.gate.Close()
	}
	state := StateStopped
	defer func() {
		c.flush(context.WithoutCancel(ctx), time.Now())
		c.mu.Lock()
		c.h.State = state
		for t := range c.taps {
			close(t.ch)
		}
		c.taps = nil
		c.mu.Unlock()
	}()
	if err := c.src.Start(ctx); err != nil {
		c.setError(err)
		state = StateFailed
		return
	}
	c.mu.Lock()
	c.h.State = StateRunning
	c.mu.Unlock()
	for {
		f, err := c.src.Next(ctx)
		if errors.Is(err, io.EOF) {
			state = StateEnded
			return
		}
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, video.ErrStopped) {
				c.setError(err)
				state = StateEnded
			}
			return
		}
		if f, err = c.newest(ctx, f); err != nil {
			return
		}
		c.give(f)
		c.frame(ctx, f)
		c.src.Release(f)
		<-c.slots
	}
}

// newest waits for a detection slot, then swaps f for the newest frame the
// source queued meanwhile (a video.Source; older ones are dropped and
// counted in its health), so that a camera that waited analyses what it
// sees now. On an error (ctx ended) f is released and no slot is held.
func (c *camera) newest(ctx context.Context, f *video.Frame) (*video.Frame, error) {
	select {
	case c.slots <- struct{}{}:
	case <-ctx.Done():
		c.src.Release(f)
		return nil, ctx.Err()
	}
	if s, ok := c.src.(interface {
		Newest(*video.Frame) (*video.Frame, int)
	}); ok {
		f, _ = s.Newest(f)
	}
	return f, nil
}

// frame analyses one frame: detect, track, then count or gate.
func (c *camera) frame(ctx context.Context, f *video.Frame) {
	t0 := time.Now()
	faces, err := c.det.Detect(ctx, f.Image, detect.Options{MinSize: c.cfg.MinSize})
	if err != nil {
		if ctx.Err() == nil {
			c.setError(fmt.Errorf("stream: detect: %w", err))
		}
		return
	}
	detMS := float64(time.Since(t0).Microseconds()) / 1000
	c.dets = c.dets[:0]
	for _, d := range faces {
		c.dets = append(c.dets, track.Detection{Detection: d})
	}
	res := c.tr.Update(c.dets)
	var evs []Event
	if c.counter != nil {
		evs = c.crossings(f, res)
	}
	for _, t := range res.Ended {
		if c.counter != nil {
			c.counter.Forget(t.ID)
		}
	}
	if c.gate != nil {
		ds, err := c.gate.Observe(ctx, f, faces, res)
		if err != nil {
			c.setError(fmt.Errorf("stream: gate: %w", err))
		}
		for _, d := range ds {
			evs = append(evs, Event{Kind: d.Kind, At: f.Time, Track: d.Track, Subject: d.Subject, Score: d.Score, Box: boxOf(res, d.Track)})
		}
	}
	c.zones(res)
	for _, e := range evs {
		if err := c.sink.Event(ctx, c.cfg.ID, e); err != nil && ctx.Err() == nil {
			c.setError(fmt.Errorf("stream: event: %w", err))
		}
	}
	c.account(ctx, f, res, evs, detMS)
}

func boxOf(res *track.Result, id uint64) face.Rect {
	for _, t := range res.Tracks {
		if t.ID == id {
			return t.Box
		}
	}
	return face.Rect{}
}

// crossings feeds confirmed, matched tracks to the line counter.
func (c *camera) crossings(f *video.Frame, res *track.Result) []Event {
	var evs []Event
	for _, t := range res.Tracks {
		if t.ID == 0 || t.Det < 0 {
			continue
		}
		switch c.counter.Observe(t.ID, t.Box.Center()) {
		case count.In:
			c.minute.In++
			evs = append(evs, Event{Kind: KindIn, At: f.Time, Track: t.ID, Box: t.Box})
		case count.Out:
			c.minute.Out++
			evs = append(evs, Event{Kind: KindOut, At: f.Time, Track: t.ID, Box: t.Box})
		}
	}
	return evs
}

// zones counts confirmed tracks (matched or coasting) per zone and keeps
// each zone's peak for the minute.
func (c *camera) zones(res *track.Result) {
	if len(c.cfg.Zones) == 0 {
		return
	}
	c.points = c.points[:0]
	for _, t := range res.Tracks {
		if t.ID != 0 {
			c.points = append(c.points, t.Box.Center())
		}
	}
	Occupancy(c.cfg.Zones, c.points, c.occ)
	for z, n := range c.occ {
		c.minute.Occupancy[z] = max(c.minute.Occupancy[z], n)
	}
}
