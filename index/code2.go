package index

import "math"

// Two-bit codes: the compact first pass over large galleries.
//
// Each value x of a template becomes a level u in 0..3 of the uniform
// four-level quantiser with step Δ = 0.9957σ (σ the root mean square of
// the template's values; the step that minimises the error for a Gaussian):
// u = 0 below -Δ, 1 in [-Δ, 0), 2 in [0, Δ), 3 from Δ, standing for
// (u - 1.5)·Δ. A template is 2 bits a value, 128 bytes for 512 values.
// The query stays in int8 (asymmetric: only the template is coarse), and
// the pass ranks templates by the integer Σ q_i·u_i, which orders unit
// templates as q·x does up to the quantisation error (Σ q_i is the same for
// every template). The search then re-scores the best candidates in int8
// and finally exactly in float32.
//
// Layout, chosen for the AVX2 kernel: values are taken in blocks of 128;
// byte b of a block's 32 bytes holds values b, b+32, b+64 and b+96 of the
// block in its bit pairs 0-1, 2-3, 4-5 and 6-7, so that one load, shifts
// and a mask give 32 consecutive levels, multiplied with 32 consecutive
// query values by VPMADDUBSW.

const code2Step = 0.9957

// code2Bytes is the size of one template's code for dimension d.
func code2Bytes(d int) int { return (d + 127) / 128 * 32 }

// encode2 writes v's code into dst (code2Bytes(len(v)) bytes).
func encode2(dst []byte, v []float32) {
	clear(dst)
	var ss float64
	for _, x := range v {
		ss += float64(x) * float64(x)
	}
	step := float32(code2Step * math.Sqrt(ss/float64(max(1, len(v)))))
	for i, x := range v {
		var u byte
		switch {
		case x >= step:
			u = 3
		case x >= 0:
			u = 2
		case x >= -step:
			u = 1
		}
		blk, j, b := i/128, i%128/32, i%32
		dst[blk*32+b] |= u << (2 * j)
	}
}

// query2 pads an int8 query to whole blocks of 128 values with zeros.
func query2(qc []int8) []int8 {
	out := make([]int8, (len(qc)+127)/128*128)
	copy(out, qc)
	return out
}

// queryVNNI rearranges a padded query (query2) for the VNNI kernel: for
// each pair of blocks and each bit pair j, the 32 query values of level j
// of the first block, then those of the second (a 64-byte code load holds
// both blocks). It returns nil when the blocks do not pair up.
func queryVNNI(q []int8) []int8 {
	blocks := len(q) / 128
	if blocks%2 != 0 {
		return nil
	}
	out := make([]int8, 0, len(q))
	for c := 0; c < blocks/2; c++ {
		for j := 0; j < 4; j++ {
			out = append(out, q[2*c*128+j*32:2*c*128+j*32+32]...)
			out = append(out, q[(2*c+1)*128+j*32:(2*c+1)*128+j*32+32]...)
		}
	}
	return out
}

// score2Go is the portable two-bit score Σ q_i·u_i of one template's code
// (and the reference the assembly kernel is tested against).
func score2Go(code []byte, q []int8) int32 {
	var s int32
	for blk := 0; blk < len(code)/32; blk++ {
		c, qb := code[blk*32:blk*32+32], q[blk*128:blk*128+128]
		for b, byt := range c {
			s += int32(byt&3)*int32(qb[b]) + int32(byt>>2&3)*int32(qb[32+b]) +
				int32(byt>>4&3)*int32(qb[64+b]) + int32(byt>>6)*int32(qb[96+b])
		}
	}
	return s
}
