package models

import (
	"errors"
	"math"
	"testing"
)

func testCalibration(t *testing.T, tail *Tail) *Calibration {
	t.Helper()
	c, err := NewCalibration([]Threshold{{FAR: 1e-4, Cosine: 0.4}, {FAR: 1e-2, Cosine: 0.2}, {FAR: 0.5, Cosine: 0}, {FAR: 1e-3, Cosine: 0.33}}, tail)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func TestCalibrationExactAndInterpolated(t *testing.T) {
	c := testCalibration(t, nil)
	for _, tc := range []struct {
		far  float64
		want float64
	}{
		{1e-2, 0.2}, {1e-3, 0.33}, {1e-4, 0.4}, {0.5, 0},
		{math.Sqrt(1e-2 * 1e-3), 0.265}, // half way in log(FAR)
		{math.Pow(10, -3.25), 0.3475},   // a quarter of the way from 1e-3 to 1e-4
		{1e-5, 0.47},                    // no tail: the last segment extended
		{1, -1},                         // FAR 1 accepts everything
	} {
		if got := c.Cosine(tc.far); !near(float64(got), tc.want, 1e-6) {
			t.Errorf("Cosine(%g) = %g, want %g", tc.far, got, tc.want)
		}
	}
}

func TestCalibrationRoundTrip(t *testing.T) {
	tail := &Tail{Cosine: 0.4, FAR: 1e-4, Shape: -0.1, Scale: 0.05}
	for _, tl := range []*Tail{nil, tail} {
		c := testCalibration(t, tl)
		prev := float32(-2)
		for e := -0.31; e >= -9; e -= 0.07 {
			far := math.Pow(10, e)
			v := c.Cosine(far)
			if v <= prev {
				t.Fatalf("tail %v: Cosine(%g) = %g is not above %g at a higher FAR", tl != nil, far, v, prev)
			}
			prev = v
			if back := c.FAR(v); !near(math.Log10(back), e, 1e-4) {
				t.Fatalf("tail %v: FAR(Cosine(%g)) = %g", tl != nil, far, back)
			}
		}
	}
}

func TestCalibrationTail(t *testing.T) {
	// Tail anchored off the table's deepest point: it is shifted to pass
	// through it, so the curve stays continuous there.
	tail := &Tail{Cosine: 0.41, FAR: 1e-4, Shape: 0, Scale: 0.03}
	c := testCalibration(t, tail)
	if got := c.Cosine(1e-4 * 0.999999); !near(float64(got), 0.4, 1e-6) {
		t.Fatalf("not continuous at the deepest point: %g", got)
	}
	// Exponential tail: each decade adds Scale*ln(10).
	if got, want := float64(c.Cosine(1e-6)), 0.4+2*0.03*math.Ln10; !near(got, want, 1e-6) {
		t.Fatalf("Cosine(1e-6) = %g, want %g", got, want)
	}
	// A bounded tail: past its end point nothing matches, and thresholds stay at or under 1.
	b := testCalibration(t, &Tail{Cosine: 0.4, FAR: 1e-4, Shape: -0.5, Scale: 0.1}) // end point 0.6
	if got := b.FAR(0.61); got != 0 {
		t.Fatalf("FAR past the end point = %g, want 0", got)
	}
	if got := b.Cosine(1e-30); got > 0.6 || got < 0.59 {
		t.Fatalf("Cosine(1e-30) = %g, want just under the end point 0.6", got)
	}
	steep := testCalibration(t, &Tail{Cosine: 0.4, FAR: 1e-4, Shape: 0, Scale: 1})
	if got := steep.Cosine(1e-9); got != 1 {
		t.Fatalf("threshold not capped at 1: %g", got)
	}
}

func TestCalibrationRefusesBadTables(t *testing.T) {
	for name, pts := range map[string][]Threshold{
		"not monotonic": {{FAR: 1e-2, Cosine: 0.3}, {FAR: 1e-3, Cosine: 0.2}},
		"duplicate FAR": {{FAR: 1e-2, Cosine: 0.3}, {FAR: 1e-2, Cosine: 0.4}},
		"FAR of 1":      {{FAR: 1, Cosine: 0.3}},
		"cosine over 1": {{FAR: 1e-2, Cosine: 1.5}},
	} {
		if _, err := NewCalibration(pts, nil); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := NewCalibration([]Threshold{{FAR: 1e-2, Cosine: 0.3}}, &Tail{FAR: 1e-2, Scale: 0}); err == nil {
		t.Error("tail with zero scale accepted")
	}
	if _, err := NewCalibration(nil, nil); !errors.Is(err, ErrNotCalibrated) {
		t.Errorf("empty table: %v", err)
	}
}

func TestSimilarityScale(t *testing.T) {
	for _, tc := range []struct {
		far float64
		sim float32
	}{{1, 0}, {2, 0}, {1e-6, 80}, {1e-7, 90}, {1e-8, 100}, {1e-12, 100}, {0, 100}, {1e-3, 40}} {
		if got := SimilarityForFAR(tc.far); !near(float64(got), float64(tc.sim), 1e-4) {
			t.Errorf("SimilarityForFAR(%g) = %g, want %g", tc.far, got, tc.sim)
		}
	}
	for s := float32(0); s <= 100; s += 2.5 {
		if got := SimilarityForFAR(FARForSimilarity(s)); !near(float64(got), float64(s), 1e-3) {
			t.Fatalf("round trip %g -> %g", s, got)
		}
	}
	if FARForSimilarity(120) != FARForSimilarity(100) || FARForSimilarity(-5) != 1 {
		t.Fatal("similarity not clamped to 0..100")
	}
}

func TestBuiltinCalibrations(t *testing.T) {
	packs, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range packs {
		for _, m := range p.Models {
			if m.Role != RoleRecognizer {
				continue
			}
			c, err := NewCalibration(m.Thresholds, m.Tail)
			if err != nil {
				t.Fatalf("pack %s recognizer %s: %v", p.Name, m.ID, err)
			}
			for _, far := range []float64{1e-2, 1e-3, 1e-4} {
				if _, ok := c.Exact(far); !ok {
					t.Errorf("pack %s: no exact threshold at FAR %g", p.Name, far)
				}
			}
		}
	}
}
