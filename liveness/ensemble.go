package liveness

import (
	"context"
	"errors"
	"fmt"
	"sync"

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
	// JPEGQuality is the quality the face's box was last JPEG-compressed at,
	// estimated from its pixels (the engine's, quality.JPEGQuality; 0 when
	// not known: no block grid seen, or not asked).
	JPEGQuality int `json:"jpeg_quality,omitempty"`
	// TooCompressed says JPEGQuality is under the engine's limit: the frame
	// was compressed too hard for Score to mean anything, and Live is false.
	TooCompressed bool `json:"too_compressed,omitempty"`
	// Greyscale says the face has no colour (the engine's,
	// quality.Greyscale): the models, trained on colour, score every such
	// face as an attack, so Score says nothing and Live is false.
	Greyscale bool `json:"greyscale,omitempty"`
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
// probabilities. The models run at once, each on its own goroutine (they
// have their own sessions), so the ensemble costs the slowest model's wall
// time on two cores; the average is summed in ensemble order, as one by one.
func (e *Ensemble) Score(ctx context.Context, img *face.Image, box face.Rect) (Result, error) {
	res := Result{Threshold: e.threshold, Models: make([]ModelScore, len(e.models))}
	errs := make([]error, len(e.models))
	var wg sync.WaitGroup
	for i, m := range e.models[1:] {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res.Models[i+1].Live, errs[i+1] = m.Live(ctx, img, box)
		}()
	}
	res.Models[0].Live, errs[0] = e.models[0].Live(ctx, img, box)
	wg.Wait()
	var sum float32
	for i, m := range e.models {
		if errs[i] != nil {
			return Result{}, errs[i]
		}
		res.Models[i].ID = m.ID()
		sum += res.Models[i].Live
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
