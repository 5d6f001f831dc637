package gallery

import (
	"flag"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/internal/eval"
	"github.com/mienhq/mien/internal/store"
	"github.com/mienhq/mien/internal/testenv"
)

var embeddingSet = flag.String("gallery.embeddings", "", "an embedding set (mien eval embed) to compare Max and Mean scoring on")

// openEngine is a recognizer whose every threshold lets all scores through:
// the evaluation sets its own thresholds from the strangers' scores.
type openEngine struct{ model string }

func (e openEngine) ModelID() string                  { return e.model }
func (openEngine) Threshold(float64) (float32, error) { return -2, nil }

// TestScoringOnEmbeddings compares how subjects of three photos are best
// scored, on real embeddings: enrol the first three photos of every person
// with at least four, probe with their other photos (mated) and with one
// photo of every person with fewer (non-mated, never enrolled); print rank-1
// and DIR at FPIR 10%, 1% and 0.1% (thresholds from the non-mated scores):
//
//	mien eval embed --images DIR --out lfw.emb
//	go test ./internal/gallery -run ScoringOnEmbeddings -v -gallery.embeddings lfw.emb
func TestScoringOnEmbeddings(t *testing.T) {
	if *embeddingSet == "" {
		t.Skip("run with -gallery.embeddings FILE (made by mien eval embed) to compare scorings")
	}
	f, err := os.Open(*embeddingSet)
	if err != nil {
		t.Fatal(err)
	}
	set, err := eval.ReadSet(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	byPerson := map[string][][]float32{}
	var names []string
	for _, r := range set.Records {
		if r.Vector == nil {
			continue
		}
		id := r.Identity()
		if byPerson[id] == nil {
			names = append(names, id)
		}
		byPerson[id] = append(byPerson[id], r.Vector)
	}
	sort.Strings(names)
	eng := testenv.Engine(t, "standard")
	for _, s := range []Scoring{Max, Mean} {
		r := evalScoring(t, s, eng, names, byPerson)
		t.Logf("scoring %s: %d people enrolled with 3 photos, %d mated probes (at most %d a person), %d non-mated: rank-1 %.2f%%, DIR at FPIR 10%% %.2f%%, 1%% %.2f%%, 0.1%% %.2f%%; "+
			"at the default (fpir 1%%, gallery size %d, threshold %.4f): %.2f%% of strangers matched, DIR %.2f%%",
			map[Scoring]string{Max: "max", Mean: "mean"}[s], r.people, r.mated, maxProbes, r.strangers, 100*r.rank1, 100*r.dir[0], 100*r.dir[1], 100*r.dir[2],
			r.size, r.thr, 100*r.fpir, 100*r.defDIR)
	}
}

// maxProbes bounds the mated probes of one person (LFW holds 530 photos of
// one man).
const maxProbes = 10

type scoringResult struct {
	rank1            float64
	dir              [3]float64
	people           int
	mated, strangers int
	size             int
	thr              float32
	fpir, defDIR     float64
}

// evalScoring runs one scoring over the split: rank-1 and DIR at FPIR 10%,
// 1% and 0.1% (thresholds from the strangers' scores), and what the
// default decision (the engine's calibration at FPIR 1%) does.
func evalScoring(t *testing.T, s Scoring, eng Engine, names []string, byPerson map[string][][]float32) scoringResult {
	fx := newFixture(t, s)
	model := eng.ModelID()
	em := func(v []float32) face.Embedding { return face.Embedding{Model: model, Vector: v} }
	col, err := fx.st.CreateCollection(fx.ctx, fx.who.Tenant, "eval", model, "k")
	if err != nil {
		t.Fatal(err)
	}
	g, err := New(fx.ctx, Options{Engine: openEngine{model}, Store: fx.st, Scoring: s})
	if err != nil {
		t.Fatal(err)
	}
	subjectOf := map[string]string{}
	type probe struct {
		v    []float32
		want string
	}
	var mated, strangers []probe
	for _, n := range names {
		vs := byPerson[n]
		if len(vs) < 4 {
			strangers = append(strangers, probe{vs[0], ""})
			continue
		}
		tpls := []Template{{Embedding: em(vs[0])}, {Embedding: em(vs[1])}, {Embedding: em(vs[2])}}
		sub, err := g.Enroll(fx.ctx, fx.who, col, store.Subject{ExternalID: n, Consent: fx.consent(time.Hour)}, tpls)
		if err != nil {
			t.Fatal(err)
		}
		subjectOf[n] = sub.ID
		for _, v := range vs[3:min(len(vs), 3+maxProbes)] {
			mated = append(mated, probe{v, sub.ID})
		}
	}
	real, err := New(fx.ctx, Options{Engine: eng, Store: fx.st, Scoring: s}) // loads what g enrolled
	if err != nil {
		t.Fatal(err)
	}
	top := func(p probe) Candidate {
		res, err := g.Identify(fx.ctx, col, []face.Embedding{em(p.v)}, Policy{FAR: 0.5}, 1)
		if err != nil || len(res.Faces[0]) == 0 {
			t.Fatalf("identify: %+v %v", res, err)
		}
		return res.Faces[0][0]
	}
	// What the default decision does: the real calibration at FPIR 1%.
	decided := func(p probe) (string, Decision) {
		res, err := real.Identify(fx.ctx, col, []face.Embedding{em(p.v)}, Policy{}, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Faces[0]) == 0 {
			return "", res.Decision
		}
		return res.Faces[0][0].SubjectID, res.Decision
	}
	r := scoringResult{people: len(subjectOf), mated: len(mated), strangers: len(strangers)}
	var impostor []float64
	for _, p := range strangers {
		impostor = append(impostor, float64(top(p).Similarity))
		if sid, d := decided(p); sid != "" {
			r.fpir++
		} else {
			r.size, r.thr = d.GallerySize, d.Threshold
		}
	}
	r.fpir /= float64(len(strangers))
	sort.Sort(sort.Reverse(sort.Float64Slice(impostor)))
	var thr [3]float64
	for i, fpir := range []float64{0.1, 0.01, 0.001} {
		thr[i] = impostor[int(fpir*float64(len(impostor)))]
	}
	for _, p := range mated {
		if sid, _ := decided(p); sid == p.want {
			r.defDIR++
		}
		c := top(p)
		if c.SubjectID != p.want {
			continue
		}
		r.rank1++
		for i := range thr {
			if float64(c.Similarity) > thr[i] {
				r.dir[i]++
			}
		}
	}
	n := float64(len(mated))
	r.rank1, r.defDIR = r.rank1/n, r.defDIR/n
	for i := range r.dir {
		r.dir[i] /= n
	}
	return r
}
