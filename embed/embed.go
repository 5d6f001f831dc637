// Package embed turns aligned 112x112 face crops into L2-normalised
// templates with an ArcFace-style recognizer.
package embed

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/models"
	"github.com/mienhq/mien/onnx"
	"github.com/mienhq/mien/raster"
)

// Arch is the manifest arch this package implements.
const Arch = "arcface"

// Options configure an Embedder.
type Options struct {
	// Sessions is the number of pooled ONNX sessions (concurrent calls).
	Sessions int
	// Flip adds the embedding of the horizontally mirrored crop (test-time
	// augmentation): about twice the cost, slightly better accuracy.
	Flip bool
	// Batch is the most images one run of the recognizer takes in EmbedCrops
	// (a crop and its mirror count as two; 0 or 1 = one at a time). A
	// recognizer declared with a fixed batch of 1 is given a free batch
	// dimension (onnx.Batchable); one that cannot be runs one at a time.
	Batch int
}

// Embedder is safe for concurrent use.
type Embedder struct {
	pool   *onnx.Pool
	format raster.Format
	model  string
	w, h   int
	dim    int
	flip   bool
	batch  int
	runs   atomic.Uint64
}

// New opens a recognizer; its signature is checked against the manifest.
func New(model []byte, m models.Model, opts Options) (*Embedder, error) {
	if m.Arch != Arch {
		return nil, fmt.Errorf("embed: manifest arch is %q, want %q", m.Arch, Arch)
	}
	if len(m.Inputs) != 1 || len(m.Outputs) != 1 {
		return nil, fmt.Errorf("embed: manifest must name 1 input and 1 output")
	}
	f := raster.Format{Layout: m.Pre.Layout, Channels: m.Pre.Channels, Mean: m.Pre.Mean, Std: m.Pre.Std}
	if err := f.Validate(); err != nil {
		return nil, fmt.Errorf("embed: %w", err)
	}
	if f.Layout != "NCHW" || f.Planes() != 3 {
		return nil, fmt.Errorf("embed: recognizer input must be NCHW with 3 channels")
	}
	sig, err := onnx.Inspect(model)
	if err != nil {
		return nil, fmt.Errorf("embed: %w", err)
	}
	in := []int64{1, 3, int64(m.Pre.Height), int64(m.Pre.Width)}
	if err := sig.Expect(map[string][]int64{m.Inputs[0]: in}, map[string][]int64{m.Outputs[0]: {1, -1}}); err != nil {
		return nil, fmt.Errorf("embed: %w", err)
	}
	dim := 0
	for _, o := range sig.Outputs {
		if o.Name == m.Outputs[0] {
			dim = int(o.Shape[1])
		}
	}
	batch := max(opts.Batch, 1)
	if batch > 1 {
		if b, err := onnx.Batchable(model); err == nil {
			model = b
		} else {
			batch = 1 // runs one image at a time, as declared
		}
	}
	// PRelu as two depthwise convolutions keeps the network in ONNX
	// Runtime's blocked layout: about 45% less CPU a run for the standard
	// pack's recognizer, the same template to float noise.
	if fast, _, err := onnx.PReluAsConv(model); err == nil {
		model = fast
	}
	pool, err := onnx.NewPool(opts.Sessions, model, m.Inputs, m.Outputs, onnx.SessionOptions{})
	if err != nil {
		return nil, fmt.Errorf("embed: %w", err)
	}
	return &Embedder{pool: pool, format: f, model: m.ID, w: m.Pre.Width, h: m.Pre.Height, dim: dim, flip: opts.Flip, batch: batch}, nil
}

// Batch returns the most images one run of the recognizer takes.
func (e *Embedder) Batch() int { return e.batch }

// Model returns the id of the recognizer (every embedding carries it).
func (e *Embedder) Model() string { return e.model }

// Dim returns the embedding length (-1 or 0 when the model declares it dynamic).
func (e *Embedder) Dim() int { return e.dim }

// Embed returns the template of an aligned crop of the model's input size.
func (e *Embedder) Embed(ctx context.Context, crop *face.Image) (face.Embedding, error) {
	return e.EmbedFlip(ctx, crop, e.flip)
}

// EmbedFlip is Embed with the mirrored crop's embedding added or not, as
// flip says, whatever the embedder's Options.Flip.
func (e *Embedder) EmbedFlip(ctx context.Context, crop *face.Image, flip bool) (face.Embedding, error) {
	if crop == nil || crop.W != e.w || crop.H != e.h {
		return face.Embedding{}, fmt.Errorf("embed: crop must be %dx%d", e.w, e.h)
	}
	v, err := e.run(ctx, crop)
	if err != nil {
		return face.Embedding{}, err
	}
	if flip {
		fv, err := e.run(ctx, raster.FlipH(crop))
		if err != nil {
			return face.Embedding{}, err
		}
		for i := range v {
			v[i] += fv[i]
		}
	}
	if face.Normalize(v) == 0 {
		return face.Embedding{}, fmt.Errorf("embed: recognizer returned a zero vector")
	}
	return face.Embedding{Model: e.model, Vector: v}, nil
}

