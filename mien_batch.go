package mien

import (
	"context"
	"sync"

	"github.com/mienhq/mien/detect"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/imageio"
	"github.com/mienhq/mien/quality"
)

// EachOptions configure AnalyzeEach.
type EachOptions struct {
	// Workers is the number of images decoded, detected and aligned at once,
	// and the number of recognizer runs at once (0 = the engine's Workers).
	Workers int
	// Detect holds detection filters (zero fields take the engine's defaults).
	Detect detect.Options
	// NoEmbed stops after detection, alignment and quality: the faces carry
	// no template (what `mien detect` needs). A face whose alignment fails
	// is then kept with the quality of no crop, as Detect's callers do.
	NoEmbed bool
	// Faces, when set, replaces detection: it returns the faces of img to
	// analyse (an evaluation keeps only the face nearest the centre).
	Faces func(ctx context.Context, img *face.Image) ([]face.Detection, error)
}

// Source supplies the bytes of image i for AnalyzeEach (a file read, a
// part of a request). It is called from several goroutines at once.
type Source func(ctx context.Context, i int) ([]byte, error)

// Sink receives image i's analysis, or the error that stopped it. It is
// called once per image, in the order images finish, never concurrently
// with itself.
type Sink func(i int, a *Analysis, err error)

// AnalyzeEach analyses images 0..n-1 in a pipeline: Workers goroutines
// read, decode, detect and align (one image each), and hand the aligned
// crops through a bounded queue to Workers recognizer runs, each of which
// takes every crop waiting, up to the recognizer's batch size
// (Options.Batch), in one run. Reading and detection of later images thus
// overlap the embedding of earlier ones, and the recognizer runs in
// batches when it is the bottleneck. Each image's analysis equals
// Analyze's. One image's error goes to its Sink call and does not stop the
// others; AnalyzeEach returns ctx's error when ctx ends (images not
// started then get no Sink call).
func (e *Engine) AnalyzeEach(ctx context.Context, n int, o EachOptions, src Source, sink Sink) error {
	workers := o.Workers
	if workers <= 0 {
		workers = e.opts.Workers
	}
	p := &pipeline{e: e, o: o, src: src, sink: sink, crops: make(chan faceCrop, max(e.embedder.Batch(), 2*workers))}
	jobs := make(chan int)
	var front, back sync.WaitGroup
	for range workers {
		front.Add(1)
		go func() {
			defer front.Done()
			for i := range jobs {
				p.front(ctx, i)
			}
		}()
		back.Add(1)
		go func() {
			defer back.Done()
			p.embedLoop(ctx)
		}()
	}
feed:
	for i := range n {
		select {
		case jobs <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	front.Wait()
	close(p.crops)
	back.Wait()
	return ctx.Err()
}

// pipeline is one AnalyzeEach call's shared state.
type pipeline struct {
	e     *Engine
	o     EachOptions
	src   Source
	sink  Sink
	crops chan faceCrop
	mu    sync.Mutex // serialises sink and the pending counts
}

// pending is an image whose faces are being embedded.
type pending struct {
	i    int
	a    *Analysis
	left int // faces still to embed; guarded by pipeline.mu
	err  error
}

// faceCrop is one aligned face on its way to the recognizer.
type faceCrop struct {
	img  *pending
	face int
	crop *face.Image
}

// front reads, decodes, detects and aligns image i, then queues its crops
// (or finishes it when there is nothing to embed).
func (p *pipeline) front(ctx context.Context, i int) {
	a, crops, err := p.analyzeFront(ctx, i)
	if err != nil || len(crops) == 0 || p.o.NoEmbed {
		p.finish(&pending{i: i, a: a, err: err}, 0)
		return
	}
	pd := &pending{i: i, a: a, left: len(crops)}
	for k, c := range crops {
		p.crops <- faceCrop{img: pd, face: k, crop: c}
	}
}

func (p *pipeline) analyzeFront(ctx context.Context, i int) (*Analysis, []*face.Image, error) {
	data, err := p.src(ctx, i)
	if err != nil {
		return nil, nil, err
	}
	img, err := imageio.DecodeContext(ctx, data, p.e.opts.Image)
	if err != nil {
		return nil, nil, err
	}
	var dets []face.Detection
	if p.o.Faces != nil {
		dets, err = p.o.Faces(ctx, img)
	} else {
		dets, err = p.e.Detect(ctx, img, p.o.Detect)
	}
	if err != nil {
		return nil, nil, err
	}
	a := &Analysis{Width: img.W, Height: img.H, Faces: make([]Face, len(dets))}
	crops := make([]*face.Image, len(dets))
	for k, d := range dets {
		if crops[k], err = p.e.Align(img, d); err != nil && !p.o.NoEmbed {
			return nil, nil, err
		}
		a.Faces[k] = Face{Detection: d, Quality: quality.Assess(img, d, crops[k])}
	}
	return a, crops, nil
}

// embedLoop runs the recognizer over every crop waiting (up to its batch)
// until the queue is closed.
func (p *pipeline) embedLoop(ctx context.Context) {
	per := 1
	if p.e.opts.Flip {
		per = 2
	}
	most := max(1, p.e.embedder.Batch()/per)
	for first := range p.crops {
		batch := []faceCrop{first}
	more:
		for len(batch) < most {
			select {
			case c, ok := <-p.crops:
				if !ok {
					break more
				}
				batch = append(batch, c)
			default:
				break more
			}
		}
		p.embed(ctx, batch)
	}
}

func (p *pipeline) embed(ctx context.Context, batch []faceCrop) {
	imgs := make([]*face.Image, len(batch))
	for k, c := range batch {
		imgs[k] = c.crop
	}
	embs, err := p.e.embedder.EmbedCrops(ctx, imgs)
	for k, c := range batch {
		if err == nil {
			c.img.a.Faces[c.face].Embedding = embs[k]
		}
		p.finish(c.img, 1, err)
	}
}

// finish counts done faces of an image and hands it to the sink once none
// is left (with the first error any of its faces met).
func (p *pipeline) finish(pd *pending, faces int, errs ...error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, err := range errs {
		if err != nil && pd.err == nil {
			pd.err = err
		}
	}
	if pd.left -= faces; pd.left > 0 {
		return
	}
	if pd.err != nil {
		p.sink(pd.i, nil, pd.err)
		return
	}
	p.sink(pd.i, pd.a, nil)
}
