package cli

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/mienhq/mien/detect"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/internal/testclips"
)

// slowDetector finds nothing and takes its time, so a camera falls behind.
type slowDetector struct{ d time.Duration }

func (s slowDetector) Detect(context.Context, *face.Image, detect.Options) ([]face.Detection, error) {
	time.Sleep(s.d)
	return nil, nil
}

// TestBenchCamerasCountsDrops: two looped cameras at their own pace with a
// detector slower than the frame rate: frames are analysed, the ones the
// detector could not take are dropped and counted (never queued without
// bound), and every delivered frame is accounted for.
func TestBenchCamerasCountsDrops(t *testing.T) {
	ff, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("ffmpeg not found: apt-get install -y ffmpeg")
	}
	var faces []testclips.NamedFace
	for i, c := range [][3]uint8{{200, 30, 30}, {30, 200, 30}, {30, 30, 200}, {200, 200, 30}} {
		faces = append(faces, testclips.NamedFace{Name: string(rune('a' + i)), Face: patchFace(c)})
	}
	sc, err := testclips.Default(faces, 320, 180, 20, 3)
	if err != nil {
		t.Fatal(err)
	}
	clip := filepath.Join(t.TempDir(), "cam.mp4")
	if err := testclips.Encode(context.Background(), ff, sc, clip, "mp4"); err != nil {
		t.Fatal(err)
	}
	for _, latest := range []bool{false, true} {
		bf := camBenchFlags{clip: clip, streams: 2, fps: 20, width: 160, height: 90, seconds: 3, threads: 1, scale: "fast_bilinear", minSize: 8,
			latest: latest, slots: 1}
		rep, err := benchCameras(context.Background(), ff, slowDetector{100 * time.Millisecond}, bf)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("latest %v: delivered %d, analysed %d, dropped %d, decode %.4f CPU-s/frame, age %.0f ms (max %.0f)",
			latest, rep.Delivered, rep.Analysed, rep.Dropped, rep.DecodeCPU, rep.LatencyMS, rep.LatencyMaxMS)
		// 10 frames/s analysed at most per camera against 20 delivered (one
		// detector slot for both with latest: 5 each): about half dropped
		if rep.Analysed == 0 || rep.Analysed > 2*35 || rep.Dropped == 0 || rep.Delivered < rep.Analysed+rep.Dropped {
			t.Fatalf("latest %v: delivered %d, analysed %d, dropped %d", latest, rep.Delivered, rep.Analysed, rep.Dropped)
		}
		for i, st := range rep.PerStream {
			if st.Health.Queued > 4 {
				t.Fatalf("camera %d queued %d frames, over the bound of 4", i, st.Health.Queued)
			}
		}
		// (frame ages are logged, not asserted: they depend on the load;
		// TestNewestLatestFrameWins and TestCameraTakesNewestFrameInItsSlot
		// check the mechanism)
	}
}
