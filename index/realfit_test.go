package index

import (
	"flag"
	"math"
	"math/rand/v2"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/mienhq/mien/internal/eval"

	"github.com/mienhq/mien/internal/linalg"
)

var embFiles = flag.String("index.emb", "", "two embedding sets (learn.emb,held.emb) for TestRealTemplatesSubspace (a measurement; skipped without)")

func readEmb(t *testing.T, path string) [][]float32 {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := eval.ReadSet(f)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]float32
	for _, r := range s.Records {
		if r.Vector != nil {
			out = append(out, r.Vector)
		}
	}
	return out
}

// TestRealTemplatesSubspace measures the subspace on real templates: the
// index learns it from the first set (all of it, as a gallery), then the
// second set's templates are added after learning (how many land on the
// side list, their e_t) and used as queries (exact against brute force,
// widened searches, two-bit depth). A measurement, not a CI test:
// go test ./index -run RealTemplates -v -index.emb yunet68-sub.emb,yunet68-rest.emb
func TestRealTemplatesSubspace(t *testing.T) {
	learn, held := realSets(t)
	dim := len(learn[0])
	x := newSmall(dim, len(learn), 2048)
	vs := map[int64][]float32{}
	for i, v := range learn {
		x.Add(int64(i), v)
		vs[int64(i)] = v
	}
	rank, side := x.Subspace()
	t.Logf("learnt from %d templates: rank %d, %d of them on the side list", len(learn), rank, side)
	if rank == 0 {
		t.Fatal("no subspace learnt from real templates")
	}
	var es []float64
	p := make([]float32, rank)
	for _, v := range held {
		es = append(es, float64(x.sub.split(p, v)-residSlack))
	}
	sort.Float64s(es)
	q := func(f float64) float64 { return es[min(len(es)-1, int(f*float64(len(es))))] }
	t.Logf("held-out e_t over %d templates: p50 %.4f p90 %.4f p99 %.4f max %.4f", len(es), q(0.5), q(0.9), q(0.99), es[len(es)-1])
	r := rand.New(rand.NewPCG(5, 5))
	var qs [][]float32
	for i := 0; i < 200; i++ {
		qs = append(qs, held[r.IntN(len(held))])
	}
	worst := 0
	for _, q := range qs {
		worst = max(worst, prefilterDepth(x, q, bruteIndex(x, q, 10)))
	}
	widened := checkExact(t, x, vs, qs, 10)
	t.Logf("%d held-out queries against the %d learnt: exact, %d widened, true top 10 at most %d deep in the two-bit order (%d kept)",
		len(qs), len(learn), widened, worst, x.candidates(x.Len(), 10))
	for i, v := range held {
		x.Add(int64(len(learn)+i), v)
		vs[int64(len(learn)+i)] = v
	}
	rank, side = x.Subspace()
	t.Logf("after adding the %d held-out templates: rank %d, side list %d", len(held), rank, side)
	widened = checkExact(t, x, vs, qs, 10)
	t.Logf("the same queries against all %d: exact, %d widened", x.Len(), widened)
}

// realSets reads -index.emb's two sets, or skips the test.
func realSets(t *testing.T) (learn, held [][]float32) {
	files := strings.Split(*embFiles, ",")
	if len(files) != 2 {
		t.Skip("run with -index.emb learn.emb,held.emb")
	}
	return readEmb(t, files[0]), readEmb(t, files[1])
}

// realDist draws unit templates from a Gaussian with the mean and the
// covariance (its top 256 components) of a set of real templates.
type realDist struct {
	mean []float64
	sd   []float64   // sqrt of the covariance's eigenvalues
	vecs [][]float64 // its eigenvectors
}

func newRealDist(set [][]float32) *realDist {
	d := len(set[0])
	g := &realDist{mean: make([]float64, d)}
	for _, v := range set {
		for i, x := range v {
			g.mean[i] += float64(x) / float64(len(set))
		}
	}
	c := make([]float32, 0, len(set)*d)
	for _, v := range set {
		for i, x := range v {
			c = append(c, x-float32(g.mean[i]))
		}
	}
	vals, vecs := linalg.SymEigen(secondMoment(c, d), d)
	k := min(256, d)
	g.vecs = vecs[:k]
	for _, l := range vals[:k] {
		g.sd = append(g.sd, math.Sqrt(max(l, 0)))
	}
	return g
}

func (g *realDist) draw(r *rand.Rand) []float32 {
	v := append([]float64(nil), g.mean...)
	for j, u := range g.vecs {
		a := g.sd[j] * r.NormFloat64()
		for i := range v {
			v[i] += a * u[i]
		}
	}
	out := make([]float32, len(v))
	for i := range v {
		out[i] = float32(v[i])
	}
	return unit(out)
}
