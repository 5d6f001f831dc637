package cli

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/internal/eval"
	"github.com/mienhq/mien/internal/testenv"
)

// writeSyntheticSet writes an embedding set of people with photos around
// a random direction each (the recognizer's id, so the engine accepts it).
func writeSyntheticSet(t *testing.T, path, model, pipeline string, people int, seed uint64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	set := &eval.Set{Pipeline: pipeline, Model: model}
	for p := range people {
		name := fmt.Sprintf("Person_%03d", p)
		c := make([]float32, 64)
		for i := range c {
			c[i] = float32(rng.NormFloat64())
		}
		for k := range 1 + p%5 {
			v := make([]float32, 64)
			for i := range v {
				v[i] = c[i] + float32(0.5*rng.NormFloat64())
			}
			face.Normalize(v)
			set.Records = append(set.Records, eval.Record{Path: fmt.Sprintf("%s/%s_%04d.jpg", name, name, k+1), Vector: v, DetScore: 0.9, Sharpness: 100})
		}
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	if err := eval.WriteSet(w, set); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	f.Close()
}

func TestEvalOpensetAndCalibrateOnASet(t *testing.T) {
	eng := testenv.Engine(t, "standard")
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.emb"), filepath.Join(dir, "b.emb")
	writeSyntheticSet(t, a, eng.ModelID(), "synthetic", 300, 1)
	writeSyntheticSet(t, b, eng.ModelID(), "synthetic", 100, 2)
	det, js := filepath.Join(dir, "det.png"), filepath.Join(dir, "os.json")
	code, out, errs := run("eval", "openset", "--pack", "standard", "--embeddings", a, "--enrol", "2", "--det", det, "--json", js)
	if code != 0 {
		t.Fatalf("openset: %d %s", code, errs)
	}
	var rep opensetReport
	b2, _ := os.ReadFile(js)
	if err := json.Unmarshal(b2, &rep); err != nil || len(rep.Rows) != 3 || rep.Subjects == 0 || rep.NonMated == 0 {
		t.Fatalf("report %+v %v\n%s", rep, err, out)
	}
	for _, r := range rep.Rows {
		thr, _ := eng.Threshold(r.DefaultFAR)
		if r.DefaultThreshold != thr || r.DefaultFAR != eval.PerComparisonFAR(0.01, rep.Subjects*2) {
			t.Fatalf("%s: default FAR %g threshold %g, engine says %g", r.Scoring, r.DefaultFAR, r.DefaultThreshold, thr)
		}
	}
	if st, err := os.Stat(det); err != nil || st.Size() < 1000 || !strings.Contains(out, "DIR@FPIR1%") {
		t.Fatalf("DET plot %v, output %q", err, out)
	}
	// Two files of the same pipeline load as one; another pipeline is refused.
	if code, out, errs := run("eval", "calibrate", "--embeddings", a+","+b, "--anchor-far", "0.01", "--top", "3"); code != 0 || !strings.Contains(out, "tail:") {
		t.Fatalf("calibrate: %d %s %s", code, out, errs)
	}
	writeSyntheticSet(t, b, eng.ModelID(), "another pipeline", 10, 3)
	if code, _, errs := run("eval", "calibrate", "--embeddings", a+","+b); code == 0 || !strings.Contains(errs, "another pipeline") {
		t.Fatalf("mixed pipelines accepted: %d %s", code, errs)
	}
	if code, _, errs := run("eval", "openset"); code == 0 || !strings.Contains(errs, "--images or --embeddings") {
		t.Fatalf("no input: %d %s", code, errs)
	}
}

// TestEvalSearch runs eval search over a small synthetic gallery with the
// real templates of an embedding set: every answer must equal brute force,
// and the report must hold latency for each kind of query.
func TestEvalSearch(t *testing.T) {
	dir := t.TempDir()
	set := filepath.Join(dir, "set.emb")
	writeSyntheticSet(t, set, "any-model", "synthetic", 200, 4)
	js := filepath.Join(dir, "search.json")
	code, out, errs := run("eval", "search", "--gallery", "3000", "--queries", "6", "--embeddings", set, "--real-queries", "10", "--json", js)
	if code != 0 {
		t.Fatalf("eval search: %d %s %s", code, out, errs)
	}
	var rep searchReport
	b, _ := os.ReadFile(js)
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Queries != 22 || rep.Exact != 22 || rep.Synthetic != 3000 || rep.SyntheticKind != "recognizer" || rep.Model == nil || rep.Real == 0 || rep.Gallery != 3000+rep.Real || rep.BytesPerTemplate == 0 {
		t.Fatalf("report %+v\n%s", rep, out)
	}
	for _, kind := range []string{"all", "recognizer", "isotropic", "mated", "non-mated"} {
		if l := rep.Latency[kind]; l.Queries == 0 || l.Values[0] <= 0 || l.Values[2] < l.Values[0] {
			t.Fatalf("latency of %s queries: %+v", kind, l)
		}
	}
	// 3,000 + real templates is below index.PrefilterMin: every template is
	// scored in int8, and each search re-scores some in float32.
	if c := rep.Cost; c.Int8Rows != float64(rep.Gallery) || c.CodeRows != 0 || c.FloatRows < 10 || c.MBytes <= 0 {
		t.Fatalf("cost %+v", c)
	}
	if !strings.Contains(out, "exact: 22 of 22") || !strings.Contains(out, "recognizer model: Gaussian fitted to the") {
		t.Fatalf("output %q", out)
	}
	if code, _, errs := run("eval", "search", "--k", "0"); code == 0 || !strings.Contains(errs, "--k") {
		t.Fatalf("k = 0 accepted: %d %s", code, errs)
	}
	if code, _, errs := run("eval", "search", "--synthetic", "recognizer", "--gallery", "10"); code == 0 || !strings.Contains(errs, "needs --embeddings") {
		t.Fatalf("recognizer templates without real ones: %d %s", code, errs)
	}
	if code, _, errs := run("eval", "search", "--synthetic", "gaussian", "--gallery", "10"); code == 0 || !strings.Contains(errs, "recognizer or isotropic") {
		t.Fatalf("unknown kind accepted: %d %s", code, errs)
	}
	// Without real templates the gallery and queries are isotropic.
	if code, out, errs := run("eval", "search", "--gallery", "500", "--queries", "3", "--json", js); code != 0 || !strings.Contains(out, "500 synthetic isotropic") {
		t.Fatalf("isotropic: %d %s %s", code, out, errs)
	}
}
