package stream

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/mienhq/mien/count"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/track"
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

// TestStopWhereStopsAtOnce: StopWhere halts the matching cameras before it
// returns (their sources stopped, their goroutines ended), leaves them
// listed as failed with the reason, leaves the others running, and a later
// Apply of the same configuration starts the camera again.
func TestStopWhereStopsAtOnce(t *testing.T) {
	srcs := map[string]*idleSource{}
	var mu sync.Mutex
	m, _ := New(context.Background(), Options{Detector: &truthDetector{}, Sink: newSink(), Gate: func(Config) (Gate, error) { return nopGate{}, nil },
		NewSource: func(cfg Config) (Source, error) {
			mu.Lock()
			defer mu.Unlock()
			s := &idleSource{}
			srcs[cfg.ID] = s
			return s, nil
		}})
	defer m.Close()
	cfgs := []Config{
		{ID: "a1", Tenant: "a", Collection: "col_1", Source: "rtsp://cam/1", Mode: ModeGate, FPS: 5, Width: 64, Height: 64},
		{ID: "a2", Tenant: "a", Collection: "col_2", Source: "rtsp://cam/2", Mode: ModeGate, FPS: 5, Width: 64, Height: 64},
		{ID: "b1", Tenant: "b", Collection: "col_1", Source: "rtsp://cam/3", Mode: ModeGate, FPS: 5, Width: 64, Height: 64},
	}
	for _, c := range cfgs {
		if err := m.Apply(c); err != nil {
			t.Fatal(err)
		}
		waitState(t, m, c.ID, StateRunning, 5*time.Second)
	}
	stopped := m.StopWhere(func(c Config) bool { return c.Tenant == "a" && c.Collection == "col_1" }, "collection deleted")
	if len(stopped) != 1 || stopped[0] != "a1" {
		t.Fatalf("stopped %v, want [a1]", stopped)
	}
	mu.Lock()
	a1 := srcs["a1"]
	mu.Unlock()
	if a1.ctx.Err() == nil {
		t.Error("a1's source still running after StopWhere returned")
	}
	if h, err := m.Health("a1"); err != nil || h.State != StateFailed || h.LastError != "collection deleted" {
		t.Errorf("a1 after StopWhere: %+v %v, want failed with the reason", h, err)
	}
	for _, id := range []string{"a2", "b1"} {
		if h, _ := m.Health(id); h.State != StateRunning {
			t.Errorf("%s: %s, want running (it does not match)", id, h.State)
		}
	}
	if again := m.StopWhere(func(c Config) bool { return c.ID == "a1" }, "again"); len(again) != 0 {
		t.Errorf("a stopped camera matched again: %v", again)
	}
	if err := m.Apply(cfgs[0]); err != nil {
		t.Fatal(err)
	}
	waitState(t, m, "a1", StateRunning, 5*time.Second)
}

type nopGate struct{}

func (nopGate) Observe(context.Context, *video.Frame, []face.Detection, *track.Result) ([]Decision, error) {
	return nil, nil
}
func (nopGate) Close() error { return nil }
