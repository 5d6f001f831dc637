package eval

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// anisotropic returns n unit templates of dim values: a common mean plus
// variance on 32 randomly rotated directions falling off geometrically,
// and a little isotropic noise, like a recognizer's templates in small
// (theirs spread over ~180 of 512 dimensions).
func anisotropic(r *rand.Rand, n, dim int) [][]float32 {
	basis := make([][]float64, 0, 33)
	for len(basis) < 33 {
		v := make([]float64, dim)
		for i := range v {
			v[i] = r.NormFloat64()
		}
		if u := orthogonalise(v, basis); u != nil {
			basis = append(basis, u)
		}
	}
	out := make([][]float32, n)
	for k := range out {
		x := make([]float64, dim)
		for i := range x {
			x[i] = 0.45*basis[32][i] + 0.002*r.NormFloat64()
		}
		for j := range 32 {
			s := 0.3 * math.Pow(0.92, float64(j)) * r.NormFloat64()
			for i := range x {
				x[i] += s * basis[j][i]
			}
		}
		nx := norm(x)
		v := make([]float32, dim)
		for i := range v {
			v[i] = float32(x[i] / nx)
		}
		out[k] = v
	}
	return out
}

// covarianceMismatch says how draws fail to reproduce the fitted model:
// the variance along each of the first 8 directions within 12%, the share
// of variance in the top 2, 4 and 8 within 0.03, and no residual outside
// the model's span.
func covarianceMismatch(g *Gaussian, draws [][]float32) error {
	along := g.Along(draws)
	for j := range 8 {
		if rel := along[j]/g.Variances[j] - 1; math.Abs(rel) > 0.12 {
			return fmt.Errorf("variance along direction %d: %.5f drawn, %.5f fitted (%+.0f%%)", j, along[j], g.Variances[j], 100*rel)
		}
	}
	tops := []int{2, 4, 8}
	p := g.Profile(draws, tops)
	for i, k := range tops {
		if d := p.TopShare[i] - g.ShareOfTop(k); math.Abs(d) > 0.03 {
			return fmt.Errorf("share of variance in the top %d: %.3f drawn, %.3f fitted", k, p.TopShare[i], g.ShareOfTop(k))
		}
	}
	if p.ResidualMax > 1e-4 {
		return fmt.Errorf("draws reach %.4f outside the model's span", p.ResidualMax)
	}
	return nil
}

// TestGaussianReproducesCovariance fits templates with a known anisotropic
// spread and checks the normalised draws reproduce the fitted covariance;
// isotropic unit vectors of the same size must fail the same check.
func TestGaussianReproducesCovariance(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const dim = 96
	real := anisotropic(r, 3000, dim)
	g, err := FitGaussian(real, 40)
	if err != nil {
		t.Fatal(err)
	}
	if g.Rank != 40 || g.Dim != dim || g.Energy < 0.99 || g.ShareOfTop(8) < 0.4 {
		t.Fatalf("fit: rank %d dim %d energy %.4f, top 4 %.3f", g.Rank, g.Dim, g.Energy, g.ShareOfTop(4))
	}
	draws := make([][]float32, 20000)
	z := make([]float32, g.Rank)
	for i := range draws {
		draws[i] = make([]float32, dim)
		g.Draw(r, draws[i], z)
		if n := norm64(draws[i]); math.Abs(n-1) > 1e-5 {
			t.Fatalf("draw %d has norm %g", i, n)
		}
	}
	if err := covarianceMismatch(g, draws); err != nil {
		t.Fatalf("recognizer draws: %v", err)
	}
	if p := g.Profile(real, []int{40}); p.ResidualMean > 0.02 {
		t.Fatalf("the fitted templates sit %.4f outside the model's span", p.ResidualMean)
	}
	iso := make([][]float32, len(draws))
	for i := range iso {
		iso[i] = make([]float32, dim)
		for j := range iso[i] {
			iso[i][j] = float32(r.NormFloat64())
		}
		n := float32(norm64(iso[i]))
		for j := range iso[i] {
			iso[i][j] /= n
		}
	}
	if err := covarianceMismatch(g, iso); err == nil {
		t.Fatal("isotropic vectors pass the covariance check: it cannot fail")
	}
}

func norm64(v []float32) float64 {
	s := 0.0
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}

func TestFitGaussianRejects(t *testing.T) {
	if _, err := FitGaussian([][]float32{{1, 0}}, 4); err == nil {
		t.Fatal("one template fitted")
	}
	if _, err := FitGaussian([][]float32{{1, 0}, {0, 1, 0}}, 4); err == nil {
		t.Fatal("templates of different lengths fitted")
	}
}

// TestAxpyMatchesGo checks the assembly kernel (where there is one)
// against plain Go over lengths around its 32-value blocks.
func TestAxpyMatchesGo(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{0, 1, 31, 32, 33, 64, 100, 512, 515} {
		x, y := make([]float32, n), make([]float32, n)
		for i := range x {
			x[i], y[i] = float32(r.NormFloat64()), float32(r.NormFloat64())
		}
		want := append([]float32(nil), y...)
		axpyGo(0.37, x, want)
		axpy(0.37, x, y)
		for i := range y {
			if d := math.Abs(float64(y[i] - want[i])); d > 1e-6 {
				t.Fatalf("n=%d: value %d is %g, want %g", n, i, y[i], want[i])
			}
		}
	}
}

// BenchmarkGaussianDraw: one rank-200 draw of a 512-d template (the cost
// of eval search's recognizer gallery: 1M draws).
func BenchmarkGaussianDraw(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	vecs := make([][]float32, 600)
	for i := range vecs {
		vecs[i] = make([]float32, 512)
		for j := range vecs[i] {
			vecs[i][j] = float32(r.NormFloat64())
		}
	}
	g, err := FitGaussian(vecs, 200)
	if err != nil {
		b.Fatal(err)
	}
	dst, z := make([]float32, 512), make([]float32, g.Rank)
	b.ReportAllocs()
	for b.Loop() {
		g.Draw(r, dst, z)
	}
}
