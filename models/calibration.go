package models

import (
	"errors"
	"fmt"
	"math"
	"sort"
)

// Tail is a generalized Pareto model of the impostor-score tail, used for
// false-match rates below the deepest calibrated point: for a cosine c at
// or above the anchor Cosine,
//
//	FAR(c) = FAR * (1 + Shape*(c-Cosine)/Scale)^(-1/Shape)
//
// (FAR * exp(-(c-Cosine)/Scale) when Shape is 0). A negative Shape is a
// bounded tail, as cosine scores are: no impostor reaches Cosine - Scale/Shape.
type Tail struct {
	Cosine float32 `json:"cosine"`
	FAR    float64 `json:"far"`
	Shape  float64 `json:"shape"`
	Scale  float64 `json:"scale"`
	// Exceedances is the number of impostor scores the model was fitted on.
	Exceedances int    `json:"exceedances,omitempty"`
	Source      string `json:"source,omitempty"`
}

// cosine returns the tail model's threshold at far.
func (t Tail) cosine(far float64) float64 {
	r := far / t.FAR
	if math.Abs(t.Shape) < 1e-9 {
		return float64(t.Cosine) - t.Scale*math.Log(r)
	}
	return float64(t.Cosine) + t.Scale/t.Shape*(math.Pow(r, -t.Shape)-1)
}

// far returns the tail model's false-match rate at cosine c.
func (t Tail) far(c float64) float64 {
	y := c - float64(t.Cosine)
	if math.Abs(t.Shape) < 1e-9 {
		return t.FAR * math.Exp(-y/t.Scale)
	}
	base := 1 + t.Shape*y/t.Scale
	if base <= 0 {
		return 0 // past the bounded tail's end point
	}
	return t.FAR * math.Pow(base, -1/t.Shape)
}

// Calibration maps false-match rates to cosine thresholds and back: exact
// at its table's points, interpolated linearly in log(FAR) between them,
// and from the tail model past the deepest point. Safe for concurrent use.
type Calibration struct {
	points []Threshold // FAR descending, cosine ascending
	tail   *Tail
}

// ErrNotCalibrated is returned for a recognizer without calibrated thresholds.
var ErrNotCalibrated = errors.New("models: recognizer has no calibrated thresholds")

// NewCalibration checks a threshold table (any order) and a tail model
// (optional): FARs in (0, 1) and distinct, cosines strictly increasing as
// the FAR falls, a tail with a positive scale and anchor FAR.
func NewCalibration(points []Threshold, tail *Tail) (*Calibration, error) {
	if len(points) == 0 {
		return nil, ErrNotCalibrated
	}
	p := append([]Threshold(nil), points...)
	sort.Slice(p, func(i, j int) bool { return p[i].FAR > p[j].FAR })
	for i, t := range p {
		if !(t.FAR > 0 && t.FAR < 1) || math.IsNaN(float64(t.Cosine)) || t.Cosine < -1 || t.Cosine > 1 {
			return nil, fmt.Errorf("models: calibration point FAR %g cosine %g is out of range", t.FAR, t.Cosine)
		}
		if i > 0 && (t.FAR == p[i-1].FAR || t.Cosine <= p[i-1].Cosine) {
			return nil, fmt.Errorf("models: calibration is not monotonic at FAR %g (cosine %g after %g at FAR %g)", t.FAR, t.Cosine, p[i-1].Cosine, p[i-1].FAR)
		}
	}
	if tail != nil && !(tail.Scale > 0 && tail.FAR > 0 && tail.FAR < 1) {
		return nil, fmt.Errorf("models: tail model needs a positive scale and an anchor FAR in (0, 1), got scale %g FAR %g", tail.Scale, tail.FAR)
	}
	return &Calibration{points: p, tail: tail}, nil
}

// Points returns the table, FAR descending.
func (c *Calibration) Points() []Threshold { return append([]Threshold(nil), c.points...) }

// MaxFAR is the table's highest FAR.
func (c *Calibration) MaxFAR() float64 { return c.points[0].FAR }

// Exact returns the table's cosine at far, if far is one of its points.
func (c *Calibration) Exact(far float64) (float32, bool) {
	for _, t := range c.points {
		if t.FAR == far {
			return t.Cosine, true
		}
	}
	return 0, false
}

// Cosine returns the threshold at which a fraction far of impostor
// comparisons score at or above it (far in (0, 1]); never above 1.
func (c *Calibration) Cosine(far float64) float32 {
	if v, ok := c.Exact(far); ok {
		return v
	}
	p := c.points
	lf := math.Log(far)
	if far > p[0].FAR { // between the table's top and (FAR 1, cosine -1)
		return float32(lerp(lf, 0, math.Log(p[0].FAR), -1, float64(p[0].Cosine)))
	}
	n := len(p)
	if far < p[n-1].FAR {
		last := p[n-1]
		var v float64
		switch {
		case c.tail != nil: // the tail's shape, shifted to pass through the deepest point
			v = float64(last.Cosine) + c.tail.cosine(far) - c.tail.cosine(last.FAR)
		case n >= 2:
			v = lerp(lf, math.Log(p[n-2].FAR), math.Log(last.FAR), float64(p[n-2].Cosine), float64(last.Cosine))
		default:
			v = float64(last.Cosine)
		}
		return float32(math.Min(v, 1))
	}
	i := sort.Search(n, func(i int) bool { return p[i].FAR < far }) // p[i-1].FAR > far > p[i].FAR
	a, b := p[i-1], p[i]
	return float32(lerp(lf, math.Log(a.FAR), math.Log(b.FAR), float64(a.Cosine), float64(b.Cosine)))
}

// FAR returns the false-match rate of a comparison at cosine v: the
// fraction of impostor comparisons expected to score v or more. It is 1 at
// v = -1 and falls to 0 past a bounded tail's end point.
func (c *Calibration) FAR(v float32) float64 {
	p := c.points
	x := float64(v)
	n := len(p)
	switch {
	case x <= -1:
		return 1
	case x <= float64(p[0].Cosine):
		return math.Exp(lerp(x, -1, float64(p[0].Cosine), 0, math.Log(p[0].FAR)))
	case x > float64(p[n-1].Cosine):
		last := p[n-1]
		switch {
		case c.tail != nil:
			shift := float64(last.Cosine) - c.tail.cosine(last.FAR)
			return c.tail.far(x - shift)
		case n >= 2:
			return math.Exp(lerp(x, float64(p[n-2].Cosine), float64(last.Cosine), math.Log(p[n-2].FAR), math.Log(last.FAR)))
		}
		return last.FAR
	}
	i := sort.Search(n, func(i int) bool { return float64(p[i].Cosine) >= x })
	if float64(p[i].Cosine) == x {
		return p[i].FAR
	}
	a, b := p[i-1], p[i]
	return math.Exp(lerp(x, float64(a.Cosine), float64(b.Cosine), math.Log(a.FAR), math.Log(b.FAR)))
}

// lerp maps x from [x0, x1] onto [y0, y1] linearly (extrapolating outside).
func lerp(x, x0, x1, y0, y1 float64) float64 {
	if x1 == x0 {
		return y0
	}
	return y0 + (x-x0)/(x1-x0)*(y1-y0)
}
