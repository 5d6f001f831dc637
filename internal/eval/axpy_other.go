//go:build !amd64 || purego

package eval

// axpy adds a*x to y (of equal length).
func axpy(a float32, x, y []float32) {
	n := min(len(x), len(y))
	axpyGo(a, x[:n], y[:n])
}