// EmbedBatch embeds several crops, using the session pool concurrently.
func (e *Embedder) EmbedBatch(ctx context.Context, crops []*face.Image) ([]face.Embedding, error) {
	out := make([]face.Embedding, len(crops))
	errs := make([]error, len(crops))
	var wg sync.WaitGroup
	sem := make(chan struct{}, e.pool.Size())
	for i, c := range crops {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			out[i], errs[i] = e.Embed(ctx, c)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("embed: crop %d: %w", i, err)
		}
	}
	return out, nil
}

// EmbedCrops returns the templates of several aligned crops, running the
// recognizer over up to Batch images at once (a crop and its mirror are
// two). Each template equals what Embed returns for its crop.
func (e *Embedder) EmbedCrops(ctx context.Context, crops []*face.Image) ([]face.Embedding, error) {
	per := 1
	if e.flip {
		per = 2
	}
	step := max(1, e.batch/per)
	out := make([]face.Embedding, 0, len(crops))
	for start := 0; start < len(crops); start += step {
		part := crops[start:min(len(crops), start+step)]
		imgs := make([]*face.Image, 0, per*len(part))
		for i, c := range part {
			if c == nil || c.W != e.w || c.H != e.h {
				return nil, fmt.Errorf("embed: crop %d must be %dx%d", start+i, e.w, e.h)
			}
			imgs = append(imgs, c)
			if e.flip {
				imgs = append(imgs, raster.FlipH(c))
			}
		}
		vs, err := e.runBatch(ctx, imgs)
		if err != nil {
			return nil, err
		}
		for i := range part {
			v := vs[per*i]
			if e.flip {
				for k, f := range vs[per*i+1] {
					v[k] += f
				}
			}
			if face.Normalize(v) == 0 {
				return nil, fmt.Errorf("embed: recognizer returned a zero vector")
			}
			out = append(out, face.Embedding{Model: e.model, Vector: v})
		}
	}
	return out, nil
}

// runBatch runs the recognizer over imgs, at most e.batch of them at once,
// and returns one output vector per image.
func (e *Embedder) runBatch(ctx context.Context, imgs []*face.Image) ([][]float32, error) {
	if len(imgs) > e.batch {
		vs, err := e.runBatch(ctx, imgs[:e.batch])
		if err != nil {
			return nil, err
		}
		rest, err := e.runBatch(ctx, imgs[e.batch:])
		return append(vs, rest...), err
	}
	if len(imgs) == 1 {
		v, err := e.run(ctx, imgs[0])
		return [][]float32{v}, err
	}
	n := 3 * e.w * e.h
	data := make([]float32, len(imgs)*n)
	for i, img := range imgs {
		if err := raster.Pack(data[i*n:(i+1)*n], img, e.w, e.h, e.format); err != nil {
			return nil, fmt.Errorf("embed: %w", err)
		}
	}
	e.runs.Add(uint64(len(imgs)))
	outs, err := e.pool.Run(ctx, onnx.Tensor{Shape: []int64{int64(len(imgs)), 3, int64(e.h), int64(e.w)}, Data: data})
	if err != nil {
		return nil, fmt.Errorf("embed: %w", err)
	}
	all := outs[0].Data
	if len(all)%len(imgs) != 0 || len(all) == 0 {
		return nil, fmt.Errorf("embed: recognizer returned %d values for %d images", len(all), len(imgs))
	}
	d := len(all) / len(imgs)
	vs := make([][]float32, len(imgs))
	for i := range vs {
		vs[i] = all[i*d : (i+1)*d : (i+1)*d]
	}
	return vs, nil
}

// Runs is how many times the recognizer model has run since New (an
// embedding with its mirrored crop counts two): a count of templates
// computed, which paths that must never compute one are tested against.
func (e *Embedder) Runs() uint64 { return e.runs.Load() }

func (e *Embedder) run(ctx context.Context, crop *face.Image) ([]float32, error) {
	e.runs.Add(1)
	data := make([]float32, 3*e.w*e.h)
	if err := raster.Pack(data, crop, e.w, e.h, e.format); err != nil {
		return nil, fmt.Errorf("embed: %w", err)
	}
	outs, err := e.pool.Run(ctx, onnx.Tensor{Shape: []int64{1, 3, int64(e.h), int64(e.w)}, Data: data})
	if err != nil {
		return nil, fmt.Errorf("embed: %w", err)
	}
	return outs[0].Data, nil
}

// Close releases the sessions.
func (e *Embedder) Close() error { return e.pool.Close() }
