package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mienhq/mien/count"
	"github.com/mienhq/mien/detect"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/imageio"
	"github.com/mienhq/mien/internal/testclips"
	"github.com/mienhq/mien/internal/testenv"
)

// truthDetector plays a clip's ground-truth boxes back as detections, one
// frame per call, so watch's tracking and counting are tested without models.
type truthDetector struct {
	boxes [][]testclips.Box
	calls int
}

func (d *truthDetector) Detect(_ context.Context, _ *face.Image, _ detect.Options) ([]face.Detection, error) {
	var out []face.Detection
	if d.calls < len(d.boxes) {
		for _, b := range d.boxes[d.calls] {
			if b.Occluded < 0.5 && b.Box.Dx() >= 24 { // what a detector could see
				out = append(out, face.Detection{Box: b.Box, Score: 0.9})
			}
		}
	}
	d.calls++
	return out, nil
}

func patchFace(c [3]uint8) *face.Image {
	m := face.NewImage(32, 32)
	for i := 0; i < len(m.Pix); i += 3 {
		copy(m.Pix[i:], c[:])
	}
	return m
}

// TestWatchCountsGroundTruth runs watch's loop on a generated clip read by
// ffmpeg, with the true boxes as detections: the counts match the truth.
func TestWatchCountsGroundTruth(t *testing.T) {
	ff, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("ffmpeg not found: apt-get install -y ffmpeg")
	}
	var faces []testclips.NamedFace
	for i, c := range [][3]uint8{{200, 30, 30}, {30, 200, 30}, {30, 30, 200}, {200, 200, 30}, {200, 30, 200}, {30, 200, 200}} {
		faces = append(faces, testclips.NamedFace{Name: string(rune('a' + i)), Face: patchFace(c)})
	}
	sc, err := testclips.Default(faces, 320, 180, 10, 9)
	if err != nil {
		t.Fatal(err)
	}
	clip := filepath.Join(t.TempDir(), "walk.mp4")
	if err := testclips.Encode(context.Background(), ff, sc, clip, "mp4"); err != nil {
		t.Fatal(err)
	}
	truth := sc.Truth("walk.mp4")
	wf := watchFlags{fps: 10, width: 320, height: 180, hysteresis: 4, ffmpeg: ff, transport: "tcp"}
	src, err := openWatchSource(clip, wf)
	if err != nil {
		t.Fatal(err)
	}
	src.Start(context.Background())
	defer src.Stop()
	var out bytes.Buffer
	line := count.Line{A: truth.Line[0], B: truth.Line[1]}
	sum, err := watchCount(context.Background(), src, &truthDetector{boxes: truth.Boxes}, line, wf, &out)
	if err != nil {
		t.Fatal(err)
	}
	events := strings.Count(out.String(), "\n")
	if sum.In != truth.In || sum.Out != truth.Out || sum.Frames != uint64(truth.Frames) || events != truth.In+truth.Out {
		t.Errorf("in %d out %d over %d frames (%d events); truth in %d out %d over %d frames\n%s",
			sum.In, sum.Out, sum.Frames, events, truth.In, truth.Out, truth.Frames, out.String())
	}
	if sum.Tracks != uint64(len(truth.People)) {
		t.Errorf("%d tracks for %d people", sum.Tracks, len(truth.People))
	}
}

// TestWatchCommandOnLFWClip is the real thing: the CLI on a clip of LFW
// faces, with the detector of the standard pack.
func TestWatchCommandOnLFWClip(t *testing.T) {
	ff, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("ffmpeg not found: apt-get install -y ffmpeg")
	}
	testenv.Pack(t, "standard")
	testenv.Runtime(t)
	var faces []testclips.NamedFace
	for _, n := range []string{"Aaron_Eckhart", "Kofi_Annan", "Angela_Merkel", "Tony_Blair", "Serena_Williams", "Hugo_Chavez"} {
		data, err := os.ReadFile(testenv.Shared(t, "data/lfw/images/"+n+"/"+n+"_0001.jpg"))
		if err != nil {
			t.Fatal(err)
		}
		img, err := imageio.Decode(data, imageio.Options{})
		if err != nil {
			t.Fatal(err)
		}
		faces = append(faces, testclips.NamedFace{Name: n, Face: img})
	}
	sc, err := testclips.Default(faces, 640, 360, 10, 9)
	if err != nil {
		t.Fatal(err)
	}
	clip := filepath.Join(t.TempDir(), "walk.mp4")
	if err := testclips.Encode(context.Background(), ff, sc, clip, "mp4"); err != nil {
		t.Fatal(err)
	}
	truth := sc.Truth("walk.mp4")
	for _, fps := range []string{"10", "5"} {
		var stdout, stderr bytes.Buffer
		code := Main([]string{"watch", clip, "--count", "320,0,320,360", "--width", "640", "--height", "360", "--fps", fps}, &stdout, &stderr)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr.String())
		}
		var sum map[string]watchSummary
		lines := bufio.NewScanner(&stdout)
		var last string
		for lines.Scan() {
			last = lines.Text()
		}
		if err := json.Unmarshal([]byte(last), &sum); err != nil {
			t.Fatalf("last line %q: %v", last, err)
		}
		s := sum["summary"]
		t.Logf("watch at %s fps: in %d out %d, %d tracks, detect %.1f ms/frame", fps, s.In, s.Out, s.Tracks, s.DetectMS)
		if s.In != truth.In || s.Out != truth.Out {
			t.Errorf("at %s fps counted in %d out %d; truth in %d out %d\n%s", fps, s.In, s.Out, truth.In, truth.Out, stdout.String())
		}
	}
}
