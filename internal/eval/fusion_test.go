package eval

import (
	"math/rand/v2"
	"testing"
)

// TestSplitGroups: enrolled people's groups never hold their enrolment
// photos, strangers are never enrolled, groups are disjoint and of N
// photos, people too small for a group are distractors.
func TestSplitGroups(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var recs []Record
	for p := range 200 {
		recs = append(recs, randomSet(rng, 1, 1+p%9, 8, 0.5)...)
		for i := len(recs) - 1 - p%9; i < len(recs); i++ {
			recs[i].Path = personName(p) + "/" + recs[i].Path[len(personName(0)):]
		}
	}
	ids := Identities(nil)
	s, err := SplitGroups(recs, ids, GroupOptions{K: 1, N: 3, Enrol: 0.5, Seed: 1, MaxGroups: 2})
	if err != nil {
		t.Fatal(err)
	}
	used := map[int]bool{}
	enrolled := map[string]bool{}
	for _, sub := range s.Subjects {
		enrolled[sub.Name] = true
		for _, p := range sub.Photos {
			used[p] = true
		}
	}
	perPerson := map[string]int{}
	for _, g := range append(append([]Group{}, s.Mated...), s.NonMated...) {
		if len(g.Recs) != 3 {
			t.Fatalf("group of %d", len(g.Recs))
		}
		name := ids(recs[g.Recs[0]])
		perPerson[name]++
		for _, r := range g.Recs {
			if used[r] || ids(recs[r]) != name {
				t.Fatalf("group of %s reuses photo %d or mixes people", name, r)
			}
			used[r] = true
		}
		if (g.Subject >= 0) != enrolled[name] || (g.Subject >= 0 && s.Subjects[g.Subject].Name != name) {
			t.Fatalf("group of %s has subject %d", name, g.Subject)
		}
	}
	for name, n := range perPerson {
		if n > 2 {
			t.Fatalf("%s has %d groups, over MaxGroups", name, n)
		}
	}
	if s.Distractors == 0 || len(s.Mated) < 20 || len(s.NonMated) < 20 {
		t.Fatalf("%d distractors, %d mated, %d non-mated groups", s.Distractors, len(s.Mated), len(s.NonMated))
	}
	if _, err := SplitGroups(recs, ids, GroupOptions{K: 1, N: 0, Enrol: 0.5}); err == nil {
		t.Fatal("N = 0 accepted")
	}
}

// TestFusionRaisesDIR: with noisy frames (cosine about 0.5 between two
// photos of one person), fusing 5 frames finds more enrolled people at the
// same FPIR than one frame, under both fusions.
func TestFusionRaisesDIR(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var recs []Record
	for p := range 400 {
		recs = append(recs, randomSet(rng, 1, 8, 64, 1.0)...)
		for i := len(recs) - 8; i < len(recs); i++ {
			recs[i].Path = personName(p) + "/" + recs[i].Path[len(personName(0)):]
		}
	}
	s, err := SplitGroups(recs, Identities(nil), GroupOptions{K: 1, N: 5, Enrol: 0.5, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, fu := range []Fusion{FuseTemplates, FuseScores} {
		one, err := SearchGroups(recs, s, 1, fu)
		if err != nil {
			t.Fatal(err)
		}
		five, _ := SearchGroups(recs, s, 5, fu)
		d1, d5 := one.DIR(one.ThresholdAtFPIR(0.01)), five.DIR(five.ThresholdAtFPIR(0.01))
		if d5 < d1+0.1 {
			t.Fatalf("%s: DIR at FPIR 1%%: 1 frame %.3f, 5 frames %.3f", fu, d1, d5)
		}
	}
	if _, err := SearchGroups(recs, s, 6, FuseTemplates); err == nil {
		t.Fatal("6 frames from groups of 5 accepted")
	}
	if _, err := SearchGroups(recs, s, 1, "median"); err == nil {
		t.Fatal("unknown fusion accepted")
	}
}
