package index

import (
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

var latency = flag.Bool("index.latency", false, "measure search latency over a 1M-template gallery (slow)")

func randUnit(r *rand.Rand, d int) []float32 {
	v := make([]float32, d)
	var s float64
	for i := range v {
		v[i] = float32(r.NormFloat64())
		s += float64(v[i]) * float64(v[i])
	}
	for i := range v {
		v[i] /= float32(math.Sqrt(s))
	}
	return v
}

func brute(vs map[int64][]float32, q []float32, k int) []Match {
	var all []Match
	for id, v := range vs {
		all = append(all, Match{ID: id, Score: Dot(q, v)})
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].Score != all[j].Score {
			return all[i].Score > all[j].Score
		}
		return all[i].ID < all[j].ID
	})
	return all[:min(k, len(all))]
}

func TestSearchMatchesBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	x, _ := New(Options{Dim: 32, Workers: 3})
	vs := map[int64][]float32{}
	for i := int64(0); i < 20000; i++ {
		v := randUnit(r, 32)
		vs[i] = v
		if err := x.Add(i, v); err != nil {
			t.Fatal(err)
		}
	}
	for i := int64(0); i < 20000; i += 3 { // remove a third, swapping slots around
		if !x.Remove(i) {
			t.Fatalf("remove %d", i)
		}
		delete(vs, i)
	}
	if x.Len() != len(vs) {
		t.Fatalf("Len %d, want %d", x.Len(), len(vs))
	}
	for trial := 0; trial < 20; trial++ {
		q := randUnit(r, 32)
		got, err := x.Search(q, 10)
		if err != nil {
			t.Fatal(err)
		}
		want := brute(vs, q, 10)
		for i := range want {
			if got[i].ID != want[i].ID || math.Abs(float64(got[i].Score-want[i].Score)) > 1e-5 {
				t.Fatalf("trial %d rank %d: got %+v, want %+v", trial, i, got[i], want[i])
			}
		}
	}
}

func TestScore(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	x, _ := New(Options{Dim: 16})
	vs := map[int64][]float32{}
	for i := int64(0); i < 50; i++ {
		vs[i] = randUnit(r, 16)
		x.Add(i, vs[i])
	}
	x.Remove(3) // moves the last template into slot 3
	q := randUnit(r, 16)
	for _, id := range []int64{0, 49, 17} {
		got, ok, err := x.Score(q, id)
		if err != nil || !ok || math.Abs(float64(got-Dot(q, vs[id]))) > 1e-6 {
			t.Fatalf("Score(%d) = %v %v %v, want %v", id, got, ok, err, Dot(q, vs[id]))
		}
	}
	if _, ok, _ := x.Score(q, 3); ok {
		t.Fatal("removed id scored")
	}
	if _, _, err := x.Score(q[:4], 0); !errors.Is(err, ErrDim) {
		t.Fatalf("wrong dim: %v", err)
	}
}

// TestVector: Vector returns a copy of the stored template, after removals
// moved templates between slots, and nothing for an id not held.
func TestVector(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	x, _ := New(Options{Dim: 16})
	vs := map[int64][]float32{}
	for i := int64(0); i < 20; i++ {
		vs[i] = randUnit(r, 16)
		x.Add(i, vs[i])
	}
	x.Remove(2) // moves 19 into slot 2
	var buf []float32
	for _, id := range []int64{0, 19, 7} {
		v, ok := x.Vector(buf, id)
		if !ok || len(v) != 16 {
			t.Fatalf("Vector(%d): %v %v", id, ok, len(v))
		}
		for i := range v {
			if v[i] != vs[id][i] {
				t.Fatalf("Vector(%d)[%d] = %v, want %v", id, i, v[i], vs[id][i])
			}
		}
		v[0] = 42 // the caller's copy
		if w, _ := x.Vector(nil, id); w[0] == 42 {
			t.Fatal("Vector returned the index's own memory")
		}
		buf = v
	}
	if v, ok := x.Vector(buf, 2); ok || len(v) != 0 {
		t.Fatalf("removed id: %v %v", v, ok)
	}
}

func TestEdgeCases(t *testing.T) {
	if _, err := New(Options{}); err == nil {
		t.Fatal("Dim 0: want an error")
	}
	x, _ := New(Options{Dim: 4})
	if m, err := x.Search([]float32{1, 0, 0, 0}, 5); err != nil || len(m) != 0 {
		t.Fatalf("empty index: %v %v", m, err)
	}
	x.Add(7, []float32{1, 0, 0, 0})
	if err := x.Add(7, []float32{0, 1, 0, 0}); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("duplicate: %v", err)
	}
	if err := x.Add(8, []float32{1, 0}); !errors.Is(err, ErrDim) {
		t.Fatalf("wrong dim: %v", err)
	}
	if err := x.Add(9, []float32{float32(math.NaN()), 0, 0, 0}); err == nil {
		t.Fatal("NaN accepted")
	}
	if _, err := x.Search([]float32{1, 0, 0, 0}, 0); err == nil {
		t.Fatal("k=0 accepted")
	}
	m, _ := x.Search([]float32{1, 0, 0, 0}, 10)
	if len(m) != 1 || m[0].ID != 7 || m[0].Score != 1 {
		t.Fatalf("k > Len: %v", m)
	}
	if x.Remove(99) || !x.Remove(7) || x.Len() != 0 {
		t.Fatal("remove")
	}
}

