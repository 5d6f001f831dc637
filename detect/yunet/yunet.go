// Package yunet implements detect.Detector with the YuNet face detector
// (libfacedetection.train), which gives boxes and five landmarks in the
// ArcFace template order.
package yunet

import (
	"context"
	"fmt"
	"math"
	"sync"

	"github.com/mienhq/mien/detect"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/models"
	"github.com/mienhq/mien/onnx"
	"github.com/mienhq/mien/raster"
)

// Arch is the manifest arch this package implements.
const Arch = "yunet"

var strides = [3]int{8, 16, 32}

// Options configure the detector.
type Options struct {
	// Sessions is the number of pooled ONNX sessions (concurrent calls).
	Sessions int
	// MaxSide scales images down so that their longer side is at most this
	// many pixels before detection (0 = the manifest's max_side param, else 640).
	MaxSide int
}

// Detector is safe for concurrent use.
type Detector struct {
	pool     *onnx.Pool
	format   raster.Format
	maxSide  int
	minScore float32
	iou      float32
	// bufs holds input tensors for reuse (*[]float32): a camera detecting
	// 640x384 five times a second would otherwise allocate 2.9 MB a frame.
	bufs sync.Pool
}

// New opens a YuNet model. The manifest entry must list the input and the
// twelve cls/obj/bbox/kps outputs; the model's signature is checked at once.
func New(model []byte, m models.Model, opts Options) (*Detector, error) {
	if m.Arch != Arch {
		return nil, fmt.Errorf("yunet: manifest arch is %q, want %q", m.Arch, Arch)
	}
	if len(m.Inputs) != 1 || len(m.Outputs) != 12 {
		return nil, fmt.Errorf("yunet: manifest must name 1 input and 12 outputs (cls, obj, bbox, kps for strides 8, 16, 32)")
	}
	f := raster.Format{Layout: m.Pre.Layout, Channels: m.Pre.Channels, Mean: m.Pre.Mean, Std: m.Pre.Std}
	if err := f.Validate(); err != nil {
		return nil, fmt.Errorf("yunet: %w", err)
	}
	sig, err := onnx.Inspect(model)
	if err != nil {
		return nil, fmt.Errorf("yunet: %w", err)
	}
	outs := map[string][]int64{}
	for _, o := range m.Outputs {
		outs[o] = []int64{-1, -1, -1}
	}
	if err := sig.Expect(map[string][]int64{m.Inputs[0]: {-1, 3, -1, -1}}, outs); err != nil {
		return nil, fmt.Errorf("yunet: %w", err)
	}
	pool, err := onnx.NewPool(opts.Sessions, model, m.Inputs, m.Outputs, onnx.SessionOptions{})
	if err != nil {
		return nil, fmt.Errorf("yunet: %w", err)
	}
	d := &Detector{pool: pool, format: f, maxSide: opts.MaxSide, minScore: 0.6, iou: 0.3}
	if d.maxSide == 0 {
		d.maxSide = int(param(m, "max_side", 640))
	}
	d.minScore = float32(param(m, "score_threshold", 0.6))
	d.iou = float32(param(m, "nms_iou", 0.3))
	return d, nil
}

func param(m models.Model, name string, def float64) float64 {
	if v, ok := m.Params[name]; ok {
		return v
	}
	return def
}

// HasLandmarks reports true: YuNet gives five landmarks.
func (d *Detector) HasLandmarks() bool { return true }

// Detect finds faces in img.
func (d *Detector) Detect(ctx context.Context, img *face.Image, o detect.Options) ([]face.Detection, error) {
	if err := img.Valid(); err != nil {
		return nil, fmt.Errorf("yunet: %w", err)
	}
	scale := detect.InputScale(img.W, img.H, d.maxSide, o)
	in := img
	if scale < 1 {
		in = raster.Resize(img, max(1, int(float32(img.W)*scale+0.5)), max(1, int(float32(img.H)*scale+0.5)))
	}
	tw, th := roundUp(in.W, 32), roundUp(in.H, 32)
	buf, _ := d.bufs.Get().(*[]float32)
	if buf == nil || cap(*buf) < 3*tw*th {
		buf = &[]float32{}
		*buf = make([]float32, 3*tw*th)
	}
	defer d.bufs.Put(buf)
	data := (*buf)[:3*tw*th]
	if err := raster.Pack(data, in, tw, th, d.format); err != nil {
		return nil, fmt.Errorf("yunet: %w", err)
	}
	outs, err := d.pool.Run(ctx, onnx.Tensor{Shape: []int64{1, 3, int64(th), int64(tw)}, Data: data})
	if err != nil {
		return nil, fmt.Errorf("yunet: %w", err)
	}
	minScore, iou := d.minScore, d.iou
	if o.MinScore > 0 {
		minScore = o.MinScore
	}
	if o.IoU > 0 {
		iou = o.IoU
	}
	dets, err := decode(outs, tw, th, minScore)
	if err != nil {
		return nil, err
	}
	inv := 1 / scale
	for i := range dets {
		dets[i].Box = face.Rect{Min: dets[i].Box.Min.Mul(inv), Max: dets[i].Box.Max.Mul(inv)}
		for k := range dets[i].Landmarks {
			dets[i].Landmarks[k] = dets[i].Landmarks[k].Mul(inv)
		}
	}
	return detect.Filter(detect.NMS(dets, iou), img.W, img.H, o), nil
}

// decode turns the twelve output tensors (cls, obj, bbox, kps for strides
// 8, 16, 32, in the manifest's order) into candidate detections.
func decode(outs []onnx.Tensor, tw, th int, minScore float32) ([]face.Detection, error) {
	var dets []face.Detection
	for si, s := range strides {
		cols, rows := tw/s, th/s
		n := cols * rows
		cls, obj, box, kps := outs[si].Data, outs[3+si].Data, outs[6+si].Data, outs[9+si].Data
		if len(cls) != n || len(obj) != n || len(box) != 4*n || len(kps) != 10*n {
			return nil, fmt.Errorf("yunet: stride %d outputs have %d/%d/%d/%d values, want %d cells", s, len(cls), len(obj), len(box), len(kps), n)
		}
		fs := float32(s)
		for i := 0; i < n; i++ {
			score := float32(math.Sqrt(float64(clamp01(cls[i]) * clamp01(obj[i]))))
			if score < minScore {
				continue
			}
			c, r := float32(i%cols), float32(i/cols)
			b := box[4*i : 4*i+4]
			cx, cy := (c+b[0])*fs, (r+b[1])*fs
			w := float32(math.Exp(float64(b[2]))) * fs
			h := float32(math.Exp(float64(b[3]))) * fs
			d := face.Detection{Box: face.R(cx-w/2, cy-h/2, cx+w/2, cy+h/2), Score: score}
			k := kps[10*i : 10*i+10]
			for j := 0; j < 5; j++ {
				d.Landmarks[j] = face.Point{X: (c + k[2*j]) * fs, Y: (r + k[2*j+1]) * fs}
			}
			dets = append(dets, d)
		}
	}
	return dets, nil
}

func clamp01(v float32) float32 { return min(max(v, 0), 1) }

func roundUp(v, m int) int { return (v + m - 1) / m * m }

// Close releases the sessions.
func (d *Detector) Close() error { return d.pool.Close() }
