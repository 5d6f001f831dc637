package cli

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mienhq/mien/internal/testenv"
)

func TestEvalKYCUsage(t *testing.T) {
	if code, _, errs := run("eval", "kyc"); code != 2 || !strings.Contains(errs, "one directory") {
		t.Fatalf("no directory: %d %q", code, errs)
	}
	if code, _, errs := run("eval", "kyc", t.TempDir(), "--far", "0.1", "--no-match-far", "0.01"); code != 2 {
		t.Fatalf("--no-match-far below --far: %d %q", code, errs)
	}
	if code, _, errs := run("eval", "kyc", t.TempDir()); code != 1 || !strings.Contains(errs, "make-documents.sh") {
		t.Fatalf("no truth.json: %d %q", code, errs)
	}
}

// TestEvalKYC makes 12 documents with scripts/docgen (6 per split) and
// evaluates them at coarse rates that 6 documents can calibrate (30
// impostor pairs): every portrait is found where it was printed, the
// calibration is the calib split's, and the report split's figures add up.
func TestEvalKYC(t *testing.T) {
	testenv.Pack(t, "standard")
	testenv.Runtime(t)
	lfw := testenv.Shared(t, "data/lfw/images")
	dir := t.TempDir()
	gen := exec.Command("go", "run", "./scripts/docgen", "-lfw", lfw, "-out", dir, "-n", "12", "-seed", "5")
	gen.Dir = testenv.Root(t)
	if out, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("docgen: %v\n%s", err, out)
	}
	report := filepath.Join(dir, "report.json")
	code, out, errs := run("eval", "kyc", dir, "--pack", "standard", "--far", "0.1", "--no-match-far", "0.3", "--json", report)
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, out, errs)
	}
	var r kycReport
	b, _ := os.ReadFile(report)
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	for _, s := range []kycSplit{r.Calib, r.Report} {
		if s.Documents != 6 || s.Impostors+s.Genuine != (6-s.NotFound)*6 || len(s.At) != 2 {
			t.Errorf("split %s: %+v", s.Split, s)
		}
	}
	if r.Calibration.Recognizer == "" || len(r.Calibration.Points) != 2 || r.Calibration.Points[0].FAR != 0.1 ||
		!strings.Contains(r.Calibration.Source, `"calib" split`) {
		t.Errorf("calibration %+v", r.Calibration)
	}
	s := r.Report
	dec := 0
	for _, n := range s.GenuineDec {
		dec += n
	}
	if dec != 6 || len(s.Conditions) == 0 || s.Mislocated != 0 {
		t.Errorf("report split: %+v", s)
	}
	if s.At[0].TAR < 0.5 {
		t.Errorf("TAR at FAR 0.1 on the report split: %v", s.At[0].TAR)
	}
	if !strings.Contains(out, "CONDITION") || !strings.Contains(out, "split report: 6 documents") {
		t.Errorf("printed report:\n%s", out)
	}
}
