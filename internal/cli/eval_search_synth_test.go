package cli

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/internal/eval"
)

// TestEvalSearchFitsOnlyTheGallery puts the enrolled templates of the split
// in the first half of the dimensions and every probe (mated and
// non-mated) in the second half: a recognizer model fitted to the gallery
// side alone leaves the probes wholly outside its span (residual ~1),
// while one that saw any probe would take in their half.
func TestEvalSearchFitsOnlyTheGallery(t *testing.T) {
	set := &eval.Set{Pipeline: "synthetic", Model: "any-model"}
	for p := range 150 {
		name := fmt.Sprintf("Person_%03d", p)
		for k := range 1 + p%4 {
			set.Records = append(set.Records, eval.Record{Path: fmt.Sprintf("%s/%s_%04d.jpg", name, name, k+1), Vector: make([]float32, 64)})
		}
	}
	split, err := eval.SplitOpenSet(set.Records, eval.Identities(nil), eval.SplitOptions{K: 1, Enrol: 0.9, Seed: 1, NonMatedPerPerson: 1})
	if err != nil {
		t.Fatal(err)
	}
	enrolled := map[int]bool{}
	for _, s := range split.Subjects {
		enrolled[s.Photos[0]] = true
	}
	r := rand.New(rand.NewPCG(7, 8))
	for i, rec := range set.Records {
		half := 32 // probes and everyone else: the second half
		if enrolled[i] {
			half = 0
		}
		for j := half; j < half+32; j++ {
			rec.Vector[j] = float32(r.NormFloat64())
		}
		face.Normalize(rec.Vector)
	}
	dir := t.TempDir()
	path, js := filepath.Join(dir, "set.emb"), filepath.Join(dir, "search.json")
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
	code, out, errs := run("eval", "search", "--gallery", "2000", "--queries", "5", "--embeddings", path, "--real-queries", "20", "--json", js)
	if code != 0 {
		t.Fatalf("eval search: %d %s %s", code, out, errs)
	}
	var rep searchReport
	b, _ := os.ReadFile(js)
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	m := rep.Model
	if m == nil || m.FitTemplates != len(split.Subjects) || m.Rank != 32 {
		t.Fatalf("model %+v, want a fit to the %d enrolled templates", m, len(split.Subjects))
	}
	fitted, probes, synth := m.Profiles["fitted"], m.Profiles["probes"], m.Profiles["synthetic"]
	if fitted.ResidualMax > 1e-3 || synth.ResidualMax > 1e-3 || synth.Templates == 0 {
		t.Fatalf("fitted or synthetic templates outside the model: %+v %+v", fitted, synth)
	}
	if probes.Templates != len(split.Mated)+len(split.NonMated) || probes.ResidualMean < 0.99 {
		t.Fatalf("probes sit %.3f outside the model (want ~1: a probe fed the fit) %+v", probes.ResidualMean, probes)
	}
	if rep.Exact != rep.Queries || rep.Queries != 30 {
		t.Fatalf("%d of %d exact", rep.Exact, rep.Queries)
	}
}
