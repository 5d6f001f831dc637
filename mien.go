// Package mien is the face engine: it opens a model pack and composes the
// stages (imageio -> detect -> align -> embed) into Analyze and Compare.
//
// An Engine is safe for concurrent use: every model runs on a pool of ONNX
// sessions sized by Options.Workers.
package mien

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"

	"github.com/mienhq/mien/align"
	"github.com/mienhq/mien/detect"
	"github.com/mienhq/mien/detect/blazeface"
	"github.com/mienhq/mien/detect/ultraface"
	"github.com/mienhq/mien/detect/yunet"
	"github.com/mienhq/mien/embed"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/imageio"
	"github.com/mienhq/mien/landmark"
	"github.com/mienhq/mien/models"
	"github.com/mienhq/mien/onnx"
	"github.com/mienhq/mien/quality"
)

// ErrNoFace is returned by calls that need exactly one face and found none.
var ErrNoFace = errors.New("mien: no face found")

// ErrManyFaces is returned by calls that need exactly one face and found several.
var ErrManyFaces = errors.New("mien: more than one face found")

// ErrNoRecognizer is returned by calls that compute a template on an engine
// opened with Options.NoRecognizer.
var ErrNoRecognizer = errors.New("mien: engine opened without a recognizer (geometry only)")

// Options configure an Engine.
type Options struct {
	// Runtime says where ONNX Runtime's shared library is.
	Runtime onnx.RuntimeOptions
	// Workers is the number of sessions per model, i.e. how many images can
	// be processed at once (0 = the number of CPUs).
	Workers int
	// Flip adds mirrored-crop embeddings (test-time augmentation).
	Flip bool
	// Batch is the most images one recognizer run takes in AnalyzeEach (a
	// face and its mirror count as two; 0 = DefaultBatch, 1 = one at a time).
	Batch int
	// Detector names the detector model to use (default: the pack's
	// highest-priority one).
	Detector string
	// RefineLandmarks takes the five alignment points from the pack's
	// landmark model even when the detector gives its own (the detector's
	// manifest param refine_landmarks does the same).
	RefineLandmarks bool
	// DetectMaxSide scales images down to this longer side before detection
	// (0 = the detector's default).
	DetectMaxSide int
	// Detect holds the default detection filters.
	Detect detect.Options
	// Image holds the decoding limits.
	Image imageio.Options
	// NoRecognizer opens no recognizer, for geometry-only work (mesh,
	// effects): Embed and Analyze then fail with ErrNoRecognizer, so no
	// template can be computed.
	NoRecognizer bool
	// LivenessThreshold overrides the pack's calibrated liveness threshold
	// (0 = the pack's; see Engine.Liveness).
	LivenessThreshold float64
	// LivenessMinJPEGQuality is the estimated JPEG quality of the face's
	// box under which Engine.Liveness does not trust the score and says not
	// live (quality.JPEGQuality; 0 = quality.MinJPEGQuality, negative = no
	// limit).
	LivenessMinJPEGQuality int
	// DetectOnly opens the detector alone: no recognizer and no landmark
	// refinement are loaded (landmarks are the detector's own, if any), and
	// every call that needs a template fails with ErrDetectOnly (a counting
	// camera: it cannot compute a template, and saves the time and memory).
	DetectOnly bool
}

// ErrDetectOnly is returned for template work by an engine opened with
// Options.DetectOnly.
var ErrDetectOnly = errors.New("mien: engine opened for detection only (no recognizer)")

// noRecognizerErr says why an engine without a recognizer computes no
// template: ErrDetectOnly or ErrNoRecognizer, as it was opened.
func (e *Engine) noRecognizerErr() error {
	if e.opts.DetectOnly {
		return ErrDetectOnly
	}
	return ErrNoRecognizer
}

// Face is one analysed face.
type Face struct {
	face.Detection
	Quality   quality.Quality `json:"quality"`
	Embedding face.Embedding  `json:"embedding"`
}

// Analysis is the result of analysing one image.
type Analysis struct {
	Width  int    `json:"width"`
	Height int    `json:"height"`
	Faces  []Face `json:"faces"`
}

// DefaultBatch is the recognizer batch AnalyzeEach uses unless Options.Batch
// says otherwise (docs/benchmarks.md, "Pipelined batch path", has the sweep
// it was chosen from).
const DefaultBatch = 1

// Engine composes the stages of one model pack.
type Engine struct {
	opts     Options
	pack     *models.Pack
	detector detect.Detector
	detModel models.Model
	marks    *landmark.Model // five points for detectors that give boxes only
	embedder *embed.Embedder
	recModel models.Model
	calib    *models.Calibration // nil when calibErr says why
	calibErr error
	spoof    spoofState        // anti-spoof ensemble, opened on first Liveness call
	lmesh    livenessMeshState // face mesh for liveness sessions, opened on first use
}

