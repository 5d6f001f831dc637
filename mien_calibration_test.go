package mien_test

import (
	"math"
	"testing"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/internal/testenv"
)

// Threshold takes any FAR in [MinFAR, MaxFAR], keeps the table's exact
// values, and FAR is its inverse; Similarity 80 is FAR 1e-6.
func TestThresholdAtAnyFAR(t *testing.T) {
	for _, pack := range packs() {
		t.Run(pack, func(t *testing.T) {
			eng := testenv.Engine(t, pack)
			rec := eng.Recognizer()
			for _, p := range rec.Thresholds {
				got, err := eng.Threshold(p.FAR)
				if err != nil || got != p.Cosine {
					t.Fatalf("table point FAR %g: %g, %v; want %g", p.FAR, got, err, p.Cosine)
				}
			}
			top := math.Min(mien.MaxFAR, eng.FARs()[0]) // an installed older pack stops lower
			if top < mien.MaxFAR {
				if _, err := eng.Threshold(top * 1.5); err == nil {
					t.Errorf("Threshold(%g) above the table's top %g accepted", top*1.5, top)
				}
			}
			prev := float32(-1)
			for e := math.Log10(top); e >= -9; e -= 0.1 {
				far := math.Max(math.Pow(10, e), mien.MinFAR)
				thr, err := eng.Threshold(far)
				if err != nil {
					t.Fatalf("Threshold(%g): %v", far, err)
				}
				if thr <= prev || thr > 1 {
					t.Fatalf("Threshold(%g) = %g after %g: not increasing as FAR falls", far, thr, prev)
				}
				prev = thr
				if back := eng.FAR(thr); math.Abs(math.Log10(back)-math.Log10(far)) > 1e-3 {
					t.Fatalf("FAR(Threshold(%g)) = %g", far, back)
				}
			}
			for _, bad := range []float64{0, 1e-10, 0.6, 1, -1, math.NaN()} {
				if _, err := eng.Threshold(bad); err == nil {
					t.Errorf("Threshold(%g) accepted", bad)
				}
			}
			c80 := eng.CosineForSimilarity(80)
			t6, _ := eng.Threshold(1e-6)
			if math.Abs(float64(c80-t6)) > 1e-5 || math.Abs(float64(eng.Similarity(c80))-80) > 0.01 {
				t.Fatalf("Similarity 80 at cosine %g, Threshold(1e-6) = %g, Similarity(%g) = %g", c80, t6, c80, eng.Similarity(c80))
			}
			if eng.Similarity(-1) != 0 || eng.Similarity(1) != 100 {
				t.Fatalf("Similarity(-1) = %g, Similarity(1) = %g", eng.Similarity(-1), eng.Similarity(1))
			}
		})
	}
}
