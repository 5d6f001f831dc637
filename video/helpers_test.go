package video

import (
	"context"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/internal/testclips"
)

// ffmpegPath returns Debian's ffmpeg or skips the test.
func ffmpegPath(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("ffmpeg not found: apt-get install -y ffmpeg to run the video tests")
	}
	return p
}

// patch is a synthetic "face": a checker pattern of one colour.
func patch(c [3]uint8) *face.Image {
	m := face.NewImage(64, 64)
	for y := 0; y < 64; y++ {
		for x := 0; x < 64; x++ {
			if (x/8+y/8)%2 == 0 {
				copy(m.Pix[3*(y*64+x):], c[:])
			}
		}
	}
	return m
}

// scene is a small clip with two walkers and known content.
func scene(w, h, frames int) *testclips.Scene {
	return &testclips.Scene{W: w, H: h, FPS: 10, Frames: frames, LineX: float32(w) / 2,
		Walkers: []testclips.Walker{
			{Name: "red", Face: patch([3]uint8{220, 20, 20}), Start: 0, Dir: "in", Y: h / 3, Size: h / 4, Speed: float64(w)},
			{Name: "blue", Face: patch([3]uint8{20, 20, 220}), Start: 0.5, Dir: "out", Y: 2 * h / 3, Size: h / 4, Speed: float64(w)},
		}}
}

// makeClip encodes a clip into a temporary folder and returns its path.
func makeClip(t testing.TB, ffmpeg, format string, sc *testclips.Scene) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "clip."+format)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := testclips.Encode(ctx, ffmpeg, sc, p, format); err != nil {
		t.Fatal(err)
	}
	return p
}

// settleGoroutines waits for the goroutine count to fall back to base.
func settleGoroutines(t *testing.T, base int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > base && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > base {
		buf := make([]byte, 1<<16)
		t.Errorf("goroutines: %d after stop, %d before\n%s", n, base, buf[:runtime.Stack(buf, true)])
	}
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
