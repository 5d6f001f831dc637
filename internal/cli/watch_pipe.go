package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/mienhq/mien/count"
	"github.com/mienhq/mien/detect"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/gate"
	"github.com/mienhq/mien/track"
	"github.com/mienhq/mien/video"
)

// greyGateWarning is said once when a gate with anti-spoofing sees a face
// with no colour.
const greyGateWarning = "watch: this camera's faces have no colour (an infrared or greyscale camera?): anti-spoofing reads every grey face " +
	"as a photo, so they are denied_not_live; run with --anti-spoof=false for such a camera"

// faceEmbedder computes a template; only the gate has one.
type faceEmbedder interface {
	Embed(ctx context.Context, img *face.Image, d face.Detection) (face.Embedding, error)
}

// watchEvent is one line of watch's output: a crossing (in, out) or a gate
// decision (granted, denied_unknown, expired_consent, denied_not_live).
type watchEvent struct {
	Event   string    `json:"event"`
	Camera  string    `json:"camera,omitempty"`
	Track   uint64    `json:"track"`
	Subject string    `json:"subject_id,omitempty"`
	Score   float32   `json:"score,omitempty"`
	Live    float32   `json:"live,omitempty"` // the median passive liveness score, with anti-spoofing
	Fused   int       `json:"frames_fused,omitempty"`
	Time    time.Time `json:"time,omitzero"`
	Frame   uint64    `json:"frame"`
	Seconds float64   `json:"seconds"` // (frame-1) / fps: the position in a file, or time since start for a stream
	box     face.Rect // the track's box at the event (for evaluation; not printed)
}

// watchSummary is the last line of watch's output.
type watchSummary struct {
	In       int          `json:"in"`
	Out      int          `json:"out"`
	Granted  int          `json:"granted,omitempty"`
	Denied   int          `json:"denied_unknown,omitempty"`
	Expired  int          `json:"expired_consent,omitempty"`
	NotLive  int          `json:"denied_not_live,omitempty"`
	Frames   uint64       `json:"frames"`
	Tracks   uint64       `json:"tracks"`
	DetectMS float64      `json:"detect_ms_per_frame"`
	TrackMS  float64      `json:"track_ms_per_frame"`
	Embeds   int          `json:"templates_computed"`
	EmbedMS  float64      `json:"embed_ms_per_template,omitempty"`
	Source   video.Health `json:"source"`
}

// watchPipe is one camera's loop: detect -> track -> count and/or gate.
// With no embedder and no gate, no template is ever computed.
type watchPipe struct {
	det faceDetector
	emb faceEmbedder // nil unless gating
	// liveness scores the faces the gate asks for (nil: anti-spoofing off)
	liveness livenessScorer
	warn     io.Writer // once, when anti-spoofing meets a face with no colour
	warned   bool
	gate     *gate.Gate // nil unless gating
	counter  *count.Counter
	tr       *track.Tracker
	opts     detect.Options
	fps      float64
	origin   time.Time // frame time origin: frame n is at origin + (n-1)/fps
	live     bool      // frame times are the frames' own (a stream), not origin + position
	emit     func(watchEvent) error

	sum                  watchSummary
	in                   []track.Detection
	faces                []gate.Face
	ended                []uint64
	boxes                map[uint64]face.Rect
	detT, trackT, embedT time.Duration
}

func newWatchPipe(det faceDetector, wf watchFlags, emit func(watchEvent) error) (*watchPipe, error) {
	// a lost track coasts for at most a second and a half, and ends once its
	// prediction has left the frame
	tr, err := track.New(track.Options{MaxLost: max(1, int(1.5*wf.fps)),
		Bounds: face.R(0, 0, float32(wf.width), float32(wf.height))})
	if err != nil {
		return nil, err
	}
	return &watchPipe{det: det, tr: tr, opts: detect.Options{MinSize: float32(wf.minSize)}, fps: wf.fps,
		origin: time.Now().UTC(), emit: emit, boxes: map[uint64]face.Rect{}}, nil
}

// run feeds every frame of src through the pipe and finishes it.
func (p *watchPipe) run(ctx context.Context, src frameSource) (watchSummary, error) {
	err := src.Each(ctx, func(f *video.Frame) error { return p.frame(ctx, f) })
	if err != nil && !errors.Is(err, video.ErrStopped) && !errors.Is(err, context.Canceled) {
		return p.sum, err
	}
	ferr := p.finish(ctx)
	p.sum.Source = src.Health()
	if p.counter != nil {
		p.sum.In, p.sum.Out = p.counter.In, p.counter.Out
	}
	if n := float64(p.sum.Frames); n > 0 {
		p.sum.DetectMS = float64(p.detT.Microseconds()) / 1000 / n
		p.sum.TrackMS = float64(p.trackT.Microseconds()) / 1000 / n
	}
	if p.sum.Embeds > 0 {
		p.sum.EmbedMS = float64(p.embedT.Microseconds()) / 1000 / float64(p.sum.Embeds)
	}
	if errors.Is(err, context.Canceled) {
		err = nil // interrupted: still print the summary
	}
	return p.sum, errors.Join(err, ferr)
}

