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

//go:noescape
func dot8RowsAVX2(q, base *int8, d int, slots *int, n int, out *int32)

// dot8Rows writes q · row s of codes (rows len(q) values apart) into out
// for each slot s in slots.
func dot8Rows(q, codes []int8, slots []int, out []int32) {
	d := len(q)
	if !hasAVX2 || d%64 != 0 || len(slots) == 0 {
		dot8RowsGo(q, codes, slots, out)
		return
	}
	_ = out[len(slots)-1]
	for _, s := range slots {
		_ = codes[(s+1)*d-1] // bounds, checked before the kernel reads
	}
	dot8RowsAVX2(&q[0], &codes[0], d, &slots[0], len(slots), &out[0])
}