// Open loads ONNX Runtime and the pack's detector and recognizer.
func Open(pack *models.Pack, opts Options) (*Engine, error) {
	if opts.Workers <= 0 {
		opts.Workers = runtime.NumCPU()
	}
	if opts.Batch <= 0 {
		opts.Batch = DefaultBatch
	}
	if err := onnx.Init(opts.Runtime); err != nil {
		return nil, fmt.Errorf("mien: %w", err)
	}
	e := &Engine{opts: opts, pack: pack}
	if err := e.openDetector(); err != nil {
		return nil, err
	}
	if opts.DetectOnly || opts.NoRecognizer {
		e.calibErr = e.noRecognizerErr()
		return e, nil
	}
	rec, ok := pack.Model(models.RoleRecognizer)
	if !ok {
		e.Close()
		return nil, fmt.Errorf("mien: pack %s has no recognizer", pack.Manifest.Name)
	}
	b, err := pack.Read(rec)
	if err != nil {
		e.Close()
		return nil, fmt.Errorf("mien: %w", err)
	}
	if e.embedder, err = embed.New(b, rec, embed.Options{Sessions: opts.Workers, Flip: opts.Flip, Batch: opts.Batch}); err != nil {
		e.Close()
		return nil, fmt.Errorf("mien: %w", err)
	}
	e.recModel = rec
	e.calib, e.calibErr = models.NewCalibration(rec.Thresholds, rec.Tail)
	if e.calibErr != nil && !errors.Is(e.calibErr, models.ErrNotCalibrated) {
		e.Close()
		return nil, fmt.Errorf("mien: recognizer %s: %w", rec.ID, e.calibErr)
	}
	return e, nil
}

// openDetector picks the pack's best detector and builds it from its arch.
func (e *Engine) openDetector() error {
	dets := e.pack.Models(models.RoleDetector)
	if len(dets) == 0 {
		return fmt.Errorf("mien: pack %s has no detector", e.pack.Manifest.Name)
	}
	m := dets[0]
	if e.opts.Detector != "" {
		var ok bool
		if m, ok = e.pack.ModelByID(e.opts.Detector); !ok || m.Role != models.RoleDetector {
			return fmt.Errorf("mien: pack %s has no detector %q", e.pack.Manifest.Name, e.opts.Detector)
		}
	}
	b, err := e.pack.Read(m)
	if err != nil {
		return fmt.Errorf("mien: %w", err)
	}
	switch m.Arch {
	case yunet.Arch:
		e.detector, err = yunet.New(b, m, yunet.Options{Sessions: e.opts.Workers, MaxSide: e.opts.DetectMaxSide})
	case ultraface.Arch:
		e.detector, err = ultraface.New(b, m, ultraface.Options{Sessions: e.opts.Workers})
	case blazeface.Arch:
		e.detector, err = blazeface.New(b, m, blazeface.Options{Sessions: e.opts.Workers})
	default:
		return fmt.Errorf("mien: detector arch %q is not supported", m.Arch)
	}
	if err != nil {
		return fmt.Errorf("mien: %w", err)
	}
	e.detModel = m
	if e.opts.DetectOnly { // boxes only: the alignment points serve templates
		return nil
	}
	if e.detector.HasLandmarks() && m.Params["refine_landmarks"] == 0 && !e.opts.RefineLandmarks {
		return nil
	}
	lm, ok := e.pack.Model(models.RoleLandmarks)
	if !ok {
		return fmt.Errorf("mien: detector %s gives no landmarks and pack %s has no landmark model", m.ID, e.pack.Manifest.Name)
	}
	if b, err = e.pack.Read(lm); err != nil {
		return fmt.Errorf("mien: %w", err)
	}
	if e.marks, err = landmark.New(b, lm, landmark.Options{Sessions: e.opts.Workers}); err != nil {
		return fmt.Errorf("mien: %w", err)
	}
	return nil
}

// ModelID returns the id of the recognizer; every embedding carries it.
func (e *Engine) ModelID() string { return e.recModel.ID }

// Recognizer returns the recognizer's manifest entry.
func (e *Engine) Recognizer() models.Model { return e.recModel }

// DetectorModel returns the detector's manifest entry.
func (e *Engine) DetectorModel() models.Model { return e.detModel }

// RefinesLandmarks reports whether alignment points come from the pack's
// landmark model rather than the detector.
func (e *Engine) RefinesLandmarks() bool { return e.marks != nil }

// Pack returns the pack the engine was opened from.
func (e *Engine) Pack() *models.Pack { return e.pack }

