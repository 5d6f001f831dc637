// Package track links face detections across the frames of one camera into
// tracks, ByteTrack style: a constant-velocity alpha-beta filter predicts
// each track's box, high-score detections are matched to the predictions by
// IoU first, low-score ones then rescue tracks the first pass missed, and
// only detections confident enough start new tracks. Each track keeps a
// lifecycle (tentative, confirmed, lost, ended) and its best shot.
//
// A Tracker serves one camera: track ids are numbered per Tracker and are
// never linked across cameras.
package track

import (
	"errors"
	"fmt"

	"github.com/mienhq/mien/face"
)

// Options tune a Tracker. Zero values take the defaults noted.
type Options struct {
	// HighScore splits detections: at or above it they are matched first and
	// may start tracks (default 0.6).
	HighScore float32
	// LowScore is the floor: detections below it are ignored; those between
	// LowScore and HighScore only extend tracks already seen (default 0.1).
	LowScore float32
	// MatchIoU is the least IoU between a prediction and a high-score
	// detection to match them (default 0.2).
	MatchIoU float32
	// LowMatchIoU is the least IoU for a low-score detection (default 0.5).
	LowMatchIoU float32
	// Buffer widens both boxes by this fraction of their size on every side
	// before the IoU of the high-score passes (C-BIoU's buffered IoU; default
	// 0.3, negative for none), so a face that moves more than its own width
	// between frames, as at 5 fps, still matches. Low-score detections are
	// matched on plain IoU.
	Buffer float32
	// TentativeBuffer is Buffer for matching tentative tracks, which have no
	// velocity yet (default 1: boxes three times their size), so a small
	// face moving more than its width per frame, as at 5 fps, still starts
	// a track; its second match sets the velocity from the displacement.
	TentativeBuffer float32
	// ConfirmHits is how many consecutive matched frames confirm a track and
	// give it an id (default 3).
	ConfirmHits int
	// MaxLost is how many frames a confirmed track may go unmatched, coasting
	// on its prediction, before it ends (default 30).
	MaxLost int
	// Bounds is the frame; when set, a lost track whose predicted centre has
	// left it ends at once instead of coasting (the person walked out).
	Bounds face.Rect
	// Alpha and Beta are the filter's gains for position and velocity
	// (defaults 0.6 and 0.3). Beta < 0 turns motion prediction off (a track
	// is predicted where it was last seen), for comparison.
	Alpha, Beta float32
	// ShotSide is the face size (shorter box side, pixels) beyond which a
	// bigger face no longer makes a better shot (default 112, the aligned crop).
	ShotSide float32
}

func (o Options) withDefaults() (Options, error) {
	def := func(v *float32, d float32) {
		if *v == 0 {
			*v = d
		}
	}
	def(&o.HighScore, 0.6)
	def(&o.LowScore, 0.1)
	def(&o.MatchIoU, 0.2)
	def(&o.LowMatchIoU, 0.5)
	def(&o.Alpha, 0.6)
	def(&o.Beta, 0.3)
	def(&o.ShotSide, 112)
	def(&o.Buffer, 0.3)
	def(&o.TentativeBuffer, 1)
	if o.ConfirmHits <= 0 {
		o.ConfirmHits = 3
	}
	if o.MaxLost <= 0 {
		o.MaxLost = 30
	}
	switch {
	case o.LowScore < 0 || o.LowScore > o.HighScore || o.HighScore > 1:
		return o, fmt.Errorf("track: scores must satisfy 0 <= low %g <= high %g <= 1", o.LowScore, o.HighScore)
	case o.MatchIoU <= 0 || o.MatchIoU > 1 || o.LowMatchIoU <= 0 || o.LowMatchIoU > 1:
		return o, errors.New("track: match IoU thresholds must be in (0, 1]")
	case o.Buffer > 2 || o.TentativeBuffer > 2:
		return o, fmt.Errorf("track: buffers %g and %g must be at most 2", o.Buffer, o.TentativeBuffer)
	case o.Alpha <= 0 || o.Alpha > 1 || o.Beta > 1:
		return o, fmt.Errorf("track: filter gains alpha %g, beta %g are outside (0, 1]", o.Alpha, o.Beta)
	}
	return o, nil
}

// Detection is one face in a frame, with an optional quality from the caller.
type Detection struct {
	face.Detection
	// Quality in [0, 1] from the caller (sharpness, pose, ...); 0 means
	// unknown, and the detector's score stands in for it.
	Quality float32
}

// State is where a track is in its lifecycle.
type State uint8

// Track states.
const (
	Tentative State = iota // seen, not yet ConfirmHits frames in a row; no id
	Confirmed              // matched in this frame
	Lost                   // confirmed, unmatched for 1..MaxLost frames
	Ended                  // lost too long, or flushed
)

func (s State) String() string {
	return [...]string{"tentative", "confirmed", "lost", "ended"}[s]
}

// Shot is a track's best frame so far.
type Shot struct {
	Frame   uint64    `json:"frame"`
	Box     face.Rect `json:"box"`
	Score   float32   `json:"score"`   // detector score
	Quality float32   `json:"quality"` // the value shots are ranked by
}

// Track is a snapshot of one track after an Update.
type Track struct {
	ID       uint64     `json:"id"` // 0 while tentative; 1, 2, ... per Tracker once confirmed
	State    State      `json:"state"`
	Box      face.Rect  `json:"box"`      // the matched box, or the prediction while lost
	Velocity face.Point `json:"velocity"` // centre motion, pixels per frame
	Hits     int        `json:"hits"`     // frames matched
	Lost     int        `json:"lost"`     // consecutive frames unmatched
	First    uint64     `json:"first"`    // frame of the first match
	Last     uint64     `json:"last"`     // frame of the last match
	// Det is the index, in this frame's detections, of the one matched to
	// the track; -1 when unmatched.
	Det  int  `json:"det"`
	Best Shot `json:"best"`
	// BestImproved says this frame's detection became the best shot: the
	// moment to keep its crop, if the caller keeps one.
	BestImproved bool `json:"best_improved"`
}
