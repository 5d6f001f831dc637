package mesh

import (
	"context"
	"fmt"
	"math"

	"github.com/mienhq/mien/face"
)

// TrackOptions configure a Tracker.
type TrackOptions struct {
	// MinPresence is the face-presence probability under which the track
	// is lost (0 = 0.5).
	MinPresence float32
	// Focal is the camera's focal length in pixels for the pose (0 = the
	// image's longer side, about a 53-degree field of view).
	Focal float32
	// Smooth turns on One-Euro smoothing of the points and the pose.
	Smooth bool
	// MinCutoff (Hz) and Beta tune the smoothing (0 = 1.0 and 0.01).
	MinCutoff, Beta float64
	// RegionDeadBand is how far (a fraction of the region's size) the face
	// must move before the crop follows it (0 = 0.02; negative: always follow).
	RegionDeadBand float32
}

// Frame is the tracker's output for one video frame.
type Frame struct {
	Mesh    Mesh    `json:"mesh"`
	Pose    Pose    `json:"pose"`
	Signals Signals `json:"signals"`
	// Redetected says the region came from a detection, not the last mesh.
	Redetected bool `json:"redetected"`
}

// Tracker follows one face across frames: each frame's region comes from
// the last mesh, and a detection is needed only when the face is lost.
// It owns its buffers and is not safe for concurrent use.
type Tracker struct {
	model   *Model
	opts    TrackOptions
	scr     Scratch
	roi     ROI
	has     bool // roi is valid
	fromDet bool
	pose    *Pose
	pts     []OneEuro // x and y of every mesh point, then yaw, pitch, roll
}

// NewTracker returns a tracker with no face: call Reset with a detection.
func NewTracker(m *Model, opts TrackOptions) *Tracker {
	if opts.MinPresence <= 0 {
		opts.MinPresence = 0.5
	}
	if opts.MinCutoff <= 0 {
		opts.MinCutoff = 1.0
	}
	if opts.Beta <= 0 {
		opts.Beta = 0.01
	}
	t := &Tracker{model: m, opts: opts, pts: make([]OneEuro, 2*NumPoints+3)}
	for i := range t.pts {
		t.pts[i] = NewOneEuro(opts.MinCutoff, opts.Beta)
	}
	return t
}

// Lost reports whether the tracker needs a detection (Reset) before Step.
func (t *Tracker) Lost() bool { return !t.has }

// Reset starts a new track from a detected face and forgets the smoothing.
func (t *Tracker) Reset(d face.Detection) {
	t.roi, t.has, t.fromDet, t.pose = FromDetection(d, t.model.Scale), true, true, nil
	for i := range t.pts {
		t.pts[i].Reset()
	}
}

// Step computes the mesh of the next frame at time ts (seconds). ok is false
// when the face was lost (or no track was started): call Reset with a new
// detection.
func (t *Tracker) Step(ctx context.Context, img *face.Image, ts float64) (f Frame, ok bool, err error) {
	if !t.has {
		return f, false, nil
	}
	f.Mesh, err = t.model.Locate(ctx, img, t.roi, &t.scr)
	if err != nil {
		return f, false, err
	}
	if t.fromDet && f.Mesh.Presence >= t.opts.MinPresence {
		// A detector's box is not the region the mesh was trained on: mesh
		// the frame again from its own region so that the first frame of a
		// track agrees with the ones that follow.
		t.roi = regionOf(&f.Mesh, t.model.Scale)
		if f.Mesh, err = t.model.Locate(ctx, img, t.roi, &t.scr); err != nil {
			return f, false, err
		}
	}
	f.Redetected, t.fromDet = t.fromDet, false
	if f.Mesh.Presence < t.opts.MinPresence {
		t.has, t.pose = false, nil
		return f, false, nil
	}
	t.roi = t.follow(t.roi, regionOf(&f.Mesh, t.model.Scale))
	if t.opts.Smooth {
		t.smoothPoints(&f.Mesh, ts)
	}
	if f.Pose, err = SolvePose(&f.Mesh, img.W, img.H, t.opts.Focal, t.pose); err != nil {
		t.pose = nil
		return f, true, fmt.Errorf("mesh: %w", err)
	}
	t.pose = &f.Pose
	if t.opts.Smooth {
		n := 2 * NumPoints
		f.Pose.Yaw = float32(t.pts[n].Filter(float64(f.Pose.Yaw), ts))
		f.Pose.Pitch = float32(t.pts[n+1].Filter(float64(f.Pose.Pitch), ts))
		f.Pose.Roll = float32(t.pts[n+2].Filter(float64(f.Pose.Roll), ts))
	}
	f.Signals = Measure(&f.Mesh)
	return f, true, nil
}

// smoothPoints filters the mesh points and moves the eyes' points by their
// eye corners' smoothing shift, so iris and mesh stay together.
func (t *Tracker) smoothPoints(m *Mesh, ts float64) {
	var before [2]face.Point
	for e := range before {
		before[e] = m.Points[eyeCorners[e][0]].XY().Add(m.Points[eyeCorners[e][1]].XY()).Mul(0.5)
	}
	for i := range m.Points {
		m.Points[i].X = float32(t.pts[2*i].Filter(float64(m.Points[i].X), ts))
		m.Points[i].Y = float32(t.pts[2*i+1].Filter(float64(m.Points[i].Y), ts))
	}
	if !m.HasIris {
		return
	}
	for e := range m.Eyes {
		after := m.Points[eyeCorners[e][0]].XY().Add(m.Points[eyeCorners[e][1]].XY()).Mul(0.5)
		d := after.Sub(before[e])
		for i := range m.Eyes[e].Contour {
			m.Eyes[e].Contour[i].X += d.X
			m.Eyes[e].Contour[i].Y += d.Y
		}
		for i := range m.Eyes[e].Iris {
			m.Eyes[e].Iris[i].X += d.X
			m.Eyes[e].Iris[i].Y += d.Y
		}
	}
}

// regionOf is the mesh region of a mesh: its bounding box in the frame of
// its eye line, squared and scaled.
func regionOf(m *Mesh, scale float32) ROI {
	var xy [NumPoints]face.Point
	for i, p := range m.Points {
		xy[i] = p.XY()
	}
	angle := eyeROI(xy[eyeOuterL], xy[eyeOuterR], 1).Angle
	return fromPoints(xy[:], angle, scale)
}

// follow moves the region only when the face has moved by more than a
// small dead band (RegionDeadBand of the region's size, or 2 degrees), so
// that the crop does not chase the mesh's own noise.
func (t *Tracker) follow(cur, next ROI) ROI {
	band := t.opts.RegionDeadBand
	if band == 0 {
		band = 0.02
	}
	if band < 0 {
		return next
	}
	moved := cur.Center.Dist(next.Center) > band*cur.Size ||
		math.Abs(float64(next.Size-cur.Size)) > float64(2*band*cur.Size) ||
		math.Abs(float64(next.Angle-cur.Angle)) > 2*math.Pi/180
	if moved {
		return next
	}
	return cur
}
