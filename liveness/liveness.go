// Package liveness scores how likely a face is a live person in front of the
// camera rather than a presentation attack (a printed photo or a screen
// replay), from a single frame: the MiniFASNet ensemble of Silent-Face-Anti-
// Spoofing (minivision), fed the crops its authors use.
//
// The stage takes a decoded image and a face box (from any detector) and
// returns values; it never reads paths or the environment.
package liveness

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/models"
	"github.com/mienhq/mien/onnx"
	"github.com/mienhq/mien/raster"
)

// Arch is the manifest arch this package implements: a crop of the face box
// scaled by the model's crop_scale, resized to the input size, BGR 0..255 ->
// class logits, of which real_class is the live one.
const Arch = "minifasnet"

// Options configure a model.
type Options struct {
	// Sessions is the number of ONNX sessions (concurrent calls); 0 means 1.
	Sessions int
	// Shipped runs the model's graph as shipped, without rewriting its
	// PRelu activations (for comparing the two; slower).
	Shipped bool
}

// Model is one MiniFASNet. It is safe for concurrent use.
type Model struct {
	id      string
	pool    *onnx.Pool
	format  raster.Format
	w, h    int
	scale   float32
	real    int
	classes int
}

// New opens one anti-spoof model and checks its manifest entry and its
// input/output signature.
func New(model []byte, m models.Model, opts Options) (*Model, error) {
	if m.Arch != Arch {
		return nil, fmt.Errorf("liveness: manifest arch of %s is %q, want %q", m.ID, m.Arch, Arch)
	}
	if len(m.Inputs) != 1 || len(m.Outputs) != 1 || m.Pre.Width <= 0 || m.Pre.Height <= 0 {
		return nil, fmt.Errorf("liveness: manifest of %s must name 1 input, 1 output and an input size", m.ID)
	}
	scale, real := m.Params["crop_scale"], m.Params["real_class"]
	classes := int(m.Params["classes"])
	if classes == 0 {
		classes = 3
	}
	if scale < 1 || real < 0 || int(real) >= classes || real != math.Trunc(real) {
		return nil, fmt.Errorf("liveness: manifest of %s: crop_scale %g must be >= 1 and real_class %g a class index below %d", m.ID, scale, real, classes)
	}
	f := raster.Format{Layout: m.Pre.Layout, Channels: m.Pre.Channels, Mean: m.Pre.Mean, Std: m.Pre.Std}
	if err := f.Validate(); err != nil {
		return nil, fmt.Errorf("liveness: %s: %w", m.ID, err)
	}
	if f.Layout != "NCHW" {
		return nil, fmt.Errorf("liveness: %s: layout %s is not supported (want NCHW)", m.ID, f.Layout)
	}
	sig, err := onnx.Inspect(model)
	if err != nil {
		return nil, fmt.Errorf("liveness: %s: %w", m.ID, err)
	}
	in := map[string][]int64{m.Inputs[0]: {1, int64(f.Planes()), int64(m.Pre.Height), int64(m.Pre.Width)}}
	out := map[string][]int64{m.Outputs[0]: {1, int64(classes)}}
	if err := sig.Expect(in, out); err != nil {
		return nil, fmt.Errorf("liveness: %s: %w", m.ID, err)
	}
	// PRelu as two depthwise convolutions (onnx.PReluAsConv) keeps the
	// network in ONNX Runtime's blocked layout: MiniFASNet V2 and V1SE have
	// 33 PRelu each, all rewritten; the scores agree to float noise
	// (TestLivenessPReluAsConv). Options.Shipped runs the model as shipped.
	if !opts.Shipped {
		if fast, _, err := onnx.PReluAsConv(model); err == nil {
			model = fast
		}
	}
	pool, err := onnx.NewPool(opts.Sessions, model, m.Inputs, m.Outputs, onnx.SessionOptions{})
	if err != nil {
		return nil, fmt.Errorf("liveness: %s: %w", m.ID, err)
	}
	return &Model{id: m.ID, pool: pool, format: f, w: m.Pre.Width, h: m.Pre.Height,
		scale: float32(scale), real: int(real), classes: classes}, nil
}

