package liveness

import (
	"context"
	"errors"
	"fmt"

	"github.com/mienhq/mien/face"
)

// Result is the passive liveness verdict on one face in one frame.
type Result struct {
	// Score is the mean live probability of the ensemble's models, in [0, 1].
	Score float32 `json:"score"`
	// Threshold is the calibrated threshold Score was compared with.
	Threshold float32 `json:"threshold"`
	// Live says Score >= Threshold. A single frame is weak evidence: pair it
	// with an active challenge.
	Live bool `json:"live"`
	// Models holds each model's live probability, in ensemble order.
	Models []ModelScore `json:"models"`
}

// ModelScore is one model's live probability.
type ModelScore struct {
	ID   string  `json:"id"`
	Live float32 `json:"live"`
}

// Ensemble averages the live probability of its models, as the authors'
// test.py sums the softmax outputs of MiniFASNetV2 (crop scale 2.7) and
// MiniFASNetV1SE (crop scale 4.0). It is safe for concurrent use; it owns
// its models and closes them.
type Ensemble struct {
	models    []*Model
	threshold float32
}

// NewEnsemble composes models with a calibrated threshold in (0, 1).
func NewEnsemble(models []*Model, threshold float32) (*Ensemble, error) {
	if len(models) == 0 {
		return nil, errors.New("liveness: an ensemble needs at least one model")
	}
	if !(threshold > 0 && threshold < 1) {
		return nil, fmt.Errorf("liveness: threshold %g is not in (0, 1)", threshold)
	}
	return &Ensemble{models: models, threshold: threshold}, nil
}

// Threshold returns the decision threshold.
func (e *Ensemble) Threshold() float32 { return e.threshold }

// Score runs every model on the face in box and averages their live
// probabilities.
func (e *Ensemble) Score(ctx context.Context, img *face.Image, box face.Rect) (Result, error) {
	res := Result{Threshold: e.threshold, Models: make([]ModelScore, len(e.models))}
	var sum float32
	for i, m := range e.models {
		p, err := m.Live(ctx, img, box)
		if err != nil {
			return Result{}, err
		}
		res.Models[i] = ModelScore{ID: m.ID(), Live: p}
		sum += p
	}
	res.Score = sum / float32(len(e.models))
	res.Live = res.Score >= e.threshold
	return res, nil
}

// Close releases every model.
func (e *Ensemble) Close() error {
	var errs []error
	for _, m := range e.models {
		errs = append(errs, m.Close())
	}
	return errors.Join(errs...)
}