func TestConcurrentSearchWhileWriting(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	x, _ := New(Options{Dim: 16})
	for i := int64(0); i < 5000; i++ {
		x.Add(i, randUnit(r, 16))
	}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rr := rand.New(rand.NewPCG(uint64(g), 9))
			for i := 0; i < 50; i++ {
				if _, err := x.Search(randUnit(rr, 16), 5); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	for i := int64(0); i < 500; i++ {
		x.Remove(i)
		x.Add(10000+i, randUnit(r, 16))
	}
	wg.Wait()
	if x.Len() != 5000 {
		t.Fatalf("Len %d", x.Len())
	}
}

// build makes an n-template gallery of dim 512 quickly.
func build(n int) *Index {
	r := rand.New(rand.NewPCG(5, 6))
	x, _ := New(Options{Dim: 512})
	x.data = make([]float32, 0, n*512)
	x.codes = make([]int8, 0, n*512)
	v := make([]float32, 512)
	for i := 0; i < n; i++ {
		for j := range v {
			v[j] = float32(r.NormFloat64()) * 0.0442 // ~unit length
		}
		x.Add(int64(i), v)
	}
	return x
}

func BenchmarkSearch(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		x := build(n)
		q := randUnit(rand.New(rand.NewPCG(7, 8)), 512)
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				x.Search(q, 10)
			}
		})
	}
}

func BenchmarkDot512(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	a, c := randUnit(r, 512), randUnit(r, 512)
	b.SetBytes(4 * 512)
	for i := 0; i < b.N; i++ {
		Dot(a, c)
	}
}

// TestLatency1M prints p50/p95/p99 search latency over 1,000,000 templates:
// go test ./index -run Latency1M -v -index.latency
// (-index.galleries picks the galleries: latency_test.go).
func TestLatency1M(t *testing.T) {
	if !*latency {
		t.Skip("run with -index.latency to measure the 1M-template gallery")
	}
	for _, g := range strings.Split(*galleries, ",") {
		t.Run(g, func(t *testing.T) { latency1M(t, g) })
	}
}

// TestNearDuplicatesExact uses 512-d templates clustered like real people
// (several noisy views per identity), where many scores are close: the int8
// pass plus exact re-scoring must still return exactly the brute-force top k.
func TestNearDuplicatesExact(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	x, _ := New(Options{Dim: 512})
	vs := map[int64][]float32{}
	for p := 0; p < 400; p++ {
		c := randUnit(r, 512)
		for v := 0; v < 10; v++ {
			n := randUnit(r, 512)
			w := make([]float32, 512)
			var s float64
			for i := range w {
				w[i] = c[i] + 0.6*n[i]
				s += float64(w[i]) * float64(w[i])
			}
			for i := range w {
				w[i] /= float32(math.Sqrt(s))
			}
			id := int64(p*10 + v)
			vs[id] = w
			x.Add(id, w)
		}
	}
	for trial := 0; trial < 40; trial++ {
		q := vs[int64(r.IntN(4000))]
		got, _ := x.Search(q, 10)
		want := brute(vs, q, 10)
		for i := range want {
			if got[i].ID != want[i].ID {
				t.Fatalf("trial %d rank %d: got %+v, want %+v", trial, i, got[i], want[i])
			}
		}
	}
}

var (
	recallN      = flag.Int("index.recall", 0, "gallery size for TestPrefilterRecall's measurement (0: 100,000 in CI)")
	recallTrials = flag.Int("index.trials", 40, "queries of TestPrefilterRecall")
)

