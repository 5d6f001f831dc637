//go:build amd64 && !purego

package index

//go:noescape
func scores1AVX2(codes *byte, nb int, lut *byte, out *uint16, blocks int)

// scores1 writes the one-bit score of every template of the whole blocks in
// codes (nb code bytes a template) into out (32 a block).
func scores1(codes []byte, nb int, lut []byte, out []uint16) {
	blocks := len(codes) / (nb * code1Block)
	if !hasAVX2 || blocks == 0 {
		scores1Go(codes, nb, lut, out)
		return
	}
	_ = out[blocks*code1Block-1]
	_ = lut[nb*64-1]
	scores1AVX2(&codes[0], nb, &lut[0], &out[0], blocks)
}