// Decode turns untrusted bytes into an upright RGB image within the limits.
func (e *Engine) Decode(data []byte) (*face.Image, error) {
	return imageio.Decode(data, e.opts.Image)
}

// Detect finds faces, best first. Zero-valued fields of opts take the
// engine's defaults.
func (e *Engine) Detect(ctx context.Context, img *face.Image, opts detect.Options) ([]face.Detection, error) {
	dets, err := e.detector.Detect(ctx, img, e.mergeDetect(opts))
	if err != nil || e.marks == nil {
		return dets, err
	}
	for i := range dets {
		if err := e.refine(ctx, img, &dets[i]); err != nil {
			return nil, err
		}
	}
	return dets, nil
}

// refine replaces a detection's five points with the pack's landmark
// model's when the engine refines them (RefinesLandmarks), as Detect does.
func (e *Engine) refine(ctx context.Context, img *face.Image, d *face.Detection) error {
	if e.marks == nil {
		return nil
	}
	pts, err := e.marks.Locate(ctx, img, d.Box)
	if err != nil {
		return err
	}
	d.Landmarks = pts.Five()
	return nil
}

func (e *Engine) mergeDetect(o detect.Options) detect.Options {
	d := e.opts.Detect
	if o.MinScore > 0 {
		d.MinScore = o.MinScore
	}
	if o.MinSize > 0 {
		d.MinSize = o.MinSize
	}
	if o.MaxFaces > 0 {
		d.MaxFaces = o.MaxFaces
	}
	if o.IoU > 0 {
		d.IoU = o.IoU
	}
	if o.Scale > 0 {
		d.Scale = o.Scale
	}
	if o.FaceSize > 0 {
		d.FaceSize = o.FaceSize
	}
	return d
}

// Align returns the 112x112 aligned crop of a detected face.
func (e *Engine) Align(img *face.Image, d face.Detection) (*face.Image, error) {
	return align.Crop(nil, img, d.Landmarks)
}

// Embed aligns and embeds one detected face.
func (e *Engine) Embed(ctx context.Context, img *face.Image, d face.Detection) (face.Embedding, error) {
	if e.embedder == nil {
		return face.Embedding{}, e.noRecognizerErr()
	}
	crop, err := e.Align(img, d)
	if err != nil {
		return face.Embedding{}, err
	}
	return e.embedder.Embed(ctx, crop)
}

// AnalyzeImage detects, assesses and embeds every face in a decoded image.
func (e *Engine) AnalyzeImage(ctx context.Context, img *face.Image, opts detect.Options) (*Analysis, error) {
	return e.analyzeImage(ctx, img, opts, e.opts.Flip)
}

// AnalyzeNoFlip is Analyze with each template computed from the crop alone,
// even when the engine adds the mirrored crop's (Options.Flip): for
// templates compared only with each other, as a photo library's are
// (docs/benchmarks.md: there flip costs 66-69% more CPU for +0.001-0.003
// BCubed F1). Its templates are not those a calibrated threshold of a
// flipping engine expects.
func (e *Engine) AnalyzeNoFlip(ctx context.Context, data []byte, opts detect.Options) (*Analysis, error) {
	img, err := imageio.DecodeContext(ctx, data, e.opts.Image)
	if err != nil {
		return nil, err
	}
	return e.analyzeImage(ctx, img, opts, false)
}

func (e *Engine) analyzeImage(ctx context.Context, img *face.Image, opts detect.Options, flip bool) (*Analysis, error) {
	if e.embedder == nil {
		return nil, e.noRecognizerErr()
	}
	dets, err := e.Detect(ctx, img, opts)
	if err != nil {
		return nil, err
	}
	a := &Analysis{Width: img.W, Height: img.H, Faces: make([]Face, len(dets))}
	for i, d := range dets {
		crop, err := e.Align(img, d)
		if err != nil {
			return nil, err
		}
		emb, err := e.embedder.EmbedFlip(ctx, crop, flip)
		if err != nil {
			return nil, err
		}
		a.Faces[i] = Face{Detection: d, Quality: quality.Assess(img, d, crop), Embedding: emb}
	}
	return a, nil
}

// Analyze decodes image bytes and analyses every face in them. It returns
// when ctx ends, even in the middle of decoding (imageio.DecodeContext).
func (e *Engine) Analyze(ctx context.Context, data []byte, opts detect.Options) (*Analysis, error) {
	img, err := imageio.DecodeContext(ctx, data, e.opts.Image)
	if err != nil {
		return nil, err
	}
	return e.AnalyzeImage(ctx, img, opts)
}

// BatchResult is one image's outcome in AnalyzeBatch.
type BatchResult struct {
	Analysis *Analysis
	Err      error
}

