package video

import (
	"sync"
	"time"
)

// State is where a Source is in its lifecycle.
type State string

// Source states.
const (
	StateIdle       State = "idle"       // created, not started
	StateConnecting State = "connecting" // ffmpeg started, waiting for the first frame
	StateRunning    State = "running"    // frames arriving
	StateBackoff    State = "backoff"    // waiting before a reconnect
	StateEnded      State = "ended"      // a file reached its end, or MaxAttempts failed
	StateStopped    State = "stopped"    // stopped by Stop or its context
)

// Health is a snapshot of a Source's counters.
type Health struct {
	State       State     `json:"state"`
	FPSIn       float64   `json:"fps_in"`     // frames decoded per second, over the last second or so
	FPSOut      float64   `json:"fps_out"`    // frames taken by the consumer per second
	FramesIn    uint64    `json:"frames_in"`  // frames decoded since Start
	FramesOut   uint64    `json:"frames_out"` // frames taken by the consumer
	Dropped     uint64    `json:"dropped"`    // frames dropped because the queue was full, or skipped by Newest
	Queued      int       `json:"queued"`     // frames waiting in the queue now
	Reconnects  int       `json:"reconnects"` // ffmpeg restarts after the first attempt
	LastError   string    `json:"last_error"` // the last failure, "" if none
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
	LastFrame   time.Time `json:"last_frame,omitzero"` // when the last frame was decoded
}

// meter measures a rate over windows of about a second.
type meter struct {
	start time.Time
	count int
	rate  float64
	last  time.Time
}

func (m *meter) mark(now time.Time) {
	if m.start.IsZero() {
		m.start = now
	}
	m.count++
	m.last = now
	if el := now.Sub(m.start); el >= time.Second {
		m.rate = float64(m.count) / el.Seconds()
		m.start, m.count = now, 0
	}
}

// value is the last rate, or 0 once no event came for two seconds.
func (m *meter) value(now time.Time) float64 {
	if m.last.IsZero() || now.Sub(m.last) > 2*time.Second {
		return 0
	}
	return m.rate
}

// stats is the mutable side of Health, guarded by mu.
type stats struct {
	mu      sync.Mutex
	h       Health
	in, out meter
}

func (s *stats) update(f func(h *Health)) {
	s.mu.Lock()
	f(&s.h)
	s.mu.Unlock()
}

func (s *stats) setState(st State) { s.update(func(h *Health) { h.State = st }) }

func (s *stats) fail(err error) {
	now := time.Now()
	s.update(func(h *Health) { h.LastError, h.LastErrorAt = err.Error(), now })
}

func (s *stats) frameIn(now time.Time, dropped bool) {
	s.mu.Lock()
	s.h.FramesIn++
	s.h.LastFrame = now
	if dropped {
		s.h.Dropped++
	}
	s.in.mark(now)
	s.mu.Unlock()
}

// skipped counts frames taken from the queue and dropped unanalysed (Newest).
func (s *stats) skipped(n int) {
	s.mu.Lock()
	s.h.FramesOut += uint64(n)
	s.h.Dropped += uint64(n)
	s.mu.Unlock()
}

func (s *stats) frameOut(now time.Time) {
	s.mu.Lock()
	s.h.FramesOut++
	s.out.mark(now)
	s.mu.Unlock()
}

func (s *stats) snapshot(queued int) Health {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.h
	h.FPSIn, h.FPSOut, h.Queued = s.in.value(now), s.out.value(now), queued
	return h
}
