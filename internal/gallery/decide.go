package gallery

import (
	"context"
	"fmt"
	"math"

	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/internal/store"
)

// Policy says how an identification decides. At most one of FPIR and FAR
// is set; with neither, the collection's FPIR applies, else the gallery's.
type Policy struct {
	// FPIR is the false-positive identification rate: the share of people
	// not enrolled whom the search would match to anyone.
	FPIR float64
	// FAR is a per-comparison false-match rate (each template compared
	// with the probe may cross the threshold this often); kept for clients
	// of the API before FPIR.
	FAR float64
}

// Decision is what an identification decided with.
type Decision struct {
	// FPIR is the rate asked for, or with a FAR the rate that FAR gives at
	// this gallery size.
	FPIR float64 `json:"fpir"`
	// FAR is the per-comparison false-match rate the threshold is set at.
	FAR       float64 `json:"far"`
	Threshold float32 `json:"threshold"`
	// GallerySize is how many comparisons a stranger's probe is counted
	// as getting: the collection's templates.
	GallerySize int `json:"gallery_size"`
}

// PerComparisonFAR is the per-comparison false-match rate at which n
// independent comparisons match a stranger to anyone with probability fpir:
// 1-(1-fpir)^(1/n).
func PerComparisonFAR(fpir float64, n int) float64 {
	return -math.Expm1(math.Log1p(-fpir) / float64(max(n, 1)))
}

// FPIRAt is the inverse: the share of strangers n comparisons at a
// per-comparison rate far match to anyone, 1-(1-far)^n.
func FPIRAt(far float64, n int) float64 {
	return -math.Expm1(float64(max(n, 1)) * math.Log1p(-far))
}

// comparisons is how many chances a stranger's probe gets: the collection's
// templates. With Max scoring a subject's score is its best template's, so
// each template is one chance to cross the threshold. With Mean each subject
// is one score, but the cosine to a mean template has a heavier impostor tail
// than the 1:1 calibration describes (counting subjects reached an FPIR of
// 1.15% at a target of 1% on LFW), so it is counted by templates too, an
// upper bound that held there (0.21%).
func (g *Gallery) comparisons(c *collection) int {
	t, _ := c.size()
	return t
}

// decide turns a policy into a threshold for the collection as it now is.
func (g *Gallery) decide(ctx context.Context, col store.Collection, c *collection, p Policy) (Decision, error) {
	n := g.comparisons(c)
	d := Decision{GallerySize: n}
	switch {
	case p.FPIR != 0 && p.FAR != 0:
		return d, fmt.Errorf("%w: give fpir or far, not both", ErrPolicy)
	case p.FAR != 0:
		if math.IsNaN(p.FAR) || p.FAR <= 0 || p.FAR >= 1 {
			return d, fmt.Errorf("%w: far %g must be between 0 and 1", ErrPolicy, p.FAR)
		}
		d.FAR, d.FPIR = p.FAR, FPIRAt(p.FAR, n)
	default:
		d.FPIR = p.FPIR
		if d.FPIR == 0 {
			st, err := g.opts.Store.CollectionSettings(ctx, col.ID)
			if err != nil {
				return d, err
			}
			d.FPIR = st.FPIR
		}
		if d.FPIR == 0 {
			d.FPIR = g.opts.FPIR
		}
		if err := store.CheckFPIR(d.FPIR); err != nil {
			return d, fmt.Errorf("%w: %w", ErrPolicy, err)
		}
		d.FAR = PerComparisonFAR(d.FPIR, n)
	}
	thr, err := g.opts.Engine.Threshold(d.FAR)
	if err != nil {
		return d, fmt.Errorf("%w: fpir %g over a gallery of %d needs a per-comparison false-match rate of %.3g: %w", ErrPolicy, d.FPIR, n, d.FAR, err)
	}
	d.Threshold = thr
	return d, nil
}

// Matched is the one rule every API decides a match by.
func Matched(score, threshold float32) bool { return score >= threshold }

// subjectScore is a subject's score against a probe from its templates:
// the best template's cosine (Max), or the cosine to their normalised mean
// (Mean). ok is false when none of its templates is in the index.
func (c *collection) subjectScore(s Scoring, probe []float32, sid string) (score float32, ok bool) {
	ids := c.templatesOf(sid)
	if s == Mean && len(ids) > 1 {
		var sum, buf []float32
		for _, id := range ids {
			v, found := c.idx.Vector(buf, id)
			if !found {
				continue
			}
			if sum == nil {
				sum = make([]float32, len(v))
			}
			for i := range v {
				sum[i] += v[i]
			}
			buf = v
		}
		var dot, norm float64
		for i := range sum {
			dot += float64(probe[i]) * float64(sum[i])
			norm += float64(sum[i]) * float64(sum[i])
		}
		if norm == 0 {
			return 0, false
		}
		return float32(dot / math.Sqrt(norm)), true
	}
	score = float32(math.Inf(-1))
	for _, id := range ids {
		if sc, found, _ := c.idx.Score(probe, id); found && sc > score {
			score, ok = sc, true
		}
	}
	return score, ok
}

// checkProbe refuses a probe of another model than the collection's.
func (g *Gallery) checkProbe(col store.Collection, probe face.Embedding) error {
	if err := g.CheckModel(col); err != nil {
		return err
	}
	if probe.Model != col.Model {
		return fmt.Errorf("%w: a probe of model %s for collection %s of model %s", face.ErrModelMismatch, probe.Model, col.ID, col.Model)
	}
	return nil
}
