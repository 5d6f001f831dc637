//go:build amd64 && !purego

package index

import "golang.org/x/sys/cpu"

var hasAVX2 = cpu.X86.HasAVX2

//go:noescape
func dot8AVX2(a, b *int8, n int) int32

// dot8 returns the dot product of two int8 vectors of equal length.
func dot8(a, b []int8) int32 {
	n := min(len(a), len(b))
	if !hasAVX2 || n < 32 {
		return dot8Go(a[:n], b[:n])
	}
	m := n &^ 31
	s := dot8AVX2(&a[0], &b[0], m)
	if m < n {
		s += dot8Go(a[m:n], b[m:n])
	}
	return s
}
