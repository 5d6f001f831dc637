package document

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// ErrNotCalibrated is returned for a recognizer without a document-vs-live
// calibration.
var ErrNotCalibrated = errors.New("document: no document-vs-live calibration for this recognizer")

// Point is one calibrated threshold: impostor document-vs-selfie pairs
// score at or above Cosine at the rate FAR.
type Point struct {
	FAR    float64 `json:"far"`
	Cosine float32 `json:"cosine"`
}

// Calibration is a recognizer's thresholds for document portraits against
// live selfies, which score lower than two live photos of one person.
type Calibration struct {
	Recognizer string  `json:"recognizer"`
	Detector   string  `json:"detector"`
	Points     []Point `json:"points"` // FAR ascending
	Source     string  `json:"source"`
}

// calibrations are made by `mien eval kyc DIR --calibrate` on the calib
// split of scripts/make-documents.sh and reported on its report split
// (docs/kyc.md, docs/benchmarks.md "ID photo vs selfie (issue 12)").
var calibrations = []Calibration{{
	Recognizer: "faceplugin-arcface-512",
	Detector:   "yunet-n",
	Points:     []Point{{FAR: 1e-4, Cosine: 0.39558658}, {FAR: 1e-3, Cosine: 0.32361227}, {FAR: 1e-2, Cosine: 0.2343215}},
	Source: "mien eval kyc on the \"calib\" split of scripts/make-documents.sh /tmp/kyc-docs 1000 1 (500 synthetic documents, " +
		"423 genuine and 211077 impostor pairs; yunet-n); reported on the disjoint \"report\" split (docs/benchmarks.md)",
}}

// For returns the calibration of a recognizer.
func For(recognizer string) (Calibration, error) {
	for _, c := range calibrations {
		if c.Recognizer == recognizer {
			return c, nil
		}
	}
	return Calibration{}, fmt.Errorf("%w (%s)", ErrNotCalibrated, recognizer)
}

// Cosine returns the threshold at far, interpolated in log(far) between the
// calibrated points; far must lie within them.
func (c Calibration) Cosine(far float64) (float32, error) {
	n := len(c.Points)
	if n == 0 || !(far >= c.Points[0].FAR && far <= c.Points[n-1].FAR) {
		return 0, fmt.Errorf("document: false-match rate %g is outside the calibrated range", far)
	}
	for i := 1; i < n; i++ {
		a, b := c.Points[i-1], c.Points[i]
		if far <= b.FAR {
			t := (math.Log(far) - math.Log(a.FAR)) / (math.Log(b.FAR) - math.Log(a.FAR))
			return a.Cosine + float32(t)*(b.Cosine-a.Cosine), nil
		}
	}
	return c.Points[0].Cosine, nil
}

// Calibrate returns, for each far (ascending), the lowest cosine at which at
// most far of the impostor scores are at or above it. It needs at least
// 1/far impostor scores for each far.
func Calibrate(impostor []float32, fars []float64) ([]Point, error) {
	s := slices.Clone(impostor)
	slices.Sort(s)
	slices.Reverse(s)
	var out []Point
	for _, far := range fars {
		if far <= 0 || float64(len(s))*far < 1 {
			return nil, fmt.Errorf("document: %d impostor scores cannot calibrate a false-match rate of %g", len(s), far)
		}
		k := int(far * float64(len(s))) // scores s[0..k-1] may be at or above the threshold
		out = append(out, Point{FAR: far, Cosine: math.Nextafter32(s[k], 2)})
	}
	return out, nil
}

// Rate returns the share of scores at or above t.
func Rate(scores []float32, t float32) float64 {
	if len(scores) == 0 {
		return math.NaN()
	}
	n := 0
	for _, s := range scores {
		if s >= t {
			n++
		}
	}
	return float64(n) / float64(len(scores))
}
