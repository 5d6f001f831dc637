package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/imageio"
	"github.com/mienhq/mien/internal/livegen"
	"github.com/mienhq/mien/internal/testenv"
	"github.com/mienhq/mien/liveness/challenge"
)

func TestEvalLivenessSessionsUsage(t *testing.T) {
	if code, _, errs := run("eval", "liveness-sessions"); code != 2 || !strings.Contains(errs, "--dir") {
		t.Fatalf("no --dir: %d %q", code, errs)
	}
	if code, _, errs := run("eval", "liveness-sessions", "--dir", t.TempDir()); code != 1 || !strings.Contains(errs, "no sequences") {
		t.Fatalf("empty dir: %d %q", code, errs)
	}
}

// TestEvalLivenessSessionsStatic runs the command on two real-frame
// sequences made here: a still photo (an attack, which must be rejected)
// and the same frames expected live (a stand-in bona fide set, so that the
// BPCER line is exercised: it must count the rejection as an error).
func TestEvalLivenessSessionsStatic(t *testing.T) {
	testenv.Pack(t, "standard")
	testenv.Runtime(t)
	data, err := os.ReadFile(testenv.Shared(t, "fixtures/insightface/bulk_Rob_Lowe_0001.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := imageio.Decode(data, imageio.Options{})
	if err != nil {
		t.Fatal(err)
	}
	load := func(livegen.Photo) (*face.Image, error) { return livegen.Canvas(img, false), nil }
	p := livegen.Person{Name: "Rob_Lowe", Rest: livegen.Photo{File: "rob"}, Actions: map[challenge.Kind]livegen.Photo{challenge.TurnLeft: {File: "rob"}}}
	seq, err := livegen.Build(livegen.Spec{Species: livegen.Static, Person: p, Kinds: []challenge.Kind{challenge.TurnLeft}, Seed: 3}, load)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, sp := range []string{livegen.Static, livegen.BonaFide} {
		d := filepath.Join(dir, "sequences", sp, "rob")
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		tr := seq.Truth
		tr.Species, tr.Live, tr.Name = sp, sp == livegen.BonaFide, "rob"
		for i, f := range seq.Frames {
			w, err := os.Create(filepath.Join(d, tr.Frames[i].File))
			if err != nil {
				t.Fatal(err)
			}
			if err := imageio.EncodeJPEG(w, f, 90); err != nil {
				t.Fatal(err)
			}
			w.Close()
		}
		b, _ := json.Marshal(tr)
		if err := os.WriteFile(filepath.Join(d, "truth.json"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	report := filepath.Join(dir, "report.json")
	code, out, errs := run("eval", "liveness-sessions", "--pack", "standard", "--dir", dir, "--json", report)
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, out, errs)
	}
	t.Log(out)
	var r sessionsReport
	b, _ := os.ReadFile(report)
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Sets) != 2 || r.Sets[0].Species != livegen.BonaFide || r.BPCER != 1 || r.APCERMax != 0 || len(r.Sessions) != 2 {
		t.Fatalf("report: sets %+v, BPCER %g, APCER %g", r.Sets, r.BPCER, r.APCERMax)
	}
	s := r.Sessions[1]
	if s.Live || s.Frames != len(seq.Frames) || !strings.Contains(strings.Join(s.Reasons, ";"), "turn_left was not done") || s.DecisionMS <= 0 {
		t.Errorf("static session %+v", s)
	}
	if r.PerFrameMS["mesh"] <= 0 || r.PerFrameMS["detect"] <= 0 || !strings.Contains(out, "static_photo") || !strings.Contains(out, "APCER") {
		t.Errorf("per-frame costs %v; output %q", r.PerFrameMS, out)
	}
	// --strict fails on the bona fide copy that was rejected, naming it, and
	// passes on the attack alone.
	code, _, errs = run("eval", "liveness-sessions", "--pack", "standard", "--dir", dir, "--strict")
	if code != 1 || !strings.Contains(errs, "1 of 2 sessions decided against their truth: bona_fide/rob not live") {
		t.Errorf("--strict with a rejected bona fide: exit %d, %q", code, errs)
	}
	if code, out, errs := run("eval", "liveness-sessions", "--pack", "standard", "--dir", filepath.Join(dir, "sequences", livegen.Static), "--strict"); code != 0 {
		t.Errorf("--strict with the attack rejected: exit %d: %s %s", code, out, errs)
	}
}
