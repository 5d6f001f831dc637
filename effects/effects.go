// Package effects renders face effects over a video frame and the face's
// dense mesh: stickers anchored to mesh points (glasses, hat, mask), an
// expression puppet (a still portrait driven by the live mesh through a
// piecewise-affine triangle warp), and beautification with strength
// controls (edge-preserving skin smoothing masked to the skin, face slimming
// and eye enlarging as local warps, a tone lift).
//
// It is a stage of values in and values out: frames are face.Image values,
// the mesh is a Face (468 points in MediaPipe's order, with the head pose),
// and stickers and portraits are given as bytes or decoded images. It
// never reads the environment or a path, is pure Go, computes no template
// and involves no identity. No effect changes a face's apparent ethnicity or
// sex, and none is offered as such: the tone lift is one brightness and
// contrast curve applied to every pixel of the frame, whatever its hue, and
// it scales the three channels of a pixel by the same factor, so hue and
// saturation are kept.
package effects

import (
	"errors"
	"fmt"

	"github.com/mienhq/mien/face"
)

// NumPoints is the number of mesh points a Face carries (MediaPipe FaceMesh).
const NumPoints = 468

// Face is one face's mesh as the effects use it, in image pixels. Callers
// with a mesh.Frame convert it with mien.EffectsFace.
type Face struct {
	// Points are the 468 mesh points in MediaPipe's order.
	Points []face.Point
	// Iris holds the iris centres (image-left eye first) when HasIris.
	Iris    [2]face.Point
	HasIris bool
	// Yaw, Pitch and Roll are the head pose in degrees (mesh.Pose), carried
	// for callers; the effects take roll and foreshortening from the
	// points themselves.
	Yaw, Pitch, Roll float32
	// MouthOpen is the inner-lip gap over the mouth width (mesh.Signals).
	MouthOpen float32
}

// Params choose the effects of one Render call. The zero value renders
// the frame unchanged. Strengths run from 0 (off) to 1 (strongest); values
// outside are clamped.
type Params struct {
	// Sticker is drawn over the face (nil: none); see Builtin and DecodeSticker.
	Sticker *Sticker
	// Beautify is the skin-smoothing strength: an edge-preserving filter
	// masked to the skin, eyes, brows and lips kept sharp.
	Beautify float64
	// Slim pulls the jaw and cheeks towards the face's centre line.
	Slim float64
	// EyeEnlarge magnifies each eye about its centre.
	EyeEnlarge float64
	// ToneLift brightens with one gentle curve applied to the whole frame.
	ToneLift float64
	// Puppet, when set, replaces the frame by its portrait driven by the
	// face's expression; dst must then be the portrait's size
	// (Puppet.Size), and the other effects apply to the driven portrait.
	Puppet *Puppet
}

// ErrNoFace is returned by calls that need a face in an image and found none
// (a portrait for the puppet).
var ErrNoFace = errors.New("effects: no face")

// Valid checks that f carries a full mesh of finite points.
func (f *Face) Valid() error {
	if f == nil {
		return fmt.Errorf("effects: no face")
	}
	if len(f.Points) != NumPoints {
		return fmt.Errorf("effects: face has %d mesh points, want %d", len(f.Points), NumPoints)
	}
	for i, p := range f.Points {
		if p.X != p.X || p.Y != p.Y || p.X > 1e6 || p.X < -1e6 || p.Y > 1e6 || p.Y < -1e6 {
			return fmt.Errorf("effects: mesh point %d is not finite", i)
		}
	}
	return nil
}

func clamp01(v float64) float64 {
	if !(v > 0) {
		return 0
	}
	if v > 1 {
		return 1
	}
	return v
}
