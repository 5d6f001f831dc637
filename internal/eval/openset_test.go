package eval

import (
	"math"
	"math/rand/v2"
	"sync/atomic"
	"testing"
)

func TestSplitOpenSet(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	var recs []Record
	for p := range 300 {
		recs = append(recs, randomSet(rng, 1, 1+p%5, 8, 0.5)...)
		for i := len(recs) - 1 - p%5; i < len(recs); i++ {
			recs[i].Path = personName(p) + "/" + recs[i].Path[len(personName(0)):]
		}
	}
	ids := Identities(nil)
	s, err := SplitOpenSet(recs, ids, SplitOptions{K: 2, Enrol: 0.8, Seed: 1, NonMatedPerPerson: 1})
	if err != nil {
		t.Fatal(err)
	}
	used := map[int]bool{}
	enrolled := map[string]bool{}
	for si, subj := range s.Subjects {
		enrolled[subj.Name] = true
		if len(subj.Photos) != 2 {
			t.Fatalf("%s enrolled with %d photos", subj.Name, len(subj.Photos))
		}
		for _, p := range subj.Photos {
			used[p] = true
			if ids(recs[p]) != subj.Name {
				t.Fatalf("subject %d holds a photo of %s", si, ids(recs[p]))
			}
		}
	}
	for _, m := range s.Mated {
		if used[m.Rec] || ids(recs[m.Rec]) != s.Subjects[m.Subject].Name {
			t.Fatalf("mated probe %d reuses an enrolment photo or names the wrong subject", m.Rec)
		}
		used[m.Rec] = true
	}
	strangers := map[string]int{}
	for _, n := range s.NonMated {
		if enrolled[ids(recs[n])] {
			t.Fatalf("non-mated probe %s is enrolled", recs[n].Path)
		}
		strangers[ids(recs[n])]++
	}
	for name, n := range strangers {
		if n != 1 {
			t.Fatalf("%s searched %d times", name, n)
		}
	}
	// People with 3+ photos: 180 of 300; about 80% of them enrolled.
	if len(s.Subjects) < 125 || len(s.Subjects) > 165 || s.LeftOut != 300-len(s.Subjects) {
		t.Fatalf("%d subjects, %d left out", len(s.Subjects), s.LeftOut)
	}
	again, _ := SplitOpenSet(recs, ids, SplitOptions{K: 2, Enrol: 0.8, Seed: 1, NonMatedPerPerson: 1})
	other, _ := SplitOpenSet(recs, ids, SplitOptions{K: 2, Enrol: 0.8, Seed: 2, NonMatedPerPerson: 1})
	if again.Subjects[0].Name != s.Subjects[0].Name || len(again.Mated) != len(s.Mated) {
		t.Fatal("same seed, different split")
	}
	if other.Subjects[0].Name == s.Subjects[0].Name && other.Subjects[1].Name == s.Subjects[1].Name && len(other.Mated) == len(s.Mated) {
		t.Fatal("another seed gave the same split")
	}
	if _, err := SplitOpenSet(recs, ids, SplitOptions{K: 0, Enrol: 0.8, NonMatedPerPerson: 1}); err == nil {
		t.Fatal("K 0 accepted")
	}
}

func TestPerComparisonFAR(t *testing.T) {
	if got := PerComparisonFAR(0.01, 1); math.Abs(got-0.01) > 1e-15 {
		t.Fatal(got)
	}
	// 1 - (1-far)^N = fpir
	for _, n := range []int{10, 1500, 1_000_000} {
		far := PerComparisonFAR(0.01, n)
		if back := -math.Expm1(float64(n) * math.Log1p(-far)); math.Abs(back-0.01) > 1e-12 {
			t.Fatalf("N %d: far %g gives FPIR %g", n, far, back)
		}
	}
}

func TestSearchScorings(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	recs := randomSet(rng, 60, 5, 64, 0.6)
	s, err := SplitOpenSet(recs, Identities(nil), SplitOptions{K: 3, Enrol: 0.7, Seed: 3, NonMatedPerPerson: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range Scorings {
		var probes atomic.Int64
		r, err := Search(recs, s, sc, 3, func() { probes.Add(1) })
		if err != nil {
			t.Fatal(err)
		}
		if probes.Load() != int64(len(s.Mated)+len(s.NonMated)) {
			t.Fatalf("%s: %d probes reported", sc, probes.Load())
		}
		want := len(s.Subjects)
		if sc == ScoreMax {
			want *= 3
		}
		if r.Comparisons != want {
			t.Fatalf("%s: %d comparisons, want %d", sc, r.Comparisons, want)
		}
		// Well separated synthetic people: all found, no stranger above the lowest mated score.
		if r.Rank1() != 1 || r.DIR(r.ThresholdAtFPIR(0.01)) < 0.99 {
			t.Fatalf("%s: rank-1 %g, DIR %g", sc, r.Rank1(), r.DIR(r.ThresholdAtFPIR(0.01)))
		}
		if r.FPIR(-1) != 1 || r.FPIR(1.1) != 0 {
			t.Fatalf("%s: FPIR bounds", sc)
		}
	}
	if _, err := Search(recs, s, "median", 1, nil); err == nil {
		t.Fatal("unknown scoring accepted")
	}
}

// Mean and max differ as they should: a probe close to one template wins
// under max, a probe between two under mean.
func TestGalleryScoringsDiffer(t *testing.T) {
	recs := []Record{
		{Path: "A/1", Vector: unit(1, 0, 0)}, {Path: "A/2", Vector: unit(0, 1, 0)},
		{Path: "B/1", Vector: unit(1, 0.3, 0.5)}, {Path: "B/2", Vector: unit(1, 0.3, -0.5)},
	}
	s := &Split{Subjects: []Subject{{"A", []int{0, 1}}, {"B", []int{2, 3}}}}
	probe := unit(1, 0.05, 0)
	for sc, want := range map[Scoring]int{ScoreMax: 0, ScoreMean: 1} {
		g, _ := buildGallery(recs, s, sc)
		if top, _ := g.best(probe, make([]float32, 2)); top != want {
			t.Errorf("%s: top subject %d, want %d", sc, top, want)
		}
	}
	blurred := Record{DetScore: 0.9, Sharpness: 5}
	sharp := Record{DetScore: 0.9, Sharpness: 300}
	profile := Record{DetScore: 0.9, Sharpness: 300, Yaw: 60}
	if !(QualityWeight(sharp) > QualityWeight(blurred) && QualityWeight(sharp) > QualityWeight(profile)) {
		t.Fatal("quality weight does not favour sharp frontal faces")
	}
}

func unit(v ...float32) []float32 {
	var n float32
	for _, x := range v {
		n += x * x
	}
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = x / float32(math.Sqrt(float64(n)))
	}
	return out
}
