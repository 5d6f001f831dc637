package eval

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/mienhq/mien/models"
)

// CalibrationFARs is the grid of a dense calibration table: 5, 3, 2 and
// 1 per decade from 0.5 down to 1e-7.
func CalibrationFARs() []float64 {
	var out []float64
	for e := 1; e <= 7; e++ {
		for _, m := range []int{5, 3, 2, 1} {
			f, _ := strconv.ParseFloat(fmt.Sprintf("%de-%d", m, e), 64)
			out = append(out, f)
		}
	}
	return out
}

// FitGPD fits a generalized Pareto distribution to exceedances (values
// over a threshold, all >= 0) by probability-weighted moments (Hosking and
// Wallis, 1987): with a0 the mean and a1 = mean((1-p_i) y_(i)) over the
// ascending sample, p_i = (i-0.35)/n, shape = a0/(a0-2a1) - 2 and scale =
// 2*a0*a1/(a0-2a1). Shape < 0 is a bounded tail.
func FitGPD(y []float64) (shape, scale float64) {
	s := slices.Clone(y)
	slices.Sort(s)
	n := float64(len(s))
	var a0, a1 float64
	for i, v := range s {
		a0 += v
		a1 += (1 - (float64(i+1)-0.35)/n) * v
	}
	a0 /= n
	a1 /= n
	d := a0 - 2*a1
	return 2 - a0/d, 2 * a0 * a1 / d
}

// FitTail fits the tail model to the impostor scores above the threshold
// at anchorFAR (which must lie within Top).
func FitTail(im *Impostors, anchorFAR float64) (models.Tail, error) {
	k := int(math.Round(anchorFAR * float64(im.Total)))
	if k < 30 || k >= len(im.Top) {
		return models.Tail{}, fmt.Errorf("eval: tail anchor FAR %g leaves %d exceedances (need 30 to %d)", anchorFAR, k, len(im.Top))
	}
	u := im.Top[k] // k scores lie strictly above u (up to ties)
	var y []float64
	for _, s := range im.Top[:k] {
		y = append(y, float64(s-u))
	}
	shape, scale := FitGPD(y)
	return models.Tail{Cosine: u, FAR: float64(k) / float64(im.Total), Shape: shape, Scale: scale, Exceedances: k}, nil
}

// CalibrationPoint is one row of a calibration report.
type CalibrationPoint struct {
	FAR float64
	// Empirical is the threshold from the impostor scores and Above how many lie at or above it.
	Empirical float32
	Above     int64
	// Model is the tail model's threshold (NaN above its anchor).
	Model float64
	// Used is what goes into the table, and FromModel says it is the model's.
	Used      float32
	FromModel bool
}

// Calibrate builds a calibration table over fars: the empirical threshold
// where at least minAbove impostor pairs lie above it, else the tail
// model's, rounded to 4 decimals.
func Calibrate(im *Impostors, tail models.Tail, fars []float64, minAbove int) []CalibrationPoint {
	var out []CalibrationPoint
	for _, far := range fars {
		p := CalibrationPoint{FAR: far, Empirical: im.ThresholdAtFAR(far), Model: math.NaN()}
		p.Above = int64(math.Round(im.FARAt(p.Empirical) * float64(im.Total)))
		if far <= tail.FAR {
			p.Model = tailCosine(tail, far)
		}
		p.Used = round4(float64(p.Empirical))
		if far*float64(im.Total) < float64(minAbove) {
			p.Used, p.FromModel = round4(p.Model), true
		}
		out = append(out, p)
	}
	return out
}

func tailCosine(t models.Tail, far float64) float64 {
	c, err := models.NewCalibration([]models.Threshold{{FAR: t.FAR, Cosine: t.Cosine}}, &t)
	if err != nil {
		return math.NaN()
	}
	return float64(c.Cosine(far))
}

func round4(v float64) float32 { return float32(math.Round(v*1e4) / 1e4) }
