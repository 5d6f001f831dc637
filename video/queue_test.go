package video

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

func TestQueueDropsOldest(t *testing.T) {
	q := newQueue(3)
	var dropped []uint64
	for i := uint64(1); i <= 7; i++ {
		if d := q.push(&Frame{Seq: i}); d != nil {
			dropped = append(dropped, d.Seq)
		}
	}
	if want := []uint64{1, 2, 3, 4}; len(dropped) != len(want) || dropped[0] != 1 || dropped[3] != 4 {
		t.Errorf("dropped %v, want %v", dropped, want)
	}
	q.close(io.EOF)
	ctx := context.Background()
	for _, want := range []uint64{5, 6, 7} {
		f, err := q.pop(ctx)
		if err != nil || f.Seq != want {
			t.Fatalf("pop = %v, %v; want seq %d", f, err, want)
		}
	}
	if _, err := q.pop(ctx); !errors.Is(err, io.EOF) {
		t.Errorf("pop after close = %v, want EOF", err)
	}
}

func TestQueuePopWaitsAndHonoursContext(t *testing.T) {
	q := newQueue(2)
	go func() { time.Sleep(30 * time.Millisecond); q.push(&Frame{Seq: 9}) }()
	f, err := q.pop(context.Background())
	if err != nil || f.Seq != 9 {
		t.Fatalf("pop = %v, %v", f, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if _, err := q.pop(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("pop on empty queue = %v, want deadline", err)
	}
}

func TestQueuePushWait(t *testing.T) {
	q := newQueue(1)
	ctx := context.Background()
	if err := q.pushWait(ctx, &Frame{Seq: 1}); err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() { done <- q.pushWait(ctx, &Frame{Seq: 2}) }()
	select {
	case <-done:
		t.Fatal("pushWait did not wait for room")
	case <-time.After(30 * time.Millisecond):
	}
	if f, _ := q.pop(ctx); f.Seq != 1 {
		t.Fatalf("popped %d", f.Seq)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if f, _ := q.pop(ctx); f.Seq != 2 {
		t.Errorf("popped %d, want 2", f.Seq)
	}
	cctx, cancel := context.WithCancel(ctx)
	q.push(&Frame{Seq: 3})
	cancel()
	if err := q.pushWait(cctx, &Frame{Seq: 4}); !errors.Is(err, context.Canceled) {
		t.Errorf("pushWait on a full queue after cancel = %v", err)
	}
}

func TestHealthJSONOmitsZeroTimes(t *testing.T) {
	b, err := json.Marshal(Health{State: StateIdle})
	if err != nil || strings.Contains(string(b), "0001-01-01") || !strings.Contains(string(b), `"state":"idle"`) {
		t.Errorf("Health JSON %s, %v", b, err)
	}
}

// TestNewestLatestFrameWins: a frame that waited is swapped for the newest
// queued one; the frames skipped are released and counted as dropped, and
// with nothing queued the frame is kept and nothing waits.
func TestNewestLatestFrameWins(t *testing.T) {
	s, err := New("clip.mp4", Options{FFmpeg: "ffmpeg", Width: 2, Height: 2, Queue: 4})
	if err != nil {
		t.Fatal(err)
	}
	for i := uint64(2); i <= 4; i++ {
		s.q.push(&Frame{Seq: i})
	}
	f, n := s.Newest(&Frame{Seq: 1})
	if f.Seq != 4 || n != 3 || s.q.len() != 0 {
		t.Fatalf("newest = seq %d, %d skipped, %d left queued; want seq 4, 3, 0", f.Seq, n, s.q.len())
	}
	if h := s.Health(); h.Dropped != 3 {
		t.Errorf("dropped %d, want the 3 frames skipped", h.Dropped)
	}
	if g, n := s.Newest(f); g != f || n != 0 {
		t.Errorf("nothing queued: got seq %d, %d skipped; want the same frame", g.Seq, n)
	}
	if len(s.free) != 3 {
		t.Errorf("%d frames released to the pool, want 3", len(s.free))
	}
	off, err := New("clip.mp4", Options{FFmpeg: "ffmpeg", Width: 2, Height: 2, NoDrop: true})
	if err != nil {
		t.Fatal(err)
	}
	off.q.push(&Frame{Seq: 2})
	if g, n := off.Newest(&Frame{Seq: 1}); g.Seq != 1 || n != 0 || off.q.len() != 1 {
		t.Errorf("NoDrop source: got seq %d, %d skipped; want every frame kept", g.Seq, n)
	}
}
