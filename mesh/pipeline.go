package mesh

import (
	"context"
	"errors"
	"time"

	"github.com/mienhq/mien/face"
)

// Detector finds the face a track starts from (the largest, say); ok is
// false when the image has none.
type Detector func(ctx context.Context, img *face.Image) (d face.Detection, ok bool, err error)

// Result is one frame's output from a Pipeline; results come in the order
// the frames were submitted.
type Result struct {
	Frame Frame
	OK    bool  // the frame has a face
	Err   error // the frame's error; the pipeline goes on with the next frame
	Image *face.Image
	T     float64
	// Tag is the caller's value given to Submit (the video frame to
	// release, for instance).
	Tag any
}

// ErrPipelineClosed is returned by Submit after Close.
var ErrPipelineClosed = errors.New("mesh: pipeline closed")

// Pipeline runs a Tracker on two goroutines, so that two cores share one
// face: the mesh model of frame N+1 runs while the iris model, the pose and
// the signals of frame N do (the next region needs only the mesh). The
// detector runs in the mesh half, only when the track is lost. The images
// submitted must not change until their Result comes out. Submit and
// Close are meant for one producer, Results for one consumer.
type Pipeline struct {
	t      *Tracker
	detect Detector
	in     chan job
	mid    chan job
	out    chan Result
	stop   <-chan struct{}
	closed bool
}

type job struct {
	img    *face.Image
	ts     float64
	tag    any
	h      half
	err    error
	detect time.Duration
}

// NewPipeline starts the two halves over t (which it then owns) until
// Close, or until ctx is done.
func NewPipeline(ctx context.Context, t *Tracker, detect Detector) *Pipeline {
	p := &Pipeline{t: t, detect: detect, in: make(chan job), mid: make(chan job, 1),
		out: make(chan Result, 1), stop: ctx.Done()}
	go p.meshHalf(ctx)
	go p.finishHalf(ctx)
	return p
}

// Submit hands the next frame, at time ts seconds, to the pipeline; it
// waits while both halves are busy.
func (p *Pipeline) Submit(ctx context.Context, img *face.Image, ts float64, tag any) error {
	if p.closed {
		return ErrPipelineClosed
	}
	select {
	case p.in <- job{img: img, ts: ts, tag: tag}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-p.stop:
		return ErrPipelineClosed
	}
}

// Results gives each frame's result; it is closed after the last frame
// once Close was called, or soon after the pipeline's context is done
// (frames in flight are then dropped). Once it is closed, neither half is
// running: the models may be closed.
func (p *Pipeline) Results() <-chan Result { return p.out }

// Close says no frame follows; the frames in flight still come out.
func (p *Pipeline) Close() {
	if !p.closed {
		p.closed = true
		close(p.in)
	}
}

func (p *Pipeline) meshHalf(ctx context.Context) {
	defer close(p.mid)
	for {
		var j job
		var more bool
		select {
		case j, more = <-p.in:
			if !more {
				return
			}
		case <-p.stop:
			return
		}
		if j.err = ctx.Err(); j.err == nil {
			j.h, j.detect, j.err = p.stepMesh(ctx, j.img)
		}
		select {
		case p.mid <- j:
		case <-p.stop:
			return
		}
	}
}

// stepMesh meshes img from the last region, and from a detection when the
// track is lost (or is lost on this very frame), as Engine.TrackMesh does.
func (p *Pipeline) stepMesh(ctx context.Context, img *face.Image) (half, time.Duration, error) {
	var h half
	var err error
	if !p.t.Lost() {
		if h, err = p.t.stepMesh(ctx, img); h.ok || err != nil || p.detect == nil {
			return h, 0, err
		}
	}
	if p.detect == nil {
		return h, 0, nil
	}
	start := time.Now()
	d, ok, err := p.detect(ctx, img)
	took := time.Since(start)
	if err != nil || !ok {
		return half{restart: h.restart}, took, err
	}
	p.t.Reset(d)
	h, err = p.t.stepMesh(ctx, img)
	return h, took, err
}

// finishHalf closes the results only once the mesh half has stopped (it
// closes mid), so that a caller who read Results to the end may close the
// models: no run of either half is still in flight.
func (p *Pipeline) finishHalf(ctx context.Context) {
	defer close(p.out)
	stopped := false
	for j := range p.mid {
		if stopped {
			continue // wait for the mesh half to stop
		}
		r := Result{Image: j.img, T: j.ts, Tag: j.tag, Err: j.err}
		if r.Err == nil {
			r.Frame, r.OK, r.Err = p.t.finish(ctx, j.img, j.ts, j.h)
		} else {
			r.Frame = j.h.frame
		}
		r.Frame.Timing.Detect = j.detect
		select {
		case p.out <- r:
		case <-p.stop:
			stopped = true
		}
	}
}

// Follow is Step with re-detection: it meshes img from the last region
// and, when the track is lost (or is lost on this frame), starts again from
// detect's face. ok is false when the frame has no face to mesh.
func (t *Tracker) Follow(ctx context.Context, img *face.Image, ts float64, detect Detector) (f Frame, ok bool, err error) {
	if !t.Lost() {
		if f, ok, err = t.Step(ctx, img, ts); ok || err != nil {
			return f, ok, err
		}
	}
	start := time.Now()
	d, found, err := detect(ctx, img)
	took := time.Since(start)
	if err != nil || !found {
		return Frame{Timing: Timing{Detect: took}}, false, err
	}
	t.Reset(d)
	f, ok, err = t.Step(ctx, img, ts)
	f.Timing.Detect = took
	return f, ok, err
}
