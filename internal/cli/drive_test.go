package cli

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/mienhq/mien/driver"
	"github.com/mienhq/mien/internal/testenv"
)

var (
	faceClipsOnce sync.Once
	faceClipsDir  string
	faceClipsErr  error
)

// faceClips makes the driver clips from real photos once per test run
// (scripts/face-clips.sh: eyes open 3 s, closed 3 s, open 3 s; and 6 s of
// open eyes).
func faceClips(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not found: apt-get install -y ffmpeg")
	}
	testenv.Pack(t, "standard")
	testenv.Runtime(t)
	shared := filepath.Dir(testenv.Shared(t, "fixtures"))
	faceClipsOnce.Do(func() {
		faceClipsDir, faceClipsErr = os.MkdirTemp("", "mien-face-clips-")
		if faceClipsErr != nil {
			return
		}
		cmd := exec.Command("bash", "../../scripts/face-clips.sh", faceClipsDir, "driver")
		cmd.Env = append(os.Environ(), "SHARED="+shared)
		if out, err := cmd.CombinedOutput(); err != nil {
			faceClipsErr = err
			t.Logf("face-clips.sh: %s", out)
		}
	})
	if faceClipsErr != nil {
		t.Fatal(faceClipsErr)
	}
	return faceClipsDir
}

// jsonLines splits drive's output into its event lines and its summary.
func jsonLines(t *testing.T, out string) (evs []driver.Event, sum driveSummary) {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, `{"summary"`) {
			var s map[string]driveSummary
			if err := json.Unmarshal([]byte(line), &s); err != nil {
				t.Fatal(err)
			}
			sum = s["summary"]
			continue
		}
		var ev driver.Event
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		evs = append(evs, ev)
	}
	return evs, sum
}

// TestDriveOnPhotoClips: on a clip made from real photos with the eyes
// closed for 3 s, drive prints one long-closure alarm at about 1 s into the
// closure, writes the timeline and exits 4; on the open-eyed clip it prints
// nothing but the summary and exits 0.
func TestDriveOnPhotoClips(t *testing.T) {
	dir := faceClips(t)
	tl := filepath.Join(t.TempDir(), "timeline.json")
	code, out, errs := run("drive", filepath.Join(dir, "drowsy.y4m"), "--fps", "10", "--timeline", tl)
	if code != exitAlert {
		t.Fatalf("drowsy clip: exit %d, want %d; stderr %s", code, exitAlert, errs)
	}
	evs, sum := jsonLines(t, out)
	if len(evs) != 1 || evs[0].Kind != driver.LongClosure || evs[0].Level != driver.Alarm || evs[0].T < 3.9 || evs[0].T > 4.4 {
		t.Fatalf("drowsy clip: want one long_closure alarm near 4 s, got %+v", evs)
	}
	if sum.Frames != 90 || sum.FaceFrames < 85 || sum.Alerts != 1 || sum.MaxLevel != driver.Alarm {
		t.Fatalf("drowsy clip summary: %+v", sum)
	}
	b, err := os.ReadFile(tl)
	if err != nil {
		t.Fatal(err)
	}
	var timeline driver.Timeline
	if err := json.Unmarshal(b, &timeline); err != nil {
		t.Fatal(err)
	}
	if len(timeline.Points) != sum.Frames || len(timeline.Events) < 3 {
		t.Fatalf("timeline: %d points for %d frames, %d events", len(timeline.Points), sum.Frames, len(timeline.Events))
	}
	code, out, errs = run("drive", filepath.Join(dir, "awake.y4m"), "--fps", "10", "--text")
	if code != exitOK || strings.Count(out, "\n") != 1 || !strings.Contains(out, `"alerts":0`) {
		t.Fatalf("awake clip: exit %d, output %q, stderr %s", code, out, errs)
	}
}

// TestDriveUsage: a missing source, a bad rate or a scheme that is not a
// video source is a usage error (exit 2).
func TestDriveUsage(t *testing.T) {
	if code, _, errs := run("drive"); code != exitUsage || !strings.Contains(errs, "give one SOURCE") {
		t.Fatalf("no source: %d %s", code, errs)
	}
	if code, _, errs := run("drive", "x.mp4", "--fps", "0"); code != exitUsage || !strings.Contains(errs, "--fps") {
		t.Fatalf("bad fps: %d %s", code, errs)
	}
	if code, _, errs := run("drive", "ftp://example/x"); code != exitUsage {
		t.Fatalf("bad scheme: %d %s", code, errs)
	}
}
