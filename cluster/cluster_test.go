package cluster

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// synthetic returns unit vectors of people identities: person p's faces
// are its random centre plus noise, with pairwise cosine about 1/(1+noise^2)
// within a person and about 0 between people. sizes[p] faces per person.
func synthetic(seed uint64, dim int, sizes []int, noise float64) ([][]float32, []int) {
	r := rand.New(rand.NewPCG(seed, 1))
	var vecs [][]float32
	var truth []int
	s := noise / math.Sqrt(float64(dim))
	for p, n := range sizes {
		c := make([]float64, dim)
		for i := range c {
			c[i] = r.NormFloat64() / math.Sqrt(float64(dim))
		}
		for range n {
			v := make([]float32, dim)
			for i := range v {
				v[i] = float32(c[i] + s*r.NormFloat64())
			}
			normalize(v)
			vecs = append(vecs, v)
			truth = append(truth, p)
		}
	}
	// interleave people, as photos of a library would be
	perm := r.Perm(len(vecs))
	pv, pt := make([][]float32, len(vecs)), make([]int, len(vecs))
	for i, j := range perm {
		pv[i], pt[i] = vecs[j], truth[j]
	}
	return pv, pt
}

// zipfSizes returns n people with 1 to about 60 faces each, most with few.
func zipfSizes(seed uint64, n int) []int {
	r := rand.New(rand.NewPCG(seed, 2))
	out := make([]int, n)
	for i := range out {
		out[i] = 1 + int(math.Floor(math.Pow(r.Float64(), 3)*60))
	}
	return out
}

func TestClusterSynthetic(t *testing.T) {
	vecs, truth := synthetic(1, 128, zipfSizes(1, 300), 0.8)
	for _, m := range []Method{AverageLinkage, SingleLinkage, NearestCentroid} {
		t.Run(m.String(), func(t *testing.T) {
			labels, err := Cluster(context.Background(), vecs, Options{Method: m, Threshold: 0.4}, Constraints{})
			if err != nil {
				t.Fatal(err)
			}
			s, _ := Evaluate(labels, truth)
			if s.BCubedF1 < 0.97 {
				t.Errorf("%v", s)
			}
		})
	}
}

func TestClusterDeterministic(t *testing.T) {
	vecs, _ := synthetic(2, 64, zipfSizes(2, 300), 1.0)
	var first []int
	for _, w := range []int{1, 2, 7} {
		labels, err := Cluster(context.Background(), vecs, Options{Index: IndexOptions{Workers: w, Lists: 20}}, Constraints{})
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = labels
		} else if !slices.Equal(first, labels) {
			t.Fatalf("labels differ with %d workers", w)
		}
	}
}

