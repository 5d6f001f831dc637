//go:build !amd64 || purego

package index

// hasVNNI: no assembly kernels in this build.
const hasVNNI = false

// scores2 writes the two-bit score of each of the n codes (stride bytes
// apart) into out (qv, the VNNI arrangement, is unused here).
func scores2(codes []byte, stride int, q, qv []int8, out []int32) {
	for i := range out {
		out[i] = score2Go(codes[i*stride:(i+1)*stride], q)
	}
}