// TestPrefilterRecall checks that searches of a gallery large enough for
// the two-bit pass return exactly the brute-force top 10, for random
// queries (the hardest case: the top 10 are the far tail of near-zero
// scores) and for noisy copies of enrolled templates (a person's new
// photo), and prints how deep in the two-bit order the true top 10 sat.
// go test ./index -run PrefilterRecall -v -index.recall 1000000
func TestPrefilterRecall(t *testing.T) {
	n := 100_000
	if *recallN > 0 {
		n = *recallN
	}
	if testing.Short() {
		t.Skip("builds a 100,000-template gallery")
	}
	x := build(n)
	r := rand.New(rand.NewPCG(31, 32))
	d := 512
	worst, widened := 0, 0
	for trial := 0; trial < *recallTrials; trial++ {
		q := randUnit(r, d)
		if trial%2 == 1 { // a noisy copy of an enrolled template, cosine ~0.6
			s := r.IntN(n)
			noise := randUnit(r, d)
			var ss float64
			for i := range q {
				q[i] = x.data[s*d+i]/norm(x.data[s*d:(s+1)*d]) + 1.3*noise[i]
				ss += float64(q[i]) * float64(q[i])
			}
			for i := range q {
				q[i] /= float32(math.Sqrt(ss))
			}
		}
		got, cost, err := x.SearchCost(q, 10)
		if err != nil {
			t.Fatal(err)
		}
		if cost.Widened {
			widened++
		}
		want := bruteIndex(x, q, 10)
		depth := prefilterDepth(x, q, want)
		worst = max(worst, depth)
		for i := range want {
			if got[i].ID != want[i].ID {
				t.Fatalf("trial %d rank %d: got %+v, want %+v (true top 10 sat %d deep in the two-bit order)", trial, i, got[i], want[i], depth)
			}
		}
	}
	c := PrefilterCandidates(n, 10)
	t.Logf("%d templates, %d queries: the true top 10 sat at most %d deep in the two-bit order (the search keeps %d); "+
		"%d searches re-scored every int8 candidate (the int8 bound did not clear the 10th score)", n, *recallTrials, worst, c, widened)
	if worst >= c {
		t.Fatalf("depth %d not within the %d candidates", worst, c)
	}
}

func norm(v []float32) float32 { return float32(math.Sqrt(float64(Dot(v, v)))) }

// bruteIndex is the exact top k over the index's float32 data.
func bruteIndex(x *Index, q []float32, k int) []Match {
	d := x.opts.Dim
	t := make(topK, 0, k+1)
	for s, id := range x.ids {
		t.offer(Match{ID: id, Score: Dot(q, x.data[s*d:(s+1)*d])}, k)
	}
	out := []Match(t)
	sort.Slice(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// prefilterDepth is the deepest two-bit rank (1-based) of the wanted ids.
func prefilterDepth(x *Index, q []float32, want []Match) int {
	_, qc, _ := x.tierQuery(q)
	q2 := query2(qc)
	stride := code2Bytes(x.tdim)
	all := make([]int32, len(x.ids))
	scores2(x.code2, stride, q2, queryVNNI(q2), all)
	deepest := 0
	for _, m := range want {
		own := all[x.slot[m.ID]]
		rank := 1
		for _, v := range all {
			if v > own {
				rank++
			}
		}
		deepest = max(deepest, rank)
	}
	return deepest
}

var tenM = flag.Bool("index.10m", false, "measure the two-bit pass over 10,000,000 synthetic codes (slow, ~1.5 GB)")

// TestLatency10MCodes times the two-bit pass alone over 10,000,000
// synthetic templates: the exact tiers (float32 and int8, 2,560 bytes a
// template) would need 25.6 GB, more than the 24 GiB machine holds, so only
// the codes (130 bytes a template) are built.
// go test ./index -run Latency10MCodes -v -index.10m
func TestLatency10MCodes(t *testing.T) {
	if !*tenM {
		t.Skip("run with -index.10m to measure the two-bit pass over 10M templates")
	}
	const n = 10_000_000
	x, _ := New(Options{Dim: 512})
	stride := code2Bytes(512)
	x.code2 = make([]byte, n*stride)
	x.ids = make([]int64, n)
	r := rand.New(rand.NewPCG(11, 12))
	t0 := time.Now()
	// Random bytes: the codes of random templates are uniform over the
	// four levels up to the quantiser's boundaries, and encoding 5e9 values
	// would take minutes; the pass's cost does not depend on the values.
	for i := 0; i+8 <= len(x.code2); i += 8 {
		binary.LittleEndian.PutUint64(x.code2[i:], r.Uint64())
	}
	for s := range x.ids {
		x.ids[s] = int64(s)
	}
	t.Logf("built %d two-bit codes in %v (%d bytes each, with the id)", n, time.Since(t0).Round(time.Second), stride+8)
	var d []time.Duration
	qc := make([]int8, 512)
	for i := 0; i < 30; i++ {
		quantize(qc, randUnit(r, 512))
		s := time.Now()
		if got := x.prefilter(qc, PrefilterCandidates(n, 10)); len(got) < PrefilterCandidates(n, 10) {
			t.Fatalf("prefilter kept %d", len(got))
		}
		d = append(d, time.Since(s))
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	t.Logf("10M codes, two-bit pass, %d queries: p50 %v, p99 %v", len(d), d[len(d)/2], d[len(d)*99/100])
}
