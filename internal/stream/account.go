package stream

import (
	"context"
	"maps"
	"time"

	"github.com/mienhq/mien/track"
	"github.com/mienhq/mien/video"
)

// account updates health, the snapshot and the minute counts after a frame.
func (c *camera) account(ctx context.Context, f *video.Frame, res *track.Result, evs []Event, detMS float64) {
	now := f.Time
	if c.fpsStart.IsZero() {
		c.fpsStart = now
	}
	c.fpsN++
	c.mu.Lock()
	h := &c.h
	h.Frames++
	if el := now.Sub(c.fpsStart); el >= time.Second {
		h.FPS = float64(c.fpsN) / el.Seconds()
		c.fpsStart, c.fpsN = now, 0
	}
	if h.DetectMS == 0 {
		h.DetectMS = detMS
	}
	h.DetectMS += 0.1 * (detMS - h.DetectMS)
	h.Tracks = 0
	for _, t := range res.Tracks {
		if t.ID != 0 {
			h.Tracks++
		}
	}
	for _, e := range evs {
		switch e.Kind {
		case KindIn:
			h.In++
		case KindOut:
			h.Out++
		default:
			h.Decisions[e.Kind]++
		}
	}
	if len(c.cfg.Zones) > 0 {
		h.Occupancy = maps.Clone(c.occ)
	}
	c.snap.set(f, res)
	c.mu.Unlock()
	if now.Truncate(time.Minute) != c.minute.Start || now.Sub(c.flushed) >= flushEvery {
		c.flush(ctx, now)
	}
}

// flush reports the minute's counts so far and starts a new report.
func (c *camera) flush(ctx context.Context, now time.Time) {
	m := c.minute
	if !m.Start.IsZero() && (m.In > 0 || m.Out > 0 || len(m.Occupancy) > 0) {
		if err := c.sink.Counts(ctx, c.cfg.ID, m); err != nil && ctx.Err() == nil {
			c.setError(err)
		}
	}
	c.minute = Minute{Start: now.Truncate(time.Minute), Occupancy: map[string]int{}}
	if len(c.cfg.Zones) > 0 {
		maps.Copy(c.minute.Occupancy, c.occ) // who is in a zone now is in it in the new minute too
	}
	c.flushed = now
}
