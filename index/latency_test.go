package index

import (
	"flag"
	"math/rand/v2"
	"runtime"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"
)

var latencyN = flag.Int("index.n", 1_000_000, "TestLatency1M's gallery size")

var galleries = flag.String("index.galleries", "isotropic,lowrank",
	"TestLatency1M's galleries: isotropic (random 512-d), lowrank (176-d subspace, learnt), lowrank-full (the same with FullDim), "+
		"realdist (Gaussian with the mean and covariance of -index.emb's first set, plus its templates; queried with the second set's)")

// latency1M builds the named 1M gallery and times 60 searches (k = 10),
// checking every answer against brute force over the float32 templates
// and measuring how deep the true top 10 sat in the two-bit order.
func latency1M(t *testing.T, gallery string) {
	n := *latencyN
	t0 := time.Now()
	var x *Index
	var qs [][]float32
	r := rand.New(rand.NewPCG(9, 9))
	switch gallery {
	case "isotropic":
		x = build(n)
		for range 60 {
			qs = append(qs, randUnit(r, 512))
		}
	case "lowrank", "lowrank-full":
		g := newLowRank(rand.New(rand.NewPCG(1, 76)), 512, 176, 1e-3)
		x = buildFrom(t, g.draw, n, gallery == "lowrank-full")
		for i := range 60 {
			switch i % 3 {
			case 0: // a new person's template
				qs = append(qs, g.draw(r))
			case 1: // a new photo of an enrolled person
				v, _ := x.Vector(nil, int64(r.IntN(n)))
				qs = append(qs, nearby(r, g, v))
			default: // isotropic: mostly outside the subspace
				qs = append(qs, randUnit(r, 512))
			}
		}
	case "realdist":
		learn, held := realSets(t)
		g := newRealDist(learn)
		x = buildFrom(t, g.draw, n-len(learn), false)
		for i, v := range learn { // the real templates themselves, enrolled
			x.Add(int64(n-len(learn)+i), v)
		}
		for range 60 {
			qs = append(qs, held[r.IntN(len(held))])
		}
	default:
		t.Fatalf("unknown gallery %q", gallery)
	}
	rank, side := x.Subspace()
	t.Logf("%s: built %d templates in %v; %d bytes per template; subspace rank %d, side list %d",
		gallery, n, time.Since(t0).Round(time.Millisecond), x.BytesPerTemplate(), rank, side)
	timeSearches(t, x, qs)
}

// buildFrom adds n draws to a new index from GOMAXPROCS goroutines
// (Add projects outside the lock, so they project in parallel), and logs
// the longest Add: the one that learnt the subspace.
func buildFrom(t *testing.T, draw func(*rand.Rand) []float32, n int, full bool) *Index {
	x, _ := New(Options{Dim: 512, FullDim: full})
	x.Reserve(n)
	w := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	longest := make([]time.Duration, w)
	for k := 0; k < w; k++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(k), 77))
			for i := k; i < n; i += w {
				v := draw(r)
				s := time.Now()
				x.Add(int64(i), v)
				longest[k] = max(longest[k], time.Since(s))
			}
		}()
	}
	wg.Wait()
	t.Logf("longest Add (learning the subspace at %d templates): %v", x.learnAt, slices.Max(longest).Round(time.Millisecond))
	return x
}

// timeSearches times each query's search (wall and CPU time), checks it
// against brute force and logs the percentiles, the cost and the depth
// margin of the two-bit pass.
func timeSearches(t *testing.T, x *Index, qs [][]float32) {
	var wall, cpu []time.Duration
	var bytes int64
	int8Rows, worst, widened := 0, 0, 0
	for i, q := range qs {
		c0, s := cpuTime(), time.Now()
		got, c, err := x.SearchCost(q, 10)
		wall, cpu = append(wall, time.Since(s)), append(cpu, cpuTime()-c0)
		if err != nil {
			t.Fatal(err)
		}
		bytes += c.Bytes
		int8Rows = max(int8Rows, c.Int8Rows)
		if c.Widened {
			widened++
		}
		want := bruteIndex(x, q, 10)
		for j := range want {
			if got[j] != want[j] {
				t.Fatalf("query %d rank %d: got %+v, want %+v", i, j, got[j], want[j])
			}
		}
		worst = max(worst, prefilterDepth(x, q, want))
	}
	pct := func(d []time.Duration, p int) time.Duration {
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		return d[len(d)*p/100]
	}
	t.Logf("k=10, %d queries, all exact (%d widened): p50 %v, p95 %v, p99 %v; CPU p50 %v, p99 %v; "+
		"%.1f MB read a search, at most %d int8 rows; true top 10 at most %d deep in the two-bit order (%d kept)",
		len(qs), widened, pct(wall, 50), pct(wall, 95), pct(wall, 99), pct(cpu, 50), pct(cpu, 99),
		float64(bytes)/float64(len(qs))/1e6, int8Rows, worst, x.candidates(x.Len(), 10))
}