// AnalyzeBatch analyses several images concurrently, as many at once as the
// engine has workers; results are in input order and one image's error does
// not stop the others.
func (e *Engine) AnalyzeBatch(ctx context.Context, images [][]byte, opts detect.Options) []BatchResult {
	out := make([]BatchResult, len(images))
	sem := make(chan struct{}, e.opts.Workers)
	var wg sync.WaitGroup
	for i, data := range images {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			a, err := e.Analyze(ctx, data, opts)
			out[i] = BatchResult{Analysis: a, Err: err}
		}()
	}
	wg.Wait()
	return out
}

// AnalyzeOne is Analyze for calls that need exactly one face: it returns
// ErrNoFace or ErrManyFaces otherwise.
func (e *Engine) AnalyzeOne(ctx context.Context, data []byte, opts detect.Options) (*Face, error) {
	a, err := e.Analyze(ctx, data, opts)
	if err != nil {
		return nil, err
	}
	switch len(a.Faces) {
	case 0:
		return nil, ErrNoFace
	case 1:
		return &a.Faces[0], nil
	default:
		return nil, fmt.Errorf("%w (%d faces)", ErrManyFaces, len(a.Faces))
	}
}

// Compare returns the cosine similarity of two embeddings of this engine's
// recognizer; embeddings of another model are refused.
func (e *Engine) Compare(a, b face.Embedding) (float32, error) {
	if e.embedder == nil {
		return 0, ErrDetectOnly
	}
	if a.Model != e.recModel.ID || b.Model != e.recModel.ID {
		return 0, fmt.Errorf("%w: engine uses %q, got %q and %q", face.ErrModelMismatch, e.recModel.ID, a.Model, b.Model)
	}
	return face.Cosine(a, b)
}

// MinFAR and MaxFAR bound the false-match rates Threshold accepts.
const (
	MinFAR = 1e-9
	MaxFAR = 0.5
)

// Threshold returns the cosine threshold at which a fraction far of
// comparisons between different people score at or above it (the
// per-comparison false-match rate), for any far in [MinFAR, MaxFAR] (up to
// the table's highest FAR where that is lower): the
// recognizer's calibrated value where far is a table point, interpolated
// in log(far) between points, and from the fitted tail model below the
// deepest point (docs/models.md says how the table and tail were made).
func (e *Engine) Threshold(far float64) (float32, error) {
	if e.calib == nil {
		return 0, fmt.Errorf("mien: recognizer %s: %w", e.recModel.ID, e.calibErr)
	}
	top := min(MaxFAR, e.calib.MaxFAR()) // an older pack's table may stop lower
	if !(far >= MinFAR && far <= top) {
		return 0, fmt.Errorf("mien: false-match rate %g is outside [%g, %g]", far, MinFAR, top)
	}
	return e.calib.Cosine(far), nil
}

// FAR is Threshold's inverse: the per-comparison false-match rate at a
// cosine (1 at -1, falling towards 0 past the tail's end; NaN for a
// recognizer without calibration).
func (e *Engine) FAR(cosine float32) float64 {
	if e.calib == nil {
		return math.NaN()
	}
	return e.calib.FAR(cosine)
}

// Similarity maps a cosine to a 0..100 score on AWS Rekognition's scale
// through the false-match rate: 80 is FAR 1e-6, 90 is 1e-7, 100 is 1e-8
// or rarer (models.SimilarityForFAR; 0 without calibration).
func (e *Engine) Similarity(cosine float32) float32 {
	return models.SimilarityForFAR(e.FAR(cosine))
}

// CosineForSimilarity is Similarity's inverse: the cosine at which
// comparisons reach a Similarity (clamped to 0..100; 1 without calibration).
func (e *Engine) CosineForSimilarity(sim float32) float32 {
	if e.calib == nil {
		return 1
	}
	return e.calib.Cosine(models.FARForSimilarity(sim))
}

// FARs lists the false-match rates of the recognizer's calibration table
// (Threshold also takes any rate between them).
func (e *Engine) FARs() []float64 {
	var out []float64
	if e.calib != nil {
		for _, t := range e.calib.Points() {
			out = append(out, t.FAR)
		}
	}
	return out
}

// Close releases every session.
func (e *Engine) Close() error {
	var errs []error
	if e.detector != nil {
		errs = append(errs, e.detector.Close())
	}
	if e.marks != nil {
		errs = append(errs, e.marks.Close())
	}
	if e.embedder != nil {
		errs = append(errs, e.embedder.Close())
	}
	errs = append(errs, e.closeLiveness(), e.closeLivenessMesh())
	return errors.Join(errs...)
}
