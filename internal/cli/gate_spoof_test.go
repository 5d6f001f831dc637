package cli

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mienhq/mien/internal/gallery"
	"github.com/mienhq/mien/internal/testclips"
	"github.com/mienhq/mien/internal/testenv"
)

// TestGateAntiSpoofOnCameraClips runs the access gate, anti-spoofing on,
// over the liveness camera clips (scripts/liveness-clips.sh: real LFW
// photos of one person in front of the camera, a halftone print of one of
// them turned as a sheet, a recorded pass replayed on a screen), with that
// person enrolled from another photo: the live clip is granted; the print
// and the screen are denied_not_live and never granted. With anti-spoofing
// off, the print is granted: the check is what stops it.
func TestGateAntiSpoofOnCameraClips(t *testing.T) {
	testenv.Pack(t, "standard")
	testenv.Runtime(t)
	lfw := testenv.Shared(t, "data/lfw/images")
	clips := testenv.LivenessClips(t)
	eng := testenv.Engine(t, "standard")
	ctx := context.Background()
	// the clips show Tony_Blair_0045, 0049, 0071 and 0101; the gallery
	// enrols Tony_Blair_0002
	truth := testclips.Truth{People: []testclips.Person{{Name: "Tony_Blair", Enrolled: true}}}
	rig, err := newGateRig(ctx, eng, truth, lfw)
	if err != nil {
		t.Fatal(err)
	}
	defer rig.close()
	var warnings bytes.Buffer
	run := func(clip string, antiSpoof bool) (granted, notLive int, lives []float32) {
		t.Helper()
		wf := cameraFlags()
		wf.fps, wf.width, wf.height, wf.antiSpoof, wf.stderr = 10, 640, 480, antiSpoof, &warnings
		if !strings.Contains(clip, "/") {
			clip = filepath.Join(clips, clip+".y4m")
		}
		src, err := openWatchSource(clip, wf)
		if err != nil {
			t.Fatal(err)
		}
		if err := src.Start(ctx); err != nil {
			t.Fatal(err)
		}
		defer src.Stop()
		_, err = runGatePipe(ctx, src, eng, rig.gal.GateMatcher(rig.col, gallery.Policy{FPIR: wf.fpir}), wf, func(ev watchEvent) error {
			t.Logf("%s (anti-spoof %v): %s subject %q score %.3f live %.3f at %.1f s", clip, antiSpoof, ev.Event, ev.Subject, ev.Score, ev.Live, ev.Seconds)
			switch ev.Event {
			case "granted":
				granted++
			case "denied_not_live":
				notLive++
			}
			if ev.Event == "granted" || ev.Event == "denied_not_live" {
				lives = append(lives, ev.Live)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return granted, notLive, lives
	}
	if g, n, _ := run("pass", true); g == 0 || n != 0 {
		t.Errorf("the live clip: %d grants, %d denied_not_live; want granted and never denied as not live", g, n)
	}
	for _, clip := range []string{"print", "screen"} {
		if g, n, _ := run(clip, true); g != 0 || n == 0 {
			t.Errorf("the %s clip: %d grants, %d denied_not_live; want denied_not_live and never granted", clip, g, n)
		}
	}
	if g, _, _ := run("print", false); g == 0 {
		t.Errorf("the print clip with anti-spoofing off was not granted: the test shows nothing about the check")
	}
	if warnings.Len() != 0 {
		t.Errorf("warnings on colour clips: %q", warnings.String())
	}
	// an infrared (grey) camera: denied as not live, and the gate says why, once
	grey := filepath.Join(t.TempDir(), "grey.mp4")
	if out, err := exec.Command("ffmpeg", "-v", "error", "-i", filepath.Join(clips, "pass.y4m"), "-vf", "hue=s=0", "-c:v", "libx264", "-crf", "18", grey).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v %s", err, out)
	}
	if g, n, _ := run(grey, true); g != 0 || n == 0 || strings.Count(warnings.String(), "no colour") != 1 || !strings.Contains(warnings.String(), "--anti-spoof=false") {
		t.Errorf("the grey clip: %d grants, %d denied_not_live, warnings %q; want denied_not_live and one warning naming --anti-spoof=false", g, n, warnings.String())
	}
}
