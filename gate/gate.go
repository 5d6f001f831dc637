// Package gate turns the tracks of one access camera into decisions:
// granted (an enrolled subject, with the score), denied_unknown (no face
// data kept), expired_consent or, with anti-spoofing on (Options.MinLive),
// denied_not_live (a photo or a screen held up to the camera: never
// identified). Each confirmed track is identified once it
// has enough good frames: the templates of its best frames (face at least
// MinFace pixels tall, ranked by quality) are fused into one probe, the mean of
// the normalised templates, and decided open-set by a Matcher (the gallery's
// FPIR decision for the camera's collection); a grant may come early, from
// the frames seen so far, as soon as they match. A decided track is checked
// again only when its face changes (a sampled template drifts away from the
// one it was granted with) or, when not granted, after Recheck. Each outcome
// is reported at most once per track.
//
// Unknown faces leave no trace: a track's templates are zeroed and dropped
// as soon as it is decided; only a granted track keeps its fused template
// (an enrolled subject's, in memory) to notice drift, until the track ends.
//
// The gate computes nothing itself: the caller detects and tracks, asks
// Wants whether a face's template would be used, computes only those, and
// passes them to Update. A typical loop:
//
//	res := tracker.Update(dets)
//	var faces []gate.Face
//	for _, t := range res.Tracks {
//		if t.ID == 0 || t.Det < 0 {
//			continue
//		}
//		f := gate.Face{Track: t.ID, Box: t.Box, Quality: t.Best.Quality}
//		if g.Wants(t.ID, t.Box, f.Quality, now) {
//			f.Template, _ = engine.Embed(ctx, img, dets[t.Det].Detection)
//		}
//		faces = append(faces, f)
//	}
//	decisions, err := g.Update(ctx, gate.Frame{Time: now, Faces: faces, Ended: endedIDs})
//
// A Gate serves one camera and is not safe for concurrent use.
package gate

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mienhq/mien/face"
)

// Outcome is what a decision says.
type Outcome uint8

// Outcomes.
const (
	Granted        Outcome = iota + 1 // an enrolled subject whose consent is live
	DeniedUnknown                     // nobody enrolled: no subject, no face data kept
	ExpiredConsent                    // an enrolled subject whose consent has expired
	DeniedNotLive                     // the face looked like a photo or a screen (Options.MinLive); not identified
)

var outcomeNames = [...]string{"", "granted", "denied_unknown", "expired_consent", "denied_not_live"}

func (o Outcome) String() string {
	if int(o) < len(outcomeNames) && o != 0 {
		return outcomeNames[o]
	}
	return fmt.Sprintf("outcome(%d)", o)
}

// MarshalText writes the outcome's name.
func (o Outcome) MarshalText() ([]byte, error) {
	if o == 0 || int(o) >= len(outcomeNames) {
		return nil, fmt.Errorf("gate: no such outcome %d", o)
	}
	return []byte(o.String()), nil
}

// UnmarshalText reads an outcome's name.
func (o *Outcome) UnmarshalText(b []byte) error {
	for i, n := range outcomeNames {
		if i > 0 && n == string(b) {
			*o = Outcome(i)
			return nil
		}
	}
	return fmt.Errorf("gate: no such outcome %q", b)
}

// Match is a Matcher's answer for one probe.
type Match struct {
	Outcome Outcome
	// SubjectID is the subject granted, or whose consent expired; empty for
	// DeniedUnknown.
	SubjectID string
	// Score is the probe's score for SubjectID (0 for DeniedUnknown).
	Score float32
}

// Matcher decides one fused probe open-set: the gallery's identification
// for the camera's collection at its false-positive identification rate
// (internal/gallery's Gallery.GateMatcher). It must not keep the probe.
type Matcher interface {
	Identify(ctx context.Context, probe face.Embedding) (Match, error)
}