// frame analyses one frame.
func (p *watchPipe) frame(ctx context.Context, f *video.Frame) error {
	t0 := time.Now()
	dets, err := p.det.Detect(ctx, f.Image, p.opts)
	if err != nil {
		return fmt.Errorf("watch: frame %d: %w", f.Seq, err)
	}
	t1 := time.Now()
	p.in = p.in[:0]
	for _, d := range dets {
		p.in = append(p.in, track.Detection{Detection: d})
	}
	res := p.tr.Update(p.in)
	p.faces, p.ended = p.faces[:0], p.ended[:0]
	at := p.at(f.Seq, f.Time)
	for _, t := range res.Tracks {
		if t.ID == 0 || t.Det < 0 {
			continue
		}
		p.sum.Tracks = max(p.sum.Tracks, t.ID)
		p.boxes[t.ID] = t.Box
		if p.counter != nil {
			if dir := p.counter.Observe(t.ID, t.Box.Center()); dir != count.None {
				if err := p.emit(watchEvent{Event: dir.String(), Track: t.ID, Frame: f.Seq, Seconds: float64(f.Seq-1) / p.fps, box: t.Box}); err != nil {
					return err
				}
			}
		}
		if p.gate != nil {
			p.faces = append(p.faces, gate.Face{Track: t.ID, Box: t.Box, Quality: gate.Quality(dets[t.Det].Box, dets[t.Det].Score)})
		}
	}
	for _, t := range res.Ended {
		p.ended = append(p.ended, t.ID)
		if p.counter != nil {
			p.counter.Forget(t.ID)
		}
	}
	p.trackT += time.Since(t1)
	p.detT += t1.Sub(t0)
	p.sum.Frames++
	if p.gate == nil {
		p.forgetEnded()
		return nil
	}
	if err := p.templates(ctx, f.Image, dets, res, at); err != nil {
		return err
	}
	return p.decide(ctx, at, f.Seq)
}

// templates computes the templates the gate asks for, and only those.
func (p *watchPipe) templates(ctx context.Context, img *face.Image, dets []face.Detection, res *track.Result, at time.Time) error {
	k := 0
	for _, t := range res.Tracks {
		if t.ID == 0 || t.Det < 0 {
			continue
		}
		fc := &p.faces[k]
		k++
		if !p.gate.Wants(fc.Track, fc.Box, fc.Quality, at) {
			continue
		}
		t0 := time.Now()
		e, err := p.emb.Embed(ctx, img, dets[t.Det])
		if err != nil {
			return fmt.Errorf("watch: track %d: %w", t.ID, err)
		}
		fc.Template = e
		if p.liveness != nil {
			var grey bool
			if fc.Live, grey, err = p.liveness.PassiveScore(ctx, img, dets[t.Det]); err != nil {
				return fmt.Errorf("watch: track %d: %w", t.ID, err)
			}
			if grey && !p.warned && p.warn != nil {
				p.warned = true
				fmt.Fprintln(p.warn, greyGateWarning)
			}
		}
		p.embedT += time.Since(t0)
		p.sum.Embeds++
	}
	return nil
}

// decide passes the frame to the gate and prints its decisions.
func (p *watchPipe) decide(ctx context.Context, at time.Time, seq uint64) error {
	ds, err := p.gate.Update(ctx, gate.Frame{Time: at, Faces: p.faces, Ended: p.ended})
	for i := range p.faces {
		clear(p.faces[i].Template.Vector) // the gate keeps its own copy, only while it must
		p.faces[i].Template = face.Embedding{}
	}
	if err != nil {
		return err
	}
	for _, d := range ds {
		switch d.Outcome {
		case gate.Granted:
			p.sum.Granted++
		case gate.DeniedUnknown:
			p.sum.Denied++
		case gate.ExpiredConsent:
			p.sum.Expired++
		case gate.DeniedNotLive:
			p.sum.NotLive++
		}
		ev := watchEvent{Event: d.Outcome.String(), Camera: d.Camera, Track: d.Track, Subject: d.SubjectID, Score: d.Score, Live: d.Live,
			Fused: d.Frames, Time: d.Time, Frame: seq, Seconds: float64(seq-1) / p.fps, box: p.boxes[d.Track]}
		if err := p.emit(ev); err != nil {
			return err
		}
	}
	p.forgetEnded()
	return nil
}

func (p *watchPipe) forgetEnded() {
	for _, id := range p.ended {
		delete(p.boxes, id)
	}
}

// finish ends every track at the end of the source: the gate decides the
// tracks still waiting.
func (p *watchPipe) finish(ctx context.Context) error {
	ended := p.tr.Flush()
	if p.gate == nil {
		return nil
	}
	p.faces, p.ended = p.faces[:0], p.ended[:0]
	for _, t := range ended {
		p.ended = append(p.ended, t.ID)
	}
	return p.decide(ctx, p.at(p.sum.Frames+1, time.Now()), p.sum.Frames)
}

// at is frame seq's time: its position in a file, the wall clock for a stream.
func (p *watchPipe) at(seq uint64, read time.Time) time.Time {
	if p.live {
		return read.UTC()
	}
	return p.origin.Add(time.Duration(float64(seq-1) / p.fps * float64(time.Second)))
}
