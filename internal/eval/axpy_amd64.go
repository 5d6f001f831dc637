//go:build amd64 && !purego

package eval

import "golang.org/x/sys/cpu"

var hasFMA = cpu.X86.HasAVX2 && cpu.X86.HasFMA

//go:noescape
func axpyFMA(a float32, x, y *float32, n int)

// axpy adds a*x to y (of equal length): an AVX2/FMA kernel for the
// multiples of 32 values, Go for the rest.
func axpy(a float32, x, y []float32) {
	n := min(len(x), len(y))
	m := n &^ 31
	if !hasFMA || m == 0 {
		axpyGo(a, x[:n], y[:n])
		return
	}
	axpyFMA(a, &x[0], &y[0], m)
	if m < n {
		axpyGo(a, x[m:n], y[m:n])
	}
}
