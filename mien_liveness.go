package mien

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/liveness"
	"github.com/mienhq/mien/models"
	"github.com/mienhq/mien/quality"
)

// ErrNoLiveness is returned by Liveness when the pack has no anti-spoof
// models or no calibrated liveness threshold.
var ErrNoLiveness = errors.New("mien: the model pack has no calibrated anti-spoof ensemble")

// spoofState holds the anti-spoof ensemble, opened on first use so that
// callers who never ask for a liveness score pay nothing for it.
type spoofState struct {
	once sync.Once
	ens  *liveness.Ensemble
	err  error
}

// Liveness returns the passive (single-frame) liveness verdict on a detected
// face: the pack's MiniFASNet ensemble and its calibrated threshold. The
// models are opened on the first call. A single frame is weak evidence on its
// own; see docs/benchmarks.md for its measured error rates.
func (e *Engine) Liveness(ctx context.Context, img *face.Image, d face.Detection) (liveness.Result, error) {
	e.spoof.once.Do(func() { e.spoof.ens, e.spoof.err = e.openLiveness() })
	if e.spoof.err != nil {
		return liveness.Result{}, e.spoof.err
	}
	r, err := e.spoof.ens.Score(ctx, img, d.Box)
	if err != nil {
		return r, err
	}
	// A face compressed hard is smoothed: the ensemble reads that as a live
	// face's low detail (a print sent at JPEG quality 50 scores as live),
	// so its score says nothing there.
	if q, ok := quality.JPEGQuality(img, d.Box); ok {
		r.JPEGQuality = q
		if lim := e.minJPEGQuality(); lim > 0 && q < lim {
			r.TooCompressed, r.Live = true, false
		}
	}
	if quality.Greyscale(img, d.Box) {
		r.Greyscale, r.Live = true, false
	}
	return r, nil
}

// LivenessThreshold opens the anti-spoof ensemble if it is not open yet
// and returns its calibrated threshold (Options.LivenessThreshold where
// set): the gate's Options.MinLive. ErrNoLiveness when the pack has none.
func (e *Engine) LivenessThreshold() (float32, error) {
	e.spoof.once.Do(func() { e.spoof.ens, e.spoof.err = e.openLiveness() })
	if e.spoof.err != nil {
		return 0, e.spoof.err
	}
	return e.spoof.ens.Threshold(), nil
}

// PassiveScore is Liveness's score as a number to compare with the
// threshold: 0 for a face the models cannot judge (no colour, compressed
// too hard), whatever the ensemble read; grey says the face has no colour
// (an infrared or greyscale camera), so that a caller can say why.
func (e *Engine) PassiveScore(ctx context.Context, img *face.Image, d face.Detection) (score float32, grey bool, err error) {
	r, err := e.Liveness(ctx, img, d)
	if err != nil {
		return 0, false, err
	}
	if r.Greyscale || r.TooCompressed {
		return 0, r.Greyscale, nil
	}
	return r.Score, false, nil
}

// minJPEGQuality is the JPEG quality limit of Liveness (0: none).
func (e *Engine) minJPEGQuality() int {
	switch lim := e.opts.LivenessMinJPEGQuality; {
	case lim < 0:
		return 0
	case lim == 0:
		return quality.MinJPEGQuality
	default:
		return lim
	}
}

// openLiveness builds the ensemble the pack's liveness calibration names
// (every anti-spoof model of the pack when it has none), with the calibrated
// threshold or Options.LivenessThreshold.
func (e *Engine) openLiveness() (*liveness.Ensemble, error) {
	man := e.pack.Manifest
	thr := e.opts.LivenessThreshold
	var ids []string
	if man.Liveness != nil {
		ids = man.Liveness.Models
		if thr == 0 {
			thr = man.Liveness.Threshold
		}
	} else {
		for _, m := range e.pack.Models(models.RoleAntiSpoof) {
			ids = append(ids, m.ID)
		}
	}
	if len(ids) == 0 || thr == 0 {
		return nil, fmt.Errorf("%w (pack %s)", ErrNoLiveness, man.Name)
	}
	var ms []*liveness.Model
	fail := func(err error) (*liveness.Ensemble, error) {
		for _, m := range ms {
			m.Close()
		}
		return nil, err
	}
	for _, id := range ids {
		m, ok := e.pack.ModelByID(id)
		if !ok || m.Role != models.RoleAntiSpoof {
			return fail(fmt.Errorf("%w: pack %s has no anti-spoof model %q", ErrNoLiveness, man.Name, id))
		}
		b, err := e.pack.Read(m)
		if err != nil {
			return fail(fmt.Errorf("mien: %w", err))
		}
		lm, err := liveness.New(b, m, liveness.Options{Sessions: e.opts.Workers})
		if err != nil {
			return fail(fmt.Errorf("mien: %w", err))
		}
		ms = append(ms, lm)
	}
	ens, err := liveness.NewEnsemble(ms, float32(thr))
	if err != nil {
		return fail(fmt.Errorf("mien: %w", err))
	}
	return ens, nil
}

// closeLiveness releases the ensemble if it was opened.
func (e *Engine) closeLiveness() error {
	if e.spoof.ens == nil {
		return nil
	}
	return e.spoof.ens.Close()
}