// TestConstraints checks must-link, cannot-link and incremental (Separate)
// grouping on four tight pairs of points.
func TestConstraints(t *testing.T) {
	vecs, truth := synthetic(3, 64, []int{4, 4, 4, 4}, 0.3)
	at := func(p int) []int { // indices of person p
		var out []int
		for i, q := range truth {
			if q == p {
				out = append(out, i)
			}
		}
		return out
	}
	ctx := context.Background()
	base, err := Cluster(ctx, vecs, Options{}, Constraints{})
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := Evaluate(base, truth); s.BCubedF1 != 1 {
		t.Fatalf("unconstrained: %v", s)
	}
	// must-link: the user merged person 0 and person 1
	ml, err := Cluster(ctx, vecs, Options{}, Constraints{MustLink: [][]int{append(at(0), at(1)...)}})
	if err != nil {
		t.Fatal(err)
	}
	if ml[at(0)[1]] != ml[at(1)[1]] || ml[at(0)[1]] == ml[at(2)[0]] {
		t.Error("must-linked people were not kept together, or took others")
	}
	// cannot-link: the user split person 2
	p2 := at(2)
	cl, err := Cluster(ctx, vecs, Options{}, Constraints{MustLink: [][]int{{p2[0], p2[1]}, {p2[2], p2[3]}}, CannotLink: [][2]int{{p2[0], p2[2]}}})
	if err != nil {
		t.Fatal(err)
	}
	if cl[p2[0]] != cl[p2[1]] || cl[p2[2]] != cl[p2[3]] || cl[p2[0]] == cl[p2[2]] {
		t.Errorf("split not honoured: %v", []int{cl[p2[0]], cl[p2[1]], cl[p2[2]], cl[p2[3]]})
	}
	// conflict
	if _, err := Cluster(ctx, vecs, Options{}, Constraints{MustLink: [][]int{{0, 1}}, CannotLink: [][2]int{{0, 1}}}); err == nil {
		t.Error("contradictory constraints accepted")
	}
	// incremental: existing people are two groups wrongly holding halves of
	// person 3; new faces join them but the groups stay apart.
	p3 := at(3)
	groups := [][]int{{p3[0]}, {p3[1]}}
	inc, err := Cluster(ctx, vecs, Options{}, Constraints{MustLink: groups, Separate: true})
	if err != nil {
		t.Fatal(err)
	}
	if inc[p3[0]] == inc[p3[1]] {
		t.Error("separate existing people were merged")
	}
	if inc[p3[2]] != inc[p3[0]] && inc[p3[2]] != inc[p3[1]] {
		t.Error("a new face did not join its existing person")
	}
	for _, p := range []int{0, 1, 2} {
		if inc[at(p)[0]] != inc[at(p)[3]] {
			t.Errorf("new person %d not grouped", p)
		}
	}
}

func TestKNNRecall(t *testing.T) {
	vecs, _ := synthetic(4, 128, zipfSizes(4, 250), 1.0)
	ctx := context.Background()
	exact, err := KNN(ctx, vecs, 10, 0.3, IndexOptions{Lists: 1})
	if err != nil {
		t.Fatal(err)
	}
	approx, err := KNN(ctx, vecs, 10, 0.3, IndexOptions{Lists: 40, Probe: 12})
	if err != nil {
		t.Fatal(err)
	}
	found, total := 0, 0
	for i := range exact {
		for _, n := range exact[i] {
			total++
			if containsIndex(approx[i], n.Index) {
				found++
			}
		}
	}
	if r := float64(found) / float64(total); r < 0.95 {
		t.Errorf("recall %.3f of %d neighbours", r, total)
	}
}

func TestClusterInputs(t *testing.T) {
	if l, err := Cluster(context.Background(), nil, Options{}, Constraints{}); err != nil || l != nil {
		t.Errorf("empty input: %v %v", l, err)
	}
	if _, err := Cluster(context.Background(), [][]float32{{1, 0}, {1}}, Options{}, Constraints{}); err == nil {
		t.Error("ragged vectors accepted")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // KNN checks ctx before each block of queries
	vecs, _ := synthetic(5, 32, zipfSizes(5, 400), 1)
	if _, err := Cluster(ctx, vecs, Options{}, Constraints{}); err == nil {
		t.Error("cancelled context ignored")
	}
}

// BenchmarkCluster measures clustering synthetic 512-d faces; the 100k
// size is the scaling figure of docs/benchmarks.md (run it under
// /usr/bin/time -v for peak memory).
func BenchmarkCluster(b *testing.B) {
	for _, n := range []int{1000, 10000, 100000} {
		vecs, truth := synthetic(6, 512, facesUpTo(6, n), 1.0)
		b.Run(fmt.Sprintf("%dk", n/1000), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				labels, err := Cluster(context.Background(), vecs, Options{}, Constraints{})
				if err != nil {
					b.Fatal(err)
				}
				s, _ := Evaluate(labels, truth)
				b.ReportMetric(s.BCubedF1, "bcubedF1")
				b.ReportMetric(float64(s.Clusters), "clusters")
			}
		})
	}
}

// facesUpTo returns people sizes (zipfSizes' distribution) totalling n.
func facesUpTo(seed uint64, n int) []int {
	var out []int
	for _, s := range zipfSizes(seed, n) {
		if n <= 0 {
			break
		}
		s = min(s, n)
		out = append(out, s)
		n -= s
	}
	return out
}
