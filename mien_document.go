package mien

import (
	"context"
	"errors"
	"fmt"

	"github.com/mienhq/mien/detect"
	"github.com/mienhq/mien/document"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/imageio"
	"github.com/mienhq/mien/quality"
	"github.com/mienhq/mien/raster"
)

// DocumentOptions configure MatchDocument. Zero fields take the defaults.
type DocumentOptions struct {
	// FAR is the false-match rate of the match threshold (default 1e-3).
	FAR float64
	// NoMatchFAR is the false-match rate of the no-match threshold (default
	// 1e-2): scores between the two thresholds are cannot_decide.
	NoMatchFAR float64
	// Limits is the portrait quality needed (default document.DefaultLimits).
	Limits document.Limits
}

func (o DocumentOptions) withDefaults() DocumentOptions {
	if o.FAR == 0 {
		o.FAR = 1e-3
	}
	if o.NoMatchFAR == 0 {
		o.NoMatchFAR = 1e-2
	}
	if o.Limits == (document.Limits{}) {
		o.Limits = document.DefaultLimits
	}
	return o
}

// DocumentPortrait is the portrait found on a document photo.
type DocumentPortrait struct {
	Face
	Glare float32 `json:"glare"`
	// Pass says how it was found: "whole" (the whole photo) or "tiles" (the
	// second pass over overlapping tiles, in which small faces appear larger).
	Pass string `json:"pass"`
}

// Measures returns the portrait's measures for document.Decide.
func (p *DocumentPortrait) Measures() *document.Portrait {
	if p == nil {
		return nil
	}
	return &document.Portrait{EyeDistance: p.Quality.EyeDistance, Sharpness: p.Quality.Sharpness, Glare: p.Glare, Yaw: p.Quality.Yaw}
}

// SelfieFace is the face used from a selfie, with how many were found.
type SelfieFace struct {
	Face     *Face `json:"face"` // nil when none was found
	Count    int   `json:"count"`
	Dominant bool  `json:"dominant"` // one face, or the largest at least twice the next's area
}

// DocumentMatch is MatchDocument's answer.
type DocumentMatch struct {
	document.Decision
	Similarity *float32            `json:"similarity,omitempty"`
	Thresholds document.Thresholds `json:"thresholds"`
	Portrait   *DocumentPortrait   `json:"portrait,omitempty"`
	Ghost      *face.Detection     `json:"ghost,omitempty"`
	Selfie     SelfieFace          `json:"selfie"`
}

// tileBelow is the eye distance, in the detector's input pixels, under which
// a portrait found on the whole photo is looked for again on tiles.
const tileBelow = 20

// FindPortrait finds the portrait on a photo of an identity document: the
// largest, most frontal face (document.Pick), looked for on the whole photo
// and, when none is found there or it is small, again on 3x3 overlapping
// tiles each scaled to the detector's input size. It returns nil when there
// is none, and a ghost image (a second, smaller portrait) when one was seen.
func (e *Engine) FindPortrait(ctx context.Context, img *face.Image) (*DocumentPortrait, *face.Detection, error) {
	dets, err := e.Detect(ctx, img, detect.Options{})
	if err != nil {
		return nil, nil, err
	}
	pass := "whole"
	side := e.detectSide()
	scale := detect.Fit(img.W, img.H, side)
	if p, _ := document.Pick(dets); p < 0 || dets[p].Landmarks.EyeDistance()*scale < tileBelow {
		more, err := e.detectTiles(ctx, img, side)
		if err != nil {
			return nil, nil, err
		}
		dets, pass = detect.NMS(append(dets, more...), 0.3), "tiles"
	}
	p, g := document.Pick(dets)
	if p < 0 {
		return nil, nil, nil
	}
	crop, err := e.Align(img, dets[p])
	if err != nil {
		return nil, nil, err
	}
	emb, err := e.embedder.Embed(ctx, crop)
	if err != nil {
		return nil, nil, err
	}
	out := &DocumentPortrait{Face: Face{Detection: dets[p], Quality: quality.Assess(img, dets[p], crop), Embedding: emb},
		Glare: document.Glare(img, dets[p].Box), Pass: pass}
	if g < 0 {
		return out, nil, nil
	}
	return out, &dets[g], nil
}

func (e *Engine) detectSide() int {
	if e.opts.DetectMaxSide > 0 {
		return e.opts.DetectMaxSide
	}
	if s := e.detModel.Params["max_side"]; s > 0 {
		return int(s)
	}
	return 640
}

