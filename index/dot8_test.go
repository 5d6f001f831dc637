package index

import (
	"math/rand/v2"
	"testing"
)

func TestDot8MatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, n := range []int{0, 1, 7, 31, 32, 33, 64, 100, 511, 512, 513, 1000} {
		for trial := 0; trial < 20; trial++ {
			a, b := make([]int8, n), make([]int8, n)
			for i := range a {
				a[i], b[i] = int8(r.IntN(256)-128), int8(r.IntN(256)-128)
			}
			if trial == 0 && n > 0 { // extremes
				for i := range a {
					a[i], b[i] = -128, -128
				}
			}
			if got, want := dot8(a, b), dot8Go(a, b); got != want {
				t.Fatalf("n=%d trial %d: kernel %d, reference %d", n, trial, got, want)
			}
		}
	}
}

func BenchmarkDot8_512(b *testing.B) {
	x, y := make([]int8, 512), make([]int8, 512)
	for i := range x {
		x[i], y[i] = int8(i), int8(3*i)
	}
	b.SetBytes(512)
	for i := 0; i < b.N; i++ {
		dot8(x, y)
	}
}

func BenchmarkDot8Go_512(b *testing.B) {
	x, y := make([]int8, 512), make([]int8, 512)
	b.SetBytes(512)
	for i := 0; i < b.N; i++ {
		dot8Go(x, y)
	}
}
