package track

import "testing"

// BenchmarkUpdate: ten walkers and two false positives per frame.
func BenchmarkUpdate(b *testing.B) {
	var ws []walker
	for i := 0; i < 10; i++ {
		ws = append(ws, walker{x: float32(i * 100), y: float32(60 + i*60), vx: 6, size: 60, from: 1, to: 1000})
	}
	seq := simulate(200, ws, 2, 1)
	tr, _ := New(Options{})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tr.Update(seq.dets[i%len(seq.dets)])
	}
}
