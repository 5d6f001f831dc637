package eval

import (
	"math"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mienhq/mien/face"
)

// randomSet makes people with several noisy photos each around a random
// unit direction.
func randomSet(rng *rand.Rand, people, photos, dim int, noise float64) []Record {
	var recs []Record
	for p := range people {
		c := make([]float32, dim)
		for i := range c {
			c[i] = float32(rng.NormFloat64())
		}
		for k := range photos {
			v := make([]float32, dim)
			for i := range v {
				v[i] = c[i] + float32(noise*rng.NormFloat64())
			}
			face.Normalize(v)
			recs = append(recs, Record{Path: personName(p) + "/" + personName(p) + "_" + string(rune('0'+k)) + ".jpg", Vector: v, FaceSize: 100, Sharpness: 100})
		}
	}
	return recs
}

func personName(p int) string {
	return "P" + strings.Repeat("x", p%3) + string(rune('A'+p%26)) + string(rune('a'+p/26))
}

func TestScoreImpostorsMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	recs := randomSet(rng, 40, 3, 16, 0.8)
	recs = append(recs, Record{Path: "Nobody/Nobody_0001.jpg"}) // no face: skipped
	ids := Identities(map[string]string{personName(1): personName(0)})
	var all []float32
	for i := range recs {
		for j := i + 1; j < len(recs); j++ {
			if recs[i].Vector != nil && recs[j].Vector != nil && ids(recs[i]) != ids(recs[j]) {
				all = append(all, face.Dot(recs[i].Vector, recs[j].Vector))
			}
		}
	}
	var rows atomic.Int64
	im := ScoreImpostors(recs, ids, 0.3, 5, 3, func() { rows.Add(1) })
	if im.Total != int64(len(all)) || rows.Load() != int64(len(recs)-1) {
		t.Fatalf("%d pairs scored over %d rows, want %d over %d", im.Total, rows.Load(), len(all), len(recs)-1)
	}
	// 40 people of 3 photos, people 0 and 1 merged: 120*119/2 - 40*3 - 9 pairs.
	if want := 120*119/2 - 40*3 - 9; len(all) != want {
		t.Fatalf("brute force counted %d, want %d", len(all), want)
	}
	for _, far := range []float64{0.5, 0.1, 0.01, 0.003} {
		got, want := im.ThresholdAtFAR(far), ThresholdAtFAR(all, far)
		tol := 1e-6
		if want < im.Cut {
			tol = binWidth
		}
		if math.Abs(float64(got-want)) > tol {
			t.Errorf("FAR %g: threshold %g, brute force %g", far, got, want)
		}
		if got >= im.Cut && im.FARAt(got) > far {
			t.Errorf("FAR %g: %g of impostors at or above %g", far, im.FARAt(got), got)
		}
	}
	if len(im.Highest) != 5 || im.Highest[0].Score < im.Highest[4].Score {
		t.Fatalf("highest pairs: %v", im.Highest)
	}
	best := float32(-2)
	for _, s := range all {
		best = max(best, s)
	}
	if im.Highest[0].Score != best {
		t.Fatalf("highest pair %g, brute force %g", im.Highest[0].Score, best)
	}
}

// gpdSample draws from a generalized Pareto distribution by inversion.
func gpdSample(rng *rand.Rand, n int, shape, scale float64) []float64 {
	y := make([]float64, n)
	for i := range y {
		u := rng.Float64()
		y[i] = scale / shape * (math.Pow(1-u, -shape) - 1)
	}
	return y
}

func TestFitGPDRecoversParameters(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, tc := range []struct{ shape, scale float64 }{{-0.2, 0.05}, {0.1, 0.02}, {-0.4, 0.1}} {
		shape, scale := FitGPD(gpdSample(rng, 50000, tc.shape, tc.scale))
		if math.Abs(shape-tc.shape) > 0.03 || math.Abs(scale/tc.scale-1) > 0.05 {
			t.Errorf("fit (%g, %g), want (%g, %g)", shape, scale, tc.shape, tc.scale)
		}
	}
}

func TestCalibrateUsesTailWhereDataIsThin(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	// Impostor scores: 0.2 + GPD exceedances for the top 10%, uniform below.
	im := &Impostors{Cut: 0.2, below: make([]int64, bin(1)+1)}
	for range 90000 {
		im.below[bin(float32(0.2*rng.Float64()))]++
	}
	for _, y := range gpdSample(rng, 10000, -0.2, 0.05) {
		im.Top = append(im.Top, float32(0.2+y))
	}
	im.Total = 100000
	merged := mergeImpostors([]*Impostors{im}, 0.2, 0)
	tail, err := FitTail(merged, 1e-2)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(tail.Shape+0.2) > 0.1 || tail.Exceedances != 1000 {
		t.Fatalf("tail %+v", tail)
	}
	pts := Calibrate(merged, tail, []float64{0.1, 1e-2, 1e-3, 1e-4, 1e-6}, 50)
	for _, p := range pts {
		thin := p.FAR*1e5 < 50
		if thin != p.FromModel || thin && p.Used != round4(p.Model) || !thin && p.Used != round4(float64(p.Empirical)) {
			t.Errorf("FAR %g: used %g, empirical %g, model %g", p.FAR, p.Used, p.Empirical, p.Model)
		}
		if p.FAR <= 1e-3 { // true GPD quantile: 0.2 + scale/shape*((far/0.1)^-shape - 1)
			want := 0.2 + 0.05/-0.2*(math.Pow(p.FAR/0.1, 0.2)-1)
			if math.Abs(p.Model-want) > 0.01 {
				t.Errorf("FAR %g: tail model %g, true %g", p.FAR, p.Model, want)
			}
		}
	}
	if !math.IsNaN(pts[0].Model) {
		t.Errorf("tail model above its anchor: %g", pts[0].Model)
	}
}

func TestCalibrationFARs(t *testing.T) {
	f := CalibrationFARs()
	if f[0] != 0.5 || f[len(f)-1] != 1e-7 || len(f) != 28 {
		t.Fatalf("%v", f)
	}
	for _, want := range []float64{1e-2, 1e-3, 1e-4, 1e-6} {
		found := false
		for _, v := range f {
			found = found || v == want
		}
		if !found {
			t.Errorf("%g missing from %v", want, f)
		}
	}
}
