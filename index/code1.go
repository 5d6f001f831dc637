package index

// One-bit codes in a fast-scan layout: the first of the search's passes over
// large galleries (OneBitMin templates or more).
//
// A template's code is the sign of each value: bit k of byte j is set when
// value 8j+k is >= 0, so 512 values take 64 bytes. Templates are stored in
// blocks of 32, transposed: the 32 bytes at j*32 of a block are byte j of its
// 32 templates, so one 32-byte load holds the same byte of 32 templates.
// The query becomes one 16-entry table per nibble (four values): entry m is
// Σ ±q_i over the four values, + where bit i of m is set and - where not,
// with q quantised to [-L, L] and the sum offset by 4L so that it fits a
// byte. VPSHUFB then looks a nibble up for 32 templates at once, and the sums
// are kept in 16-bit lanes (at most 2·d/4·8L, under 65,536 by the choice of L).
// The pass reads 64 bytes a template, half the two-bit code, and is
// memory-bound; its ranking is coarser, so it keeps more candidates
// (OneBitCandidates), which the two-bit codes then rank.

const code1Block = 32 // templates per block

// code1Bytes is the code length of one template of dimension d.
func code1Bytes(d int) int { return (d + 7) / 8 }

// code1Level is the largest query level L for dimension d: table entries
// (up to 8L) must fit a byte and the sum of 2·code1Bytes(d) of them 16 bits.
func code1Level(d int) int {
	return min(31, 65535/(8*2*code1Bytes(d)))
}

// setCode1 writes the signs of v into template t (0..31) of a block.
func setCode1(block []byte, t int, v []float32) {
	nb := code1Bytes(len(v))
	for j := 0; j < nb; j++ {
		var b byte
		for k := 0; k < 8 && 8*j+k < len(v); k++ {
			if v[8*j+k] >= 0 {
				b |= 1 << k
			}
		}
		block[j*code1Block+t] = b
	}
}

// moveCode1 copies template from (of block src) to template to (of block
// dst) and clears the source.
func moveCode1(dst []byte, to int, src []byte, from int, nb int) {
	for j := 0; j < nb; j++ {
		dst[j*code1Block+to] = src[j*code1Block+from]
		src[j*code1Block+from] = 0
	}
}

// query1 builds the lookup tables of query q for codes of nb bytes: 64
// bytes a code byte, the low nibble's 16 entries twice (once per 128-bit
// lane of the kernel) then the high nibble's.
func query1(q []float32, nb int) []byte {
	lvl := code1Level(len(q))
	var mx float32
	for _, v := range q {
		mx = max(mx, v, -v)
	}
	qi := make([]int, nb*8)
	if mx > 0 {
		for i, v := range q {
			f := v / mx * float32(lvl)
			if f >= 0 {
				qi[i] = int(f + 0.5)
			} else {
				qi[i] = -int(-f + 0.5)
			}
		}
	}
	lut := make([]byte, nb*64)
	for j := 0; j < nb; j++ {
		for half := 0; half < 2; half++ {
			vals := qi[8*j+4*half : 8*j+4*half+4]
			for m := 0; m < 16; m++ {
				s := 4 * lvl
				for i, v := range vals {
					if m>>i&1 == 1 {
						s += v
					} else {
						s -= v
					}
				}
				lut[j*64+half*32+m] = byte(s)
				lut[j*64+half*32+16+m] = byte(s)
			}
		}
	}
	return lut
}

// scores1Go is the portable one-bit pass over whole blocks: out gets 32
// scores a block (and is the reference the assembly kernel is tested
// against).
func scores1Go(codes []byte, nb int, lut []byte, out []uint16) {
	stride := nb * code1Block
	for blk := 0; blk < len(codes)/stride; blk++ {
		c := codes[blk*stride : (blk+1)*stride]
		o := out[blk*code1Block : (blk+1)*code1Block]
		for t := range o {
			var s uint16
			for j := 0; j < nb; j++ {
				b := c[j*code1Block+t]
				s += uint16(lut[j*64+int(b&15)]) + uint16(lut[j*64+32+int(b>>4)])
			}
			o[t] = s
		}
	}
}