// ID returns the model's manifest id.
func (m *Model) ID() string { return m.id }

// Live returns the model's probability that the face in box is live (the
// softmax of its logits at the real class).
func (m *Model) Live(ctx context.Context, img *face.Image, box face.Rect) (float32, error) {
	if err := img.Valid(); err != nil {
		return 0, fmt.Errorf("liveness: %w", err)
	}
	r, err := CropBox(box, img.W, img.H, m.scale)
	if err != nil {
		return 0, err
	}
	crop := raster.Crop(img, r, m.w, m.h)
	data := make([]float32, m.format.Planes()*m.w*m.h)
	if err := raster.Pack(data, crop, m.w, m.h, m.format); err != nil {
		return 0, fmt.Errorf("liveness: %w", err)
	}
	outs, err := m.pool.Run(ctx, onnx.Tensor{Shape: []int64{1, int64(m.format.Planes()), int64(m.h), int64(m.w)}, Data: data})
	if err != nil {
		return 0, fmt.Errorf("liveness: %s: %w", m.id, err)
	}
	if len(outs) != 1 || len(outs[0].Data) != m.classes {
		return 0, fmt.Errorf("liveness: %s returned %d outputs, want %d logits", m.id, len(outs), m.classes)
	}
	return Softmax(outs[0].Data)[m.real], nil
}

// Close releases the sessions.
func (m *Model) Close() error { return m.pool.Close() }

// ErrBadBox is returned for a face box that is empty or outside the image.
var ErrBadBox = errors.New("liveness: face box is empty or outside the image")

// CropBox returns the region the authors' code (Silent-Face-Anti-Spoofing,
// src/generate_patches.py) crops: the face box scaled by scale about its
// centre, the scale lowered so that the region fits inside the w x h image,
// then shifted (not clipped) to stay inside it. The region keeps the box's
// aspect ratio and is then resized to the model input, as theirs is.
func CropBox(box face.Rect, w, h int, scale float32) (face.Rect, error) {
	bw, bh := box.Dx(), box.Dy()
	in := box.Intersect(face.R(0, 0, float32(w), float32(h)))
	if bw < 1 || bh < 1 || w < 2 || h < 2 || in.Empty() {
		return face.Rect{}, fmt.Errorf("%w: box %v in a %dx%d image", ErrBadBox, box, w, h)
	}
	maxX, maxY := float32(w-1), float32(h-1)
	scale = min(scale, maxY/bh, maxX/bw)
	nw, nh := bw*scale, bh*scale
	c := box.Center()
	r := face.R(c.X-nw/2, c.Y-nh/2, c.X+nw/2, c.Y+nh/2)
	if r.Min.X < 0 {
		r.Max.X -= r.Min.X
		r.Min.X = 0
	}
	if r.Min.Y < 0 {
		r.Max.Y -= r.Min.Y
		r.Min.Y = 0
	}
	if r.Max.X > maxX {
		r.Min.X -= r.Max.X - maxX
		r.Max.X = maxX
	}
	if r.Max.Y > maxY {
		r.Min.Y -= r.Max.Y - maxY
		r.Max.Y = maxY
	}
	// The authors crop pixels Min..Max inclusive.
	r.Max.X++
	r.Max.Y++
	return r, nil
}

// Softmax returns the softmax of logits (numerically stable).
func Softmax(logits []float32) []float32 {
	out := make([]float32, len(logits))
	if len(logits) == 0 {
		return out
	}
	hi := logits[0]
	for _, v := range logits[1:] {
		hi = max(hi, v)
	}
	var sum float64
	for i, v := range logits {
		e := math.Exp(float64(v - hi))
		out[i] = float32(e)
		sum += e
	}
	for i := range out {
		out[i] = float32(float64(out[i]) / sum)
	}
	return out
}
