//go:build amd64 && !purego

package index

//go:noescape
func scores2AVX2(codes *byte, blocks int, q *int8, out *int32, n int)

// scores2 writes the two-bit score of each of the n codes (stride bytes
// apart) into out.
func scores2(codes []byte, stride int, q []int8, out []int32) {
	if !hasAVX2 || len(out) == 0 || stride/32 > 8 {
		for i := range out {
			out[i] = score2Go(codes[i*stride:(i+1)*stride], q)
		}
		return
	}
	_ = codes[len(out)*stride-1]
	_ = q[stride*4-1]
	scores2AVX2(&codes[0], stride/32, &q[0], &out[0], len(out))
}
