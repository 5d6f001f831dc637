package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mienhq/mien/internal/livegen"
	"github.com/mienhq/mien/internal/testenv"
)

func TestEvalGateSpoofUsage(t *testing.T) {
	if code, _, errs := run("eval", "gate-spoof"); code != 2 || !strings.Contains(errs, "--dir") {
		t.Fatalf("no --dir: %d %q", code, errs)
	}
	if code, _, errs := run("eval", "gate-spoof", "--dir", t.TempDir()); code != 1 || !strings.Contains(errs, "no sequences") {
		t.Fatalf("empty dir: %d %q", code, errs)
	}
}

// TestEvalGateSpoofOnCameraClips runs the command over the liveness camera
// clips' frames: the live clip (real photos of one person) is granted at
// the gate, the screen replay never is; the print clip (a printed photo
// tilted as a sheet) is a species the command leaves to the challenge
// sessions (TestGateAntiSpoofOnCameraClips runs it through the gate).
func TestEvalGateSpoofOnCameraClips(t *testing.T) {
	testenv.Pack(t, "standard")
	testenv.Runtime(t)
	clips := testenv.LivenessClips(t)
	report := filepath.Join(t.TempDir(), "gate.json")
	code, out, errs := run("eval", "gate-spoof", "--pack", "standard", "--dir", filepath.Join(clips, "frames"), "--json", report)
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, out, errs)
	}
	t.Log(out)
	var r gateSpoofReport
	b, _ := os.ReadFile(report)
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Sequences) != 2 || len(r.Sets) != 2 || r.Threshold <= 0 || r.Scored == 0 || r.PassiveMS <= 0 {
		t.Fatalf("report %+v", r)
	}
	for _, q := range r.Sequences {
		want := q.Species == livegen.BonaFide
		if q.Granted != want || q.First == "" || len(q.Lives) == 0 {
			t.Errorf("%s (%s): granted %v, first %q, lives %v; want granted %v", q.Name, q.Species, q.Granted, q.First, q.Lives, want)
		}
	}
	for _, s := range r.Sets {
		if s.Wrong != 0 || s.Total != 1 {
			t.Errorf("set %+v", s)
		}
	}
	if !strings.Contains(out, "BPCER") || !strings.Contains(out, "screen_replay") {
		t.Errorf("output %q", out)
	}
}
