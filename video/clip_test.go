package video

import (
	"context"
	"errors"
	"os/exec"
	"testing"
	"time"

	"github.com/mienhq/mien/face"
)

// TestEachClipFrame decodes a clip made by ffmpeg from its standard input:
// the frames come at the asked rate and size, within the duration bound;
// garbage is ErrClip; fn's error stops the decoding.
func TestEachClipFrame(t *testing.T) {
	ff, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("ffmpeg is not installed (apt-get install ffmpeg)")
	}
	clip, err := exec.Command(ff, "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25",
		"-t", "3", "-f", "webm", "pipe:1").Output()
	if err != nil {
		t.Fatal(err)
	}
	opts := ClipOptions{FFmpeg: ff, Width: 64, Height: 48, FPS: 10, MaxSeconds: 1.5}
	var times []time.Duration
	err = EachClipFrame(context.Background(), clip, opts, func(at time.Duration, img *face.Image) error {
		if img.W != 64 || img.H != 48 || img.Valid() != nil {
			t.Fatalf("frame %dx%d", img.W, img.H)
		}
		times = append(times, at)
		return nil
	})
	if err != nil || len(times) != 15 || times[1] != 100*time.Millisecond || times[14] != 1400*time.Millisecond {
		t.Fatalf("%d frames at %v, %v; want 15 frames 100 ms apart", len(times), times, err)
	}
	opts.MaxFrames = 4
	n := 0
	EachClipFrame(context.Background(), clip, opts, func(time.Duration, *face.Image) error { n++; return nil })
	if n != 4 {
		t.Fatalf("%d frames with MaxFrames 4", n)
	}
	if err := EachClipFrame(context.Background(), []byte("not a video at all"), opts, func(time.Duration, *face.Image) error { return nil }); !errors.Is(err, ErrClip) {
		t.Fatalf("garbage: %v, want ErrClip", err)
	}
	stop := errors.New("stop")
	if err := EachClipFrame(context.Background(), clip, opts, func(time.Duration, *face.Image) error { return stop }); err != stop {
		t.Fatalf("fn's error: %v", err)
	}
	if err := EachClipFrame(context.Background(), clip, ClipOptions{}, nil); err == nil {
		t.Fatal("no ffmpeg path: no error")
	}
}