// Options tune a Gate. Zero values take the defaults noted.
type Options struct {
	// Camera names the camera in every decision.
	Camera string
	// Frames is how many templates, of the track's best frames, are fused
	// into one probe (default 3; docs/benchmarks.md "Camera gate").
	Frames int
	// EarlyFrames: from this many frames on, each new frame kept fuses the
	// best Frames the track has and looks; a grant is final at once,
	// anything else waits for better frames until MaxWait (default 1;
	// negative: no early looks, decide at Frames). Only a grant is ever
	// decided early.
	EarlyFrames int
	// MinFace is the least face size, in pixels, for a frame to count: the
	// longer side of the box, i.e. the height of an upright face, as face
	// sizes are usually given (default 64: on the gate clips, 80 left one
	// enrolled walker of 12 ungranted within a second of their face crop
	// reaching 80 px, his detected box being 0.77 of the crop; 64 granted
	// all 12 and no stranger; docs/benchmarks.md).
	MinFace float32
	// MinQuality is the least quality (0..1, the caller's) for a frame to
	// count (default 0: any).
	MinQuality float32
	// MaxWait: a track that has had good frames for this long and was not
	// granted early is decided from the best Frames it has (or fewer): with
	// early looks, a stranger is denied MaxWait after their face first
	// became good enough; without (EarlyFrames < 0), a track is decided as
	// soon as it has Frames frames, or at MaxWait with fewer (default 1 s).
	MaxWait time.Duration
	// Recheck: a track denied or refused for expired consent is identified
	// again from fresh frames after this long (default 2 s; negative: never).
	// A new decision is reported only if its outcome differs.
	Recheck time.Duration
	// DriftEvery is how often a granted track's face is sampled to notice
	// that it changed (default 1 s; negative: never).
	DriftEvery time.Duration
	// DriftCosine: a sample whose cosine to the template the track was
	// granted with falls below this starts a new identification (default 0.4).
	DriftCosine float32
	// Idle: a track not seen for this long is forgotten even if the caller
	// never reported its end (default 30 s).
	Idle time.Duration
	// MinLive turns anti-spoofing on: a track is identified only when the
	// median passive liveness score (Face.Live) of the frames it would fuse
	// is at least MinLive; below it the track is denied_not_live without
	// being identified (an early look just waits for better frames). Use the
	// engine's calibrated threshold (mien.Engine.LivenessThreshold). An
	// early grant then waits for Frames frames (a single frame is weak
	// evidence); at MaxWait the frames the track has decide. 0: off.
	MinLive float32
}

func (o Options) withDefaults() (Options, error) {
	if o.Frames == 0 {
		o.Frames = 3
	}
	if o.MinFace == 0 {
		o.MinFace = 64
	}
	if o.EarlyFrames == 0 {
		o.EarlyFrames = 1
	}
	dur := func(d *time.Duration, def time.Duration) {
		if *d == 0 {
			*d = def
		}
	}
	dur(&o.MaxWait, time.Second)
	dur(&o.Recheck, 2*time.Second)
	dur(&o.DriftEvery, time.Second)
	dur(&o.Idle, 30*time.Second)
	if o.DriftCosine == 0 {
		o.DriftCosine = 0.4
	}
	switch {
	case o.Frames < 1 || o.Frames > 32:
		return o, fmt.Errorf("gate: frames %d must be between 1 and 32", o.Frames)
	case o.MinFace < 0 || o.MinQuality < 0 || o.MinQuality > 1:
		return o, fmt.Errorf("gate: min face %g must be >= 0 and min quality %g in [0, 1]", o.MinFace, o.MinQuality)
	case o.MaxWait < 0 || o.Idle < 0:
		return o, errors.New("gate: max wait and idle must not be negative")
	case o.DriftCosine < -1 || o.DriftCosine > 1:
		return o, fmt.Errorf("gate: drift cosine %g must be in [-1, 1]", o.DriftCosine)
	case o.MinLive < 0 || o.MinLive > 1:
		return o, fmt.Errorf("gate: min live %g must be in [0, 1]", o.MinLive)
	}
	return o, nil
}

// Face is one confirmed track's face in a frame.
type Face struct {
	Track   uint64    // the tracker's id, > 0
	Box     face.Rect // in frame pixels
	Quality float32   // 0..1 from the caller (sharpness, pose, detector score)
	// Template is the face's template, computed only where Wants said so;
	// a zero Embedding otherwise. The gate copies it.
	Template face.Embedding
	// Live is the face's passive liveness score (0..1: the anti-spoof
	// ensemble's live probability), computed with Template when
	// Options.MinLive is set; a frame the models cannot judge (no colour,
	// compressed too hard) counts as 0.
	Live float32
}

// Frame is one analysed frame of the camera.
type Frame struct {
	// Time is the frame's time: wall clock for a live camera, the position
	// in a file for offline analysis. It must not go backwards.
	Time  time.Time
	Faces []Face
	// Ended lists tracks that ended in this frame: a track still waiting
	// is decided with the frames it has, then forgotten.
	Ended []uint64
}

// Decision is one event of the gate.
type Decision struct {
	Outcome   Outcome `json:"event"`
	Camera    string  `json:"camera"`
	Track     uint64  `json:"track"`
	SubjectID string  `json:"subject_id,omitempty"`
	Score     float32 `json:"score,omitempty"`
	// Live is the median passive liveness score of the frames decided on,
	// with anti-spoofing on (Options.MinLive); 0 otherwise.
	Live   float32   `json:"live,omitempty"`
	Frames int       `json:"frames"` // templates fused
	Time   time.Time `json:"time"`
}
