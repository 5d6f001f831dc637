package stream

import (
	"context"
	"testing"
	"time"

	"github.com/mienhq/mien/count"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/video"
)

// idleSource delivers frames of one colour every 10 ms until stopped.
type idleSource struct {
	ctx    context.Context
	cancel context.CancelFunc
	seq    uint64
}

func (s *idleSource) Start(ctx context.Context) error {
	s.ctx, s.cancel = context.WithCancel(ctx)
	return nil
}

func (s *idleSource) Next(ctx context.Context) (*video.Frame, error) {
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-s.ctx.Done():
		return nil, video.ErrStopped
	case <-time.After(10 * time.Millisecond):
	}
	s.seq++
	return &video.Frame{Seq: s.seq, Time: time.Now(), Image: face.NewImage(64, 64)}, nil
}

func (s *idleSource) Release(*video.Frame) {}
func (s *idleSource) Health() video.Health { return video.Health{State: video.StateRunning} }
func (s *idleSource) Stop()                { s.cancel() }

// TestApplyRestartsOnlyOnChange: applying the same configuration keeps the
// camera running as it is; a changed one restarts it; Remove stops it.
func TestApplyRestartsOnlyOnChange(t *testing.T) {
	opened := 0
	m, _ := New(context.Background(), Options{Detector: &truthDetector{}, Sink: newSink(),
		NewSource: func(Config) (Source, error) { opened++; return &idleSource{}, nil }})
	defer m.Close()
	line := count.Line{A: face.Point{X: 32, Y: 0}, B: face.Point{X: 32, Y: 64}}
	cfg := Config{ID: "c", Source: "rtsp://cam/x", Mode: ModeCount, Line: &line, FPS: 5, Width: 64, Height: 64}
	if err := m.Apply(cfg); err != nil {
		t.Fatal(err)
	}
	h1 := waitState(t, m, "c", StateRunning, 5*time.Second)
	cp := cfg
	l2 := line
	cp.Line = &l2 // equal values, another pointer
	m.Apply(cp)
	if h, _ := m.Health("c"); !h.Started.Equal(h1.Started) || opened != 1 {
		t.Errorf("an unchanged config restarted the camera (%d sources opened)", opened)
	}
	cfg.FPS = 10
	m.Apply(cfg)
	h2 := waitState(t, m, "c", StateRunning, 5*time.Second)
	if h2.Started.Equal(h1.Started) || opened != 2 {
		t.Errorf("a changed config did not restart the camera (%d sources opened)", opened)
	}
	m.Remove("c")
	if _, err := m.Health("c"); err != ErrNoCamera {
		t.Errorf("after Remove: %v", err)
	}
}
