//go:build !amd64 || purego

package index

// scores1 writes the one-bit score of every template of the whole blocks in
// codes (nb code bytes a template) into out (32 a block).
func scores1(codes []byte, nb int, lut []byte, out []uint16) {
	scores1Go(codes, nb, lut, out)
}
