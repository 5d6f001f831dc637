// Package blazeface implements detect.Detector with MediaPipe BlazeFace
// (the Barracuda ONNX exports: front 128x128 for selfie range, back 256x256
// for full range). It gives boxes and six keypoints (eyes, nose tip, mouth
// centre, ear tragions); it has no mouth corners, so the engine adds five
// alignment points from a landmark model.
package blazeface

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
const Arch = "blazeface"

// Options configure the detector.
type Options struct{ Sessions int }

// Detector is safe for concurrent use.
type Detector struct {
	pool     *onnx.Pool
	format   raster.Format
	size     int
	anchors  []face.Point // normalised anchor centres, in output order
	minScore float32
	iou      float32
}

// New opens a BlazeFace model. The manifest names one NHWC input and four
// outputs: scores and regressors of the fine grid (2 anchors per cell, stride
// size/16) and of the coarse grid (6 anchors per cell, stride size/8 ... size/16).
func New(model []byte, m models.Model, opts Options) (*Detector, error) {
	if m.Arch != Arch {
		return nil, fmt.Errorf("blazeface: manifest arch is %q, want %q", m.Arch, Arch)
	}
	if len(m.Inputs) != 1 || len(m.Outputs) != 4 || m.Pre.Width != m.Pre.Height {
		return nil, fmt.Errorf("blazeface: manifest must name 1 square input and 4 outputs")
	}
	f := raster.Format{Layout: m.Pre.Layout, Channels: m.Pre.Channels, Mean: m.Pre.Mean, Std: m.Pre.Std}
	if err := f.Validate(); err != nil {
		return nil, fmt.Errorf("blazeface: %w", err)
	}
	n := int64(m.Pre.Width)
	sig, err := onnx.Inspect(model)
	if err != nil {
		return nil, fmt.Errorf("blazeface: %w", err)
	}
	if err := sig.Expect(map[string][]int64{m.Inputs[0]: {1, n, n, 3}}, map[string][]int64{
		m.Outputs[0]: {1, 512, 1}, m.Outputs[1]: {1, 384, 1}, m.Outputs[2]: {1, 512, 16}, m.Outputs[3]: {1, 384, 16}}); err != nil {
		return nil, fmt.Errorf("blazeface: %w", err)
	}
	d := &Detector{format: f, size: m.Pre.Width, minScore: 0.6, iou: 0.3}
	if v, ok := m.Params["score_threshold"]; ok {
		d.minScore = float32(v)
	}
	d.anchors = append(grid(16, 2), grid(8, 6)...)
	if d.pool, err = onnx.NewPool(opts.Sessions, model, m.Inputs, m.Outputs, onnx.SessionOptions{}); err != nil {
		return nil, fmt.Errorf("blazeface: %w", err)
	}
	return d, nil
}

// grid returns the anchor centres of an n x n grid with k anchors per cell.
func grid(n, k int) []face.Point {
	var out []face.Point
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			for i := 0; i < k; i++ {
				out = append(out, face.Point{X: (float32(x) + 0.5) / float32(n), Y: (float32(y) + 0.5) / float32(n)})
			}
		}
	}
	return out
}

// HasLandmarks reports false: the keypoints have no mouth corners.
func (d *Detector) HasLandmarks() bool { return false }

// Detect finds faces. The image is letterboxed into the square input.
func (d *Detector) Detect(ctx context.Context, img *face.Image, o detect.Options) ([]face.Detection, error) {
	if err := img.Valid(); err != nil {
		return nil, fmt.Errorf("blazeface: %w", err)
	}
	side := float32(max(img.W, img.H))
	scale := float32(d.size) / side
	in := raster.Crop(img, face.R(0, 0, side, side), d.size, d.size)
	data := make([]float32, 3*d.size*d.size)
	if err := raster.Pack(data, in, d.size, d.size, d.format); err != nil {
		return nil, fmt.Errorf("blazeface: %w", err)
	}
	outs, err := d.pool.Run(ctx, onnx.Tensor{Shape: []int64{1, int64(d.size), int64(d.size), 3}, Data: data})
	if err != nil {
		return nil, fmt.Errorf("blazeface: %w", err)
	}
	minScore := d.minScore
	if o.MinScore > 0 {
		minScore = o.MinScore
	}
	scores := append(append([]float32(nil), outs[0].Data...), outs[1].Data...)
	regs := append(append([]float32(nil), outs[2].Data...), outs[3].Data...)
	if len(scores) != len(d.anchors) || len(regs) != 16*len(d.anchors) {
		return nil, fmt.Errorf("blazeface: outputs do not match %d anchors", len(d.anchors))
	}
	S := float32(d.size)
	var dets []face.Detection
	for i, a := range d.anchors {
		s := float32(1 / (1 + math.Exp(-float64(min(max(scores[i], -100), 100)))))
		if s < minScore {
			continue
		}
		r := regs[16*i : 16*i+16]
		cx, cy := a.X*S+r[0], a.Y*S+r[1]
		w, h := r[2], r[3]
		box := face.R((cx-w/2)/scale, (cy-h/2)/scale, (cx+w/2)/scale, (cy+h/2)/scale)
		dets = append(dets, face.Detection{Box: box, Score: s})
	}
	iou := d.iou
	if o.IoU > 0 {
		iou = o.IoU
	}
	return detect.Filter(detect.NMS(dets, iou), img.W, img.H, o), nil
}

// Close releases the sessions.
func (d *Detector) Close() error { return d.pool.Close() }
