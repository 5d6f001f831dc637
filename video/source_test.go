package video

import (
	"context"
	"errors"
	"io"
	"runtime"
	"testing"
	"time"

	"github.com/mienhq/mien/face"
)

// TestFileFrames decodes a generated clip and checks count, order, health
// and the picture itself against the renderer.
func TestFileFrames(t *testing.T) {
	ffmpeg := ffmpegPath(t)
	sc := scene(320, 240, 30)
	clip := makeClip(t, ffmpeg, "mp4", sc)
	base := runtime.NumGoroutine()
	s, err := New(clip, Options{FFmpeg: ffmpeg, Width: 320, Height: 240, Queue: 64})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	want := face.NewImage(320, 240)
	var n uint64
	for {
		f, err := s.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
		if f.Seq != n || f.Time.IsZero() {
			t.Fatalf("frame %d has seq %d, time %v", n, f.Seq, f.Time)
		}
		if _, err := sc.Render(int(n-1), want); err != nil {
			t.Fatal(err)
		}
		if d := meanAbsDiff(f.Image.Pix, want.Pix); d > 6 {
			t.Errorf("frame %d differs from the rendered scene by %.1f per channel", n, d)
		}
		s.Release(f)
	}
	s.Stop()
	h := s.Health()
	if n != 30 || h.FramesIn != 30 || h.FramesOut != 30 || h.Dropped != 0 || h.State != StateEnded || h.Reconnects != 0 {
		t.Errorf("read %d frames; health %+v", n, h)
	}
	settleGoroutines(t, base)
}

func meanAbsDiff(a, b []uint8) float64 {
	var s int
	for i := range a {
		d := int(a[i]) - int(b[i])
		s += max(d, -d)
	}
	return float64(s) / float64(len(a))
}

// TestDropsOldestWhenConsumerIsSlow holds the consumer back until the file
// ends: only the newest Queue frames are left and the rest are counted.
func TestDropsOldestWhenConsumerIsSlow(t *testing.T) {
	ffmpeg := ffmpegPath(t)
	clip := makeClip(t, ffmpeg, "mjpeg", scene(160, 120, 40))
	s, err := New(clip, Options{FFmpeg: ffmpeg, Width: 160, Height: 120, Queue: 3, Format: "mjpeg"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	<-s.Done()
	var seqs []uint64
	err = s.Each(ctx, func(f *Frame) error { seqs = append(seqs, f.Seq); return nil })
	h := s.Health()
	if err != nil || len(seqs) != 3 || seqs[0] != 38 || seqs[2] != 40 {
		t.Errorf("Each = %v, frames %v; want 38..40", err, seqs)
	}
	if h.Dropped != 37 || h.FramesIn != 40 || h.FramesOut != 3 {
		t.Errorf("health %+v; want 37 dropped of 40", h)
	}
}

// TestScaledAndResampled asks for another size and a lower rate.
func TestScaledAndResampled(t *testing.T) {
	ffmpeg := ffmpegPath(t)
	clip := makeClip(t, ffmpeg, "mp4", scene(320, 240, 40)) // 4 s at 10 fps
	s, err := New(clip, Options{FFmpeg: ffmpeg, Width: 128, Height: 72, FPS: 5, Queue: 64})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	n := 0
	err = s.Each(ctx, func(f *Frame) error {
		n++
		if f.Image.W != 128 || f.Image.H != 72 || len(f.Image.Pix) != 128*72*3 {
			t.Errorf("frame is %dx%d", f.Image.W, f.Image.H)
		}
		// 4:3 into 16:9: black bars left and right
		if r, g, b := f.Image.At(2, 36); r+g+b > 30 {
			t.Errorf("no pillar-box padding: %d %d %d", r, g, b)
		}
		return nil
	})
	if err != nil || n < 19 || n > 21 {
		t.Errorf("Each = %v after %d frames; want about 20 at 5 fps", err, n)
	}
}

// TestStopUnblocksConsumer: Next waiting on a live source returns ErrStopped after Stop.
func TestStopUnblocksConsumer(t *testing.T) {
	ffmpeg := ffmpegPath(t)
	clip := makeClip(t, ffmpeg, "mp4", scene(160, 120, 20))
	base := runtime.NumGoroutine()
	s, err := New(clip, Options{FFmpeg: ffmpeg, Width: 160, Height: 120, Loop: true, Realtime: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err == nil {
		t.Error("second Start succeeded")
	}
	ctx := context.Background()
	waitFor(t, 10*time.Second, "frames", func() bool { return s.Health().FramesIn >= 3 })
	go func() { time.Sleep(100 * time.Millisecond); s.Stop() }()
	for {
		f, err := s.Next(ctx)
		if err != nil {
			if !errors.Is(err, ErrStopped) {
				t.Errorf("Next after Stop = %v, want ErrStopped", err)
			}
			break
		}
		s.Release(f)
	}
	if h := s.Health(); h.State != StateStopped {
		t.Errorf("state %s, want stopped", h.State)
	}
	settleGoroutines(t, base)
}

// TestNoDropWaitsForTheConsumer: with NoDrop a slow consumer gets every frame.
func TestNoDropWaitsForTheConsumer(t *testing.T) {
	ffmpeg := ffmpegPath(t)
	clip := makeClip(t, ffmpeg, "mp4", scene(160, 120, 30))
	s, err := New(clip, Options{FFmpeg: ffmpeg, Width: 160, Height: 120, Queue: 2, NoDrop: true,
		StallTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	s.Start(context.Background())
	defer s.Stop()
	var seqs []uint64
	err = s.Each(context.Background(), func(f *Frame) error {
		time.Sleep(15 * time.Millisecond) // slower than the decoder; 30 frames outlast StallTimeout
		seqs = append(seqs, f.Seq)
		return nil
	})
	h := s.Health()
	if err != nil || len(seqs) != 30 || seqs[29] != 30 || h.Dropped != 0 || h.Reconnects != 0 {
		t.Errorf("Each = %v, %d frames, health %+v; want all 30, none dropped", err, len(seqs), h)
	}
}
