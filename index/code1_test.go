package index

import (
	"math/rand/v2"
	"testing"
)

// TestScores1MatchesReference checks the kernel against the portable code
// and both against the definition Σ ±q_i (+ for a value >= 0), for several
// dimensions, including ones that do not fill whole bytes.
func TestScores1MatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, d := range []int{8, 13, 128, 512, 1000, 2048} {
		nb := code1Bytes(d)
		const blocks = 3
		codes := make([]byte, blocks*nb*code1Block)
		vs := make([][]float32, blocks*code1Block)
		for i := range vs {
			vs[i] = randUnit(r, d)
			setCode1(codes[i/code1Block*nb*code1Block:], i%code1Block, vs[i])
		}
		q := randUnit(r, d)
		lut := query1(q, nb)
		got := make([]uint16, blocks*code1Block)
		want := make([]uint16, blocks*code1Block)
		scores1(codes, nb, lut, got)
		scores1Go(codes, nb, lut, want)
		// The definition, with the same quantised query.
		lvl := code1Level(d)
		var mx float32
		for _, v := range q {
			mx = max(mx, v, -v)
		}
		for i, v := range vs {
			def := 4 * lvl * 2 * nb
			for k, x := range v {
				f := q[k] / mx * float32(lvl)
				qi := int(f + 0.5)
				if f < 0 {
					qi = -int(-f + 0.5)
				}
				if x >= 0 {
					def += qi
				} else {
					def -= qi
				}
			}
			// Padding values (beyond d) have q = 0 and add nothing.
			if got[i] != want[i] || int(want[i]) != def {
				t.Fatalf("d=%d template %d: kernel %d, portable %d, definition %d", d, i, got[i], want[i], def)
			}
		}
	}
}

// BenchmarkScores1Gallery is the pass over 1M templates (64 MB of codes,
// from memory); BenchmarkScores1Cached its compute cost alone (4,096
// templates, 256 KB, stay in the caches).
func BenchmarkScores1Gallery(b *testing.B) { benchScores1(b, 1<<20) }
func BenchmarkScores1Cached(b *testing.B)  { benchScores1(b, 4096) }

func benchScores1(b *testing.B, n int) {
	r := rand.New(rand.NewPCG(1, 1))
	nb := code1Bytes(512)
	codes := make([]byte, n*nb)
	for i := range codes {
		codes[i] = byte(r.Uint32())
	}
	lut := query1(randUnit(r, 512), nb)
	out := make([]uint16, n)
	b.SetBytes(int64(len(codes)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		scores1(codes, nb, lut, out)
	}
}
