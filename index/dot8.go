package index

// dot8Go is the portable int8 dot product (and the reference the assembly
// kernel is tested against).
func dot8Go(a, b []int8) int32 {
	n := min(len(a), len(b))
	var s0, s1, s2, s3 int32
	i := 0
	for ; i+4 <= n; i += 4 {
		s0 += int32(a[i]) * int32(b[i])
		s1 += int32(a[i+1]) * int32(b[i+1])
		s2 += int32(a[i+2]) * int32(b[i+2])
		s3 += int32(a[i+3]) * int32(b[i+3])
	}
	for ; i < n; i++ {
		s0 += int32(a[i]) * int32(b[i])
	}
	return s0 + s1 + s2 + s3
}

// quantize writes v scaled to int8 into dst (symmetric, per vector) and
// returns the scale: v[i] ~ scale * dst[i].
func quantize(dst []int8, v []float32) float32 {
	var m float32
	for _, x := range v {
		m = max(m, x, -x)
	}
	if m == 0 {
		clear(dst)
		return 0
	}
	inv := 127 / m
	for i, x := range v {
		q := x * inv
		if q >= 0 {
			q += 0.5
		} else {
			q -= 0.5
		}
		dst[i] = int8(q)
	}
	return m / 127
}

// dot8RowsGo is the portable dot8Rows (and its reference in tests).
func dot8RowsGo(q, codes []int8, slots []int, out []int32) {
	d := len(q)
	for i, s := range slots {
		out[i] = dot8Go(q, codes[s*d:(s+1)*d])
	}
}
