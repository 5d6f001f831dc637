package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mienhq/mien/internal/testenv"
)

func TestEvalLivenessUsage(t *testing.T) {
	if code, _, errs := run("eval", "liveness", "--bona-fide", t.TempDir()); code != 2 || !strings.Contains(errs, "--attack") {
		t.Fatalf("missing --attack: %d %q", code, errs)
	}
	if code, _, errs := run("eval", "liveness", "--bona-fide", "a", "--attack", "b", "--threshold", "1.5"); code != 2 {
		t.Fatalf("threshold 1.5: %d %q", code, errs)
	}
}

// TestEvalLivenessFixtures scores the labelled fixtures: one attack species
// per sub-directory, the error rates at the given threshold, and the
// threshold chosen for a BPCER target.
func TestEvalLivenessFixtures(t *testing.T) {
	testenv.Pack(t, "standard")
	testenv.Runtime(t)
	dir := t.TempDir()
	link := func(rel, to string) {
		src := testenv.Shared(t, rel)
		dst := filepath.Join(dir, to, filepath.Base(src))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(src, dst); err != nil {
			t.Fatal(err)
		}
	}
	link("fixtures/antispoof/image_T1.jpg", "bona")
	link("fixtures/pexels/pexels-tim-douglas-6567248.jpg", "bona")
	link("fixtures/antispoof/image_F1.jpg", "attack/print")
	link("fixtures/antispoof/image_F2.jpg", "attack/screen")
	link("fixtures/insightface/bulk_rgb_fake.jpg", "attack/screen")
	os.WriteFile(filepath.Join(dir, "attack", "notes.txt"), []byte("not an image"), 0o644)
	report := filepath.Join(dir, "report.json")
	code, out, errs := run("eval", "liveness", "--pack", "standard", "--bona-fide", filepath.Join(dir, "bona"),
		"--attack", filepath.Join(dir, "attack"), "--threshold", "0.42", "--choose-bpcer", "0.5", "--json", report)
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, out, errs)
	}
	var r livenessReport
	b, _ := os.ReadFile(report)
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	if r.Threshold != 0.42 || r.BonaFide.Files != 2 || r.BonaFide.Scored != 2 || len(r.Attacks) != 2 {
		t.Fatalf("report %+v", r)
	}
	for _, s := range r.Attacks {
		want := map[string]int{"print": 1, "screen": 2}[s.Name]
		if s.Files != want || s.Scored != want || s.Error != 0 {
			t.Errorf("species %+v, want %d files all rejected", s, want)
		}
	}
	if r.BPCER != 0 || r.APCER != 0 || r.Chosen == nil || r.Chosen.BPCER > 0.5 || !strings.Contains(out, "APCER") {
		t.Fatalf("rates BPCER %g APCER %g chosen %+v; output %q", r.BPCER, r.APCER, r.Chosen, out)
	}
}
