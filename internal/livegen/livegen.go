// Package livegen makes the challenge-session evaluation sequences of
// `mien eval liveness-sessions` from real photos: bona fide sessions built
// from photos of one LFW person at the poses, eye and mouth states the
// challenges ask for, and attack sessions (a still photo, a photo moved or
// tilted as a plane, prints of the right photos flipped in front of the
// camera, a replayed pass, another person switched in, frames after the
// deadline), each with its ground truth (Truth) beside the frames.
//
// It renders frames only; choosing photos needs their measurements
// (Photo), which the generator program (scripts/livegen) makes with the
// engine. Nothing here touches models, files or the clock.
package livegen

import (
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/liveness/challenge"
	"github.com/mienhq/mien/raster"
)

// Side is the side of the square frames (LFW's 250x250 photos scaled up,
// so the face is about 200 px wide, as in a webcam frame).
const Side = 480

// FPS is the frame rate of every sequence.
const FPS = 10

// Photo is one source photo and what the mesh measured on it (at Side x
// Side): absolute head angles, each eye's openness, the mouth opening.
type Photo struct {
	Person  string     `json:"person"`
	File    string     `json:"file"` // path relative to the LFW image directory
	Mirror  bool       `json:"mirror,omitempty"`
	Yaw     float32    `json:"yaw"`
	Pitch   float32    `json:"pitch"`
	EyeOpen [2]float32 `json:"eye_open"`
	Mouth   float32    `json:"mouth"`
	// Closed, when set, makes this a synthetic blink: the photo with its
	// eyelids closed by CloseEyes along these eye contours (canvas pixels).
	Closed *[2][16]face.Point `json:"closed_eyes,omitempty"`
	// Shift moves the photo on its canvas (pixels) so that the face sits
	// where the rest photo's does: a subject turns the head in place, while
	// LFW's photos place a turned face differently.
	Shift [2]float32 `json:"shift,omitempty"`
	// Warp, when set, makes this a frame of the synthetic head (BonaFideWarp)
	// in this state, rendered from the person's rest photo.
	Warp *Head `json:"warp,omitempty"`
}

// Mirrored is the photo flipped left to right: the head turns the other way.
func (p Photo) Mirrored() Photo {
	p.Mirror = !p.Mirror
	p.Yaw = -p.Yaw
	p.EyeOpen[0], p.EyeOpen[1] = p.EyeOpen[1], p.EyeOpen[0]
	return p
}

// Truth is the ground truth written beside each sequence (truth.json).
type Truth struct {
	// Name is the sequence's directory name.
	Name string `json:"name"`
	// Species is "bona_fide" or the attack kind.
	Species string `json:"species"`
	// Live is the expected verdict.
	Live bool `json:"live"`
	// Challenges are the session's asked actions, Nonce its nonce.
	Challenges []challenge.Kind `json:"challenges"`
	Nonce      string           `json:"nonce"`
	// DeadlineMS is the deadline in milliseconds after the session's creation.
	DeadlineMS int64 `json:"deadline_ms"`
	// Frames lists the frame files with their times (ms after creation) and what each shows.
	Frames []FrameTruth `json:"frames"`
	// Performed are the actions the frames perform, in order (for a replay,
	// another session's).
	Performed []challenge.Kind `json:"performed"`
	// Persons are the people shown; Note says how the sequence was made.
	Persons []string `json:"persons"`
	Note    string   `json:"note"`
	// Reencode, when set, are the ffmpeg arguments each frame (written as
	// JPEG at Quality) was then re-encoded with.
	Reencode []string `json:"reencode,omitempty"`
}

// FrameTruth is one frame of a sequence.
type FrameTruth struct {
	File string `json:"file"`
	MS   int64  `json:"ms"`
	// Source is the photo shown ("LFW path", with " (mirrored)").
	Source string `json:"source"`
	// Shows is the state: "rest" or an action.
	Shows string `json:"shows"`
	// Applied is the synthetic head's pose as applied to its mesh (yaw,
	// pitch in degrees, jaw 0..1, blink 0..1), for BonaFideWarp and the
	// attacks replaying it; empty for photos.
	Applied []float64 `json:"applied,omitempty"`
}

// Canvas scales an LFW photo up to Side x Side (bilinear), mirrored when asked.
func Canvas(src *face.Image, mirror bool) *face.Image {
	dst := face.NewImage(Side, Side)
	sx, sy := float32(src.W)/Side, float32(src.H)/Side
	m := raster.Affine{sx, 0, 0.5*sx - 0.5, 0, sy, 0.5*sy - 0.5}
	if mirror {
		m = raster.Affine{-sx, 0, float32(src.W) - 0.5 - 0.5*sx, 0, sy, 0.5*sy - 0.5}
	}
	raster.Warp(dst, src, m)
	return dst
}

// Shifted returns the canvas moved by (dx, dy) pixels (bilinear; uncovered
// edges black, like LFW's own borders).
func Shifted(c *face.Image, dx, dy float32) *face.Image {
	if dx == 0 && dy == 0 {
		return c
	}
	dst := face.NewImage(c.W, c.H)
	raster.Warp(dst, c, raster.Affine{1, 0, -dx, 0, 1, -dy})
	return dst
}
