//go:build amd64 && !purego

package index

import "golang.org/x/sys/cpu"

// hasVNNI selects the AVX-512 VNNI two-bit kernel (four templates a loop).
var hasVNNI = cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512VNNI

//go:noescape
func scores2AVX2(codes *byte, blocks int, q *int8, out *int32, n int)

//go:noescape
func scores2VNNI(codes *byte, chunks int, q *int8, out *int32, n int)

// scores2 writes the two-bit score of each of the n codes (stride bytes
// apart) into out. q is the padded query (query2); qv its VNNI arrangement
// (queryVNNI), nil where that kernel does not apply.
func scores2(codes []byte, stride int, q, qv []int8, out []int32) {
	if len(out) == 0 {
		return
	}
	_ = codes[len(out)*stride-1]
	_ = q[stride*4-1]
	if hasVNNI && qv != nil && stride%64 == 0 && len(out) >= 4 {
		_ = qv[stride*4-1]
		m := len(out) &^ 3
		scores2VNNI(&codes[0], stride/64, &qv[0], &out[0], m)
		codes, out = codes[m*stride:], out[m:]
		if len(out) == 0 {
			return
		}
	}
	if !hasAVX2 || stride/32 > 8 {
		for i := range out {
			out[i] = score2Go(codes[i*stride:(i+1)*stride], q)
		}
		return
	}
	scores2AVX2(&codes[0], stride/32, &q[0], &out[0], len(out))
}
