package index

import (
	"math"
	"math/rand/v2"
	"testing"
)

// lowRank draws unit templates from a rank-dimensional subspace of R^dim
// with a decaying spectrum like the recognizer's (about 25% of the energy
// in the top 16 components, 70% in 64, 95% in 128), a common mean, and
// isotropic noise of norm noise. The subspace is spread over every
// coordinate by a random-sign Walsh-Hadamard rotation (fast to apply).
type lowRank struct {
	dim, rank int
	sig       []float64
	signs     []float64
	noise     float64
}

func newLowRank(r *rand.Rand, dim, rank int, noise float64) *lowRank {
	g := &lowRank{dim: dim, rank: rank, sig: make([]float64, rank), signs: make([]float64, dim), noise: noise}
	for j := range g.sig {
		g.sig[j] = math.Exp(-float64(j) / 100) // energy e^(-j/50)
	}
	for i := range g.signs {
		g.signs[i] = float64(1 - 2*r.IntN(2))
	}
	return g
}

func (g *lowRank) draw(r *rand.Rand) []float32 {
	c := make([]float64, g.dim)
	for j, s := range g.sig {
		c[j] = s * r.NormFloat64()
	}
	c[0] += 2 * g.sig[0] // the mean template
	for i := range c {
		c[i] *= g.signs[i]
	}
	fwht(c)
	var ss float64
	for _, v := range c {
		ss += v * v
	}
	n := randUnit(r, g.dim)
	v := make([]float32, g.dim)
	for i := range v {
		v[i] = float32(c[i]/math.Sqrt(ss) + g.noise*float64(n[i]))
	}
	return unit(v)
}

// fwht is the orthonormal Walsh-Hadamard transform (len(c) a power of 2).
func fwht(c []float64) {
	for h := 1; h < len(c); h *= 2 {
		for i := 0; i < len(c); i += 2 * h {
			for j := i; j < i+h; j++ {
				a, b := c[j], c[j+h]
				c[j], c[j+h] = a+b, a-b
			}
		}
	}
	s := 1 / math.Sqrt(float64(len(c)))
	for i := range c {
		c[i] *= s
	}
}

// newSmall is an index that learns its subspace at learnAt templates and
// runs the two-bit pass from prefMin (both PrefilterMin in production).
func newSmall(dim, learnAt, prefMin int) *Index {
	x, _ := New(Options{Dim: dim, Workers: 2})
	x.learnAt, x.prefMin = learnAt, prefMin
	return x
}

// nearby is a noisy copy of v at cosine ~0.6-0.7 (a person's new photo),
// drawn from the same distribution's noise g.
func nearby(r *rand.Rand, g *lowRank, v []float32) []float32 {
	n := g.draw(r)
	q := make([]float32, len(v))
	for i := range q {
		q[i] = v[i] + 0.8*n[i]
	}
	return unit(q)
}

// checkExact compares searches of x with brute force over vs, for each query.
func checkExact(t *testing.T, x *Index, vs map[int64][]float32, qs [][]float32, k int) (widened int) {
	t.Helper()
	for i, q := range qs {
		got, cost, err := x.SearchCost(q, k)
		if err != nil {
			t.Fatal(err)
		}
		if cost.Widened {
			widened++
		}
		want := brute(vs, q, k)
		if len(got) != len(want) {
			t.Fatalf("query %d: %d results, want %d", i, len(got), len(want))
		}
		for j := range want {
			if got[j].ID != want[j].ID || got[j].Score != want[j].Score {
				t.Fatalf("query %d rank %d: got %+v, want %+v", i, j, got[j], want[j])
			}
		}
	}
	return widened
}

// queries mixes new draws, noisy copies of held templates and isotropic
// random vectors (whose top k is the far tail, and whose norm lies mostly
// outside the subspace).
func queries(r *rand.Rand, g *lowRank, held [][]float32, n int) [][]float32 {
	var qs [][]float32
	for i := 0; i < n; i++ {
		switch i % 3 {
		case 0:
			qs = append(qs, g.draw(r))
		case 1:
			qs = append(qs, nearby(r, g, held[r.IntN(len(held))]))
		default:
			qs = append(qs, randUnit(r, g.dim))
		}
	}
	return qs
}
