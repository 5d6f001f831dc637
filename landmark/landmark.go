// Package landmark locates 68 facial points (the iBUG 300-W layout) inside a
// detected face box, and reduces them to the five alignment points for
// detectors that give boxes only.
package landmark

import (
	"context"
	"fmt"

	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/models"
	"github.com/mienhq/mien/onnx"
	"github.com/mienhq/mien/raster"
)

// Arch is the manifest arch this package implements: a 64x64 grey crop of
// the face box -> 68 (x, y) pairs normalised to the crop.
const Arch = "pfld68"

// Points68 is the 68-point layout.
type Points68 [68]face.Point

// Five returns the alignment points in the ArcFace template order: the
// centres of the two eyes, the nose tip and the mouth corners.
func (p Points68) Five() face.Landmarks5 {
	mean := func(from, to int) face.Point {
		var s face.Point
		for i := from; i <= to; i++ {
			s = s.Add(p[i])
		}
		return s.Mul(1 / float32(to-from+1))
	}
	return face.Landmarks5{mean(36, 41), mean(42, 47), p[30], p[48], p[54]}
}

// Options configure the model.
type Options struct{ Sessions int }

// Model is safe for concurrent use.
type Model struct {
	pool   *onnx.Pool
	format raster.Format
	size   int
	scale  float32
}

// New opens the landmark model and checks its signature.
func New(model []byte, m models.Model, opts Options) (*Model, error) {
	if m.Arch != Arch {
		return nil, fmt.Errorf("landmark: manifest arch is %q, want %q", m.Arch, Arch)
	}
	if len(m.Inputs) != 1 || len(m.Outputs) != 1 || m.Pre.Width != m.Pre.Height || m.Pre.Width <= 0 {
		return nil, fmt.Errorf("landmark: manifest must name 1 input, 1 output and a square input size")
	}
	f := raster.Format{Layout: m.Pre.Layout, Channels: m.Pre.Channels, Mean: m.Pre.Mean, Std: m.Pre.Std}
	if err := f.Validate(); err != nil {
		return nil, fmt.Errorf("landmark: %w", err)
	}
	sig, err := onnx.Inspect(model)
	if err != nil {
		return nil, fmt.Errorf("landmark: %w", err)
	}
	n := int64(m.Pre.Width)
	if err := sig.Expect(map[string][]int64{m.Inputs[0]: {1, int64(f.Planes()), n, n}}, map[string][]int64{m.Outputs[0]: {1, 136}}); err != nil {
		return nil, fmt.Errorf("landmark: %w", err)
	}
	pool, err := onnx.NewPool(opts.Sessions, model, m.Inputs, m.Outputs, onnx.SessionOptions{})
	if err != nil {
		return nil, fmt.Errorf("landmark: %w", err)
	}
	scale := float32(1)
	if v, ok := m.Params["crop_scale"]; ok {
		scale = float32(v)
	}
	return &Model{pool: pool, format: f, size: m.Pre.Width, scale: scale}, nil
}

// Locate returns the 68 points of the face in box.
func (m *Model) Locate(ctx context.Context, img *face.Image, box face.Rect) (Points68, error) {
	var pts Points68
	r := box.Scale(m.scale)
	crop := raster.Crop(img, r, m.size, m.size)
	data := make([]float32, m.format.Planes()*m.size*m.size)
	if err := raster.Pack(data, crop, m.size, m.size, m.format); err != nil {
		return pts, fmt.Errorf("landmark: %w", err)
	}
	outs, err := m.pool.Run(ctx, onnx.Tensor{Shape: []int64{1, int64(m.format.Planes()), int64(m.size), int64(m.size)}, Data: data})
	if err != nil {
		return pts, fmt.Errorf("landmark: %w", err)
	}
	v := outs[0].Data
	if len(v) != 136 {
		return pts, fmt.Errorf("landmark: model returned %d values, want 136", len(v))
	}
	for i := range pts {
		pts[i] = face.Point{X: r.Min.X + v[2*i]*r.Dx(), Y: r.Min.Y + v[2*i+1]*r.Dy()}
	}
	return pts, nil
}

// Close releases the sessions.
func (m *Model) Close() error { return m.pool.Close() }
