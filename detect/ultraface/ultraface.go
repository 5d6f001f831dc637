// Package ultraface implements detect.Detector with UltraFace RFB-320
// (Ultra-Light-Fast-Generic-Face-Detector-1MB): boxes only, no landmarks.
// The engine adds five points from a landmark model.
package ultraface

import (
	"context"
	"fmt"
	"math"

	"github.com/mienhq/mien/detect"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/models"
	"github.com/mienhq/mien/onnx"
	"github.com/mienhq/mien/raster"
)

// Arch is the manifest arch this package implements.
const Arch = "ultraface"

// Prior boxes of RFB-320: minimum sizes per feature-map stride.
var (
	strides  = []int{8, 16, 32, 64}
	minSizes = [][]float32{{10, 16, 24}, {32, 48}, {64, 96}, {128, 192, 256}}
)

const centerVariance, sizeVariance = 0.1, 0.2

// Options configure the detector.
type Options struct {
	Sessions int
}

// Detector is safe for concurrent use.
type Detector struct {
	pool     *onnx.Pool
	format   raster.Format
	w, h     int
	priors   []face.Rect // centre-size form: Min = centre, Max = size (normalised)
	minScore float32
	iou      float32
	decoded  bool // boxes come out already decoded, as normalised corners
}

// New opens an UltraFace model and checks its signature.
func New(model []byte, m models.Model, opts Options) (*Detector, error) {
	if m.Arch != Arch {
		return nil, fmt.Errorf("ultraface: manifest arch is %q, want %q", m.Arch, Arch)
	}
	if len(m.Inputs) != 1 || len(m.Outputs) != 2 {
		return nil, fmt.Errorf("ultraface: manifest must name 1 input and 2 outputs (scores, boxes)")
	}
	f := raster.Format{Layout: m.Pre.Layout, Channels: m.Pre.Channels, Mean: m.Pre.Mean, Std: m.Pre.Std}
	if err := f.Validate(); err != nil {
		return nil, fmt.Errorf("ultraface: %w", err)
	}
	d := &Detector{format: f, w: m.Pre.Width, h: m.Pre.Height, minScore: 0.7, iou: 0.4}
	if v, ok := m.Params["score_threshold"]; ok {
		d.minScore = float32(v)
	}
	if v, ok := m.Params["nms_iou"]; ok {
		d.iou = float32(v)
	}
	d.priors = priors(d.w, d.h)
	d.decoded = m.Params["boxes_decoded"] != 0
	sig, err := onnx.Inspect(model)
	if err != nil {
		return nil, fmt.Errorf("ultraface: %w", err)
	}
	n := int64(len(d.priors))
	if err := sig.Expect(map[string][]int64{m.Inputs[0]: {1, 3, int64(d.h), int64(d.w)}},
		map[string][]int64{m.Outputs[0]: {1, n, 2}, m.Outputs[1]: {1, n, 4}}); err != nil {
		return nil, fmt.Errorf("ultraface: %w", err)
	}
	if d.pool, err = onnx.NewPool(opts.Sessions, model, m.Inputs, m.Outputs, onnx.SessionOptions{}); err != nil {
		return nil, fmt.Errorf("ultraface: %w", err)
	}
	return d, nil
}

// priors lists the anchor boxes in the model's output order: for each
// stride, rows, then columns, then sizes.
func priors(w, h int) []face.Rect {
	var out []face.Rect
	for k, s := range strides {
		fw, fh := (w+s-1)/s, (h+s-1)/s
		for r := 0; r < fh; r++ {
			for c := 0; c < fw; c++ {
				cx := (float32(c) + 0.5) * float32(s) / float32(w)
				cy := (float32(r) + 0.5) * float32(s) / float32(h)
				for _, m := range minSizes[k] {
					out = append(out, face.Rect{Min: face.Point{X: cx, Y: cy}, Max: face.Point{X: m / float32(w), Y: m / float32(h)}})
				}
			}
		}
	}
	return out
}

// HasLandmarks reports false: UltraFace gives boxes only.
func (d *Detector) HasLandmarks() bool { return false }

// Detect finds faces in img. The image is resized to the model's input
// (aspect not kept, as the model was trained).
func (d *Detector) Detect(ctx context.Context, img *face.Image, o detect.Options) ([]face.Detection, error) {
	if err := img.Valid(); err != nil {
		return nil, fmt.Errorf("ultraface: %w", err)
	}
	in := raster.Resize(img, d.w, d.h)
	data := make([]float32, 3*d.w*d.h)
	if err := raster.Pack(data, in, d.w, d.h, d.format); err != nil {
		return nil, fmt.Errorf("ultraface: %w", err)
	}
	outs, err := d.pool.Run(ctx, onnx.Tensor{Shape: []int64{1, 3, int64(d.h), int64(d.w)}, Data: data})
	if err != nil {
		return nil, fmt.Errorf("ultraface: %w", err)
	}
	minScore, iou := d.minScore, d.iou
	if o.MinScore > 0 {
		minScore = o.MinScore
	}
	if o.IoU > 0 {
		iou = o.IoU
	}
	scores, boxes := outs[0].Data, outs[1].Data
	if len(scores) != 2*len(d.priors) || len(boxes) != 4*len(d.priors) {
		return nil, fmt.Errorf("ultraface: outputs have %d and %d values for %d priors", len(scores), len(boxes), len(d.priors))
	}
	W, H := float32(img.W), float32(img.H)
	var dets []face.Detection
	for i, p := range d.priors {
		s := scores[2*i+1]
		if s < minScore {
			continue
		}
		b := boxes[4*i : 4*i+4]
		var r face.Rect
		if d.decoded {
			r = face.R(b[0]*W, b[1]*H, b[2]*W, b[3]*H)
		} else {
			cx := p.Min.X + b[0]*centerVariance*p.Max.X
			cy := p.Min.Y + b[1]*centerVariance*p.Max.Y
			bw := p.Max.X * float32(math.Exp(float64(b[2]*sizeVariance)))
			bh := p.Max.Y * float32(math.Exp(float64(b[3]*sizeVariance)))
			r = face.R((cx-bw/2)*W, (cy-bh/2)*H, (cx+bw/2)*W, (cy+bh/2)*H)
		}
		dets = append(dets, face.Detection{Score: s, Box: r})
	}
	return detect.Filter(detect.NMS(dets, iou), img.W, img.H, o), nil
}

// Close releases the sessions.
func (d *Detector) Close() error { return d.pool.Close() }
