package index

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestDot8MatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, n := range []int{0, 1, 7, 31, 32, 33, 64, 100, 511, 512, 513, 1000} {
		for trial := 0; trial < 20; trial++ {
			a, b := make([]int8, n), make([]int8, n)
			for i := range a {
				a[i], b[i] = int8(r.IntN(256)-128), int8(r.IntN(256)-128)
			}
			if trial == 0 && n > 0 { // extremes
				for i := range a {
					a[i], b[i] = -128, -128
				}
			}
			if got, want := dot8(a, b), dot8Go(a, b); got != want {
				t.Fatalf("n=%d trial %d: kernel %d, reference %d", n, trial, got, want)
			}
		}
	}
}

func BenchmarkDot8_512(b *testing.B) {
	x, y := make([]int8, 512), make([]int8, 512)
	for i := range x {
		x[i], y[i] = int8(i), int8(3*i)
	}
	b.SetBytes(512)
	for i := 0; i < b.N; i++ {
		dot8(x, y)
	}
}

func BenchmarkDot8Go_512(b *testing.B) {
	x, y := make([]int8, 512), make([]int8, 512)
	b.SetBytes(512)
	for i := 0; i < b.N; i++ {
		dot8Go(x, y)
	}
}

func BenchmarkScores2(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	const n = 1024
	stride := code2Bytes(512)
	codes := make([]byte, n*stride)
	for i := 0; i < n; i++ {
		encode2(codes[i*stride:(i+1)*stride], randUnit(r, 512))
	}
	qc := make([]int8, 512)
	quantize(qc, randUnit(r, 512))
	q := query2(qc)
	out := make([]int32, n)
	b.SetBytes(int64(n * stride))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		scores2(codes, stride, q, queryVNNI(q), out)
	}
}

func TestScores2MatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for _, d := range []int{1, 100, 128, 200, 512, 1000, 1024, 1100} {
		const n = 11 // two loops of the four-template kernel and a tail
		stride := code2Bytes(d)
		codes := make([]byte, n*stride)
		var vs [][]float32
		for i := 0; i < n; i++ {
			vs = append(vs, randUnit(r, d))
			encode2(codes[i*stride:(i+1)*stride], vs[i])
		}
		qc := make([]int8, d)
		quantize(qc, randUnit(r, d))
		qc[0] = 127
		q := query2(qc)
		out := make([]int32, n)
		scores2(codes, stride, q, queryVNNI(q), out)
		noVNNI := make([]int32, n) // the AVX2 kernel (or pure Go) on its own
		scores2(codes, stride, q, nil, noVNNI)
		for i := 0; i < n; i++ {
			want := score2Go(codes[i*stride:(i+1)*stride], q)
			if noVNNI[i] != want {
				t.Fatalf("d=%d template %d: kernel without VNNI %d, portable %d", d, i, noVNNI[i], want)
			}
			// The definition: Σ q_j·u_j with u from the thresholds.
			var def int32
			var ss float64
			for _, x := range vs[i] {
				ss += float64(x) * float64(x)
			}
			step := float32(code2Step * math.Sqrt(ss/float64(d)))
			for j, x := range vs[i] {
				u := int32(0)
				if x >= step {
					u = 3
				} else if x >= 0 {
					u = 2
				} else if x >= -step {
					u = 1
				}
				def += u * int32(qc[j])
			}
			if out[i] != want || want != def {
				t.Fatalf("d=%d template %d: kernel %d, portable %d, definition %d", d, i, out[i], want, def)
			}
		}
	}
}

func BenchmarkScores2Gallery(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	const n = 1 << 20
	stride := code2Bytes(512)
	codes := make([]byte, n*stride)
	for i := range codes {
		codes[i] = byte(r.Uint32())
	}
	qc := make([]int8, 512)
	quantize(qc, randUnit(r, 512))
	q := query2(qc)
	out := make([]int32, n)
	b.SetBytes(int64(n * stride))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		scores2(codes, stride, q, queryVNNI(q), out)
	}
}

// TestDot8RowsMatchesReference checks the prefetching row kernel against
// the portable one over scattered rows, including rows at the gallery's end.
func TestDot8RowsMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for _, d := range []int{64, 512, 100} {
		const rows = 50
		codes := make([]int8, rows*d)
		for i := range codes {
			codes[i] = int8(r.IntN(255) - 127)
		}
		q := codes[3*d : 4*d]
		slots := []int{rows - 1, 0, 7, 7, 49, 13, 2, 30, 31, 32, 33, 34, 35, 48, 1}
		got, want := make([]int32, len(slots)), make([]int32, len(slots))
		dot8Rows(q, codes, slots, got)
		for i, s := range slots {
			want[i] = dot8Go(q, codes[s*d:(s+1)*d])
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("d=%d slot %d: kernel %d, reference %d", d, slots[i], got[i], want[i])
			}
		}
	}
}
