//go:build !amd64 || purego

package index

// dot8 returns the dot product of two int8 vectors of equal length.
func dot8(a, b []int8) int32 { return dot8Go(a, b) }

// dot8Rows writes q · row s of codes into out for each slot s in slots.
func dot8Rows(q, codes []int8, slots []int, out []int32) { dot8RowsGo(q, codes, slots, out) }
