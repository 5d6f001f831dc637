package linalg

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestSymEigen: the eigen-decomposition reproduces A·v = λ·v with
// orthonormal vectors and descending values.
func TestSymEigen(t *testing.T) {
	r := rand.New(rand.NewPCG(61, 62))
	for _, n := range []int{1, 2, 7, 64} {
		a := make([]float64, n*n)
		for i := 0; i < n; i++ {
			for j := 0; j <= i; j++ {
				a[i*n+j] = r.NormFloat64()
				a[j*n+i] = a[i*n+j]
			}
		}
		orig := append([]float64(nil), a...)
		vals, vecs := SymEigen(a, n)
		for i := 0; i < n; i++ {
			if i > 0 && vals[i] > vals[i-1] {
				t.Fatalf("n=%d: eigenvalues not descending at %d", n, i)
			}
			for j := 0; j < n; j++ {
				var av, dot float64
				for k := 0; k < n; k++ {
					av += orig[j*n+k] * vecs[i][k]
					dot += vecs[i][k] * vecs[j][k]
				}
				if math.Abs(av-vals[i]*vecs[i][j]) > 1e-9 {
					t.Fatalf("n=%d: (A·v%d)[%d] = %v, λ·v = %v", n, i, j, av, vals[i]*vecs[i][j])
				}
				want := 0.0
				if i == j {
					want = 1
				}
				if math.Abs(dot-want) > 1e-9 {
					t.Fatalf("n=%d: v%d·v%d = %v", n, i, j, dot)
				}
			}
		}
	}
}