// detectTiles runs the detector on each tile of document.Tiles resized to
// side pixels on its longer side, and returns the faces that do not touch a
// tile edge inside the photo (a face cut by a tile is whole in another).
func (e *Engine) detectTiles(ctx context.Context, img *face.Image, side int) ([]face.Detection, error) {
	var out []face.Detection
	for _, t := range document.Tiles(img.W, img.H) {
		k := float32(side) / max(t.Dx(), t.Dy())
		tw, th := max(1, int(t.Dx()*k)), max(1, int(t.Dy()*k))
		dets, err := e.Detect(ctx, raster.Crop(img, t, tw, th), detect.Options{})
		if err != nil {
			return nil, err
		}
		for _, d := range dets {
			m := document.MapBack(d, t, tw, th)
			if cut(m.Box, t, img.W, img.H) {
				continue
			}
			out = append(out, m)
		}
	}
	return out, nil
}

// cut reports whether b touches an edge of tile t that is not the photo's.
func cut(b, t face.Rect, w, h int) bool {
	const m = 2
	return (t.Min.X > 0 && b.Min.X <= t.Min.X+m) || (t.Min.Y > 0 && b.Min.Y <= t.Min.Y+m) ||
		(t.Max.X < float32(w) && b.Max.X >= t.Max.X-m) || (t.Max.Y < float32(h) && b.Max.Y >= t.Max.Y-m)
}

// FindSelfie detects the faces of a selfie and embeds the largest.
func (e *Engine) FindSelfie(ctx context.Context, img *face.Image) (SelfieFace, error) {
	a, err := e.AnalyzeImage(ctx, img, detect.Options{})
	if err != nil || len(a.Faces) == 0 {
		return SelfieFace{}, err
	}
	best, second := 0, float32(0)
	for i, f := range a.Faces {
		if f.Box.Area() > a.Faces[best].Box.Area() {
			best = i
		}
	}
	for i, f := range a.Faces {
		if i != best {
			second = max(second, f.Box.Area())
		}
	}
	return SelfieFace{Face: &a.Faces[best], Count: len(a.Faces), Dominant: a.Faces[best].Box.Area() >= 2*second}, nil
}

// DocumentThresholds returns the match and no-match thresholds at the
// given false-match rates: the recognizer's document-vs-live calibration
// (package document) when it has one, else its live-to-live calibration
// (Calibrated false).
func (e *Engine) DocumentThresholds(far, noMatchFAR float64) (document.Thresholds, error) {
	if noMatchFAR < far {
		return document.Thresholds{}, fmt.Errorf("mien: the no-match false-match rate %g is below the match rate %g", noMatchFAR, far)
	}
	t := document.Thresholds{MatchFAR: far, NoMatchFAR: noMatchFAR}
	cal, err := document.For(e.recModel.ID)
	if err == nil {
		if t.Match, err = cal.Cosine(far); err != nil {
			return t, err
		}
		t.NoMatch, err = cal.Cosine(noMatchFAR)
		t.Calibrated = true
		return t, err
	}
	if !errors.Is(err, document.ErrNotCalibrated) {
		return t, err
	}
	if t.Match, err = e.Threshold(far); err != nil {
		return t, err
	}
	t.NoMatch, err = e.Threshold(noMatchFAR)
	return t, err
}

// MatchDocument decides whether the portrait on a photo of an identity
// document and the selfie show the same person (document.Decide). Nothing
// is kept.
func (e *Engine) MatchDocument(ctx context.Context, doc, selfie *face.Image, opts DocumentOptions) (*DocumentMatch, error) {
	opts = opts.withDefaults()
	th, err := e.DocumentThresholds(opts.FAR, opts.NoMatchFAR)
	if err != nil {
		return nil, err
	}
	p, ghost, err := e.FindPortrait(ctx, doc)
	if err != nil {
		return nil, err
	}
	s, err := e.FindSelfie(ctx, selfie)
	if err != nil {
		return nil, err
	}
	m := &DocumentMatch{Thresholds: th, Portrait: p, Ghost: ghost, Selfie: s}
	in := document.Input{Portrait: p.Measures(), Ghost: ghost != nil, SelfieFaces: s.Count, SelfieDominant: s.Dominant, Thresholds: th}
	if p != nil && s.Face != nil {
		sim, err := e.Compare(p.Embedding, s.Face.Embedding)
		if err != nil {
			return nil, err
		}
		m.Similarity, in.Score = &sim, sim
	}
	m.Decision = document.Decide(in, opts.Limits)
	return m, nil
}

// MatchDocumentBytes decodes the two images (within the engine's limits)
// and calls MatchDocument.
func (e *Engine) MatchDocumentBytes(ctx context.Context, doc, selfie []byte, opts DocumentOptions) (*DocumentMatch, error) {
	d, err := imageio.DecodeContext(ctx, doc, e.opts.Image)
	if err != nil {
		return nil, fmt.Errorf("document: %w", err)
	}
	s, err := imageio.DecodeContext(ctx, selfie, e.opts.Image)
	if err != nil {
		return nil, fmt.Errorf("selfie: %w", err)
	}
	return e.MatchDocument(ctx, d, s, opts)
}
