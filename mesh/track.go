package mesh

import (
	"context"
	"fmt"
	"math"
	"time"

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
	// Timing is the time each stage took on this frame.
	Timing Timing `json:"-"`
}

// Timing is the wall time of each stage of one tracked frame.
type Timing struct {
	Crop time.Duration // the mesh crop: rotated resample to 192x192 and tensor packing
	Mesh time.Duration // the mesh model (ONNX Runtime), twice on a track's first frame
	Iris time.Duration // both eyes: crops and the iris model
	Pose time.Duration // smoothing, head pose and signals
	// Detect is the detector's time on a frame where the track was lost
	// (Pipeline and Engine.TrackMesh only).
	Detect time.Duration
}

// Tracker follows one face across frames: each frame's region comes from
// the last mesh, and a detection is needed only when the face is lost.
// It owns its buffers and is not safe for concurrent use; a Pipeline runs
// its two halves (mesh; iris, pose and signals) on two goroutines.
type Tracker struct {
	model   *Model
	opts    TrackOptions
	scr     Scratch
	roi     ROI  // stage 1 (mesh) state
	has     bool // roi is valid
	fromDet bool
	restart bool      // a Reset that stage 2 has not seen yet
	pose    *Pose     // stage 2 (iris, pose, signals) state
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

// Reset starts a new track from a detected face; the smoothing and the
// pose start again on the next frame.
func (t *Tracker) Reset(d face.Detection) {
	t.roi, t.has, t.fromDet, t.restart = FromDetection(d, t.model.Scale), true, true, true
}

// Step computes the mesh of the next frame at time ts (seconds). ok is false
// when the face was lost (or no track was started): call Reset with a new
// detection.
func (t *Tracker) Step(ctx context.Context, img *face.Image, ts float64) (f Frame, ok bool, err error) {
	h, err := t.stepMesh(ctx, img)
	if err != nil {
		return h.frame, false, err
	}
	return t.finish(ctx, img, ts, h)
}

// half is the mesh half of a frame, handed from stepMesh to finish.
type half struct {
	frame   Frame
	ok      bool // the face is there
	restart bool // a new track: forget the smoothing and the last pose
}

// stepMesh is the first half of Step: the mesh model in the region of the
// last mesh, and the region for the next frame. It touches only the mesh
// half's state, so it may run on frame N+1 while finish runs on frame N.
func (t *Tracker) stepMesh(ctx context.Context, img *face.Image) (h half, err error) {
	if !t.has {
		return h, nil
	}
	h.restart, t.restart = t.restart, false
	f := &h.frame
	var crop time.Duration
	start := time.Now()
	f.Mesh, crop, err = t.model.locateMesh(ctx, img, t.roi, &t.scr)
	if err != nil {
		return h, err
	}
	if t.fromDet && f.Mesh.Presence >= t.opts.MinPresence {
		// A detector's box is not the region the mesh was trained on: mesh
		// the frame again from its own region so that the first frame of a
		// track agrees with the ones that follow.
		t.roi = regionOf(&f.Mesh, t.model.Scale)
		var c2 time.Duration
		if f.Mesh, c2, err = t.model.locateMesh(ctx, img, t.roi, &t.scr); err != nil {
			return h, err
		}
		crop += c2
	}
	f.Timing.Crop, f.Timing.Mesh = crop, time.Since(start)-crop
	f.Redetected, t.fromDet = t.fromDet, false
	if f.Mesh.Presence < t.opts.MinPresence {
		t.has = false
		return h, nil
	}
	t.roi = t.follow(t.roi, regionOf(&f.Mesh, t.model.Scale))
	h.ok = true
	return h, nil
}

// finish is the second half of Step: iris refinement, smoothing, pose and
// signals. It touches only the second half's state.
func (t *Tracker) finish(ctx context.Context, img *face.Image, ts float64, h half) (Frame, bool, error) {
	f := h.frame
	if h.restart {
		t.pose = nil
		for i := range t.pts {
			t.pts[i].Reset()
		}
	}
	if !h.ok {
		t.pose = nil
		return f, false, nil
	}
	start := time.Now()
	if err := t.model.refine(ctx, img, &f.Mesh, &t.scr); err != nil {
		return f, false, err
	}
	mid := time.Now()
	f.Timing.Iris = mid.Sub(start)
	if t.opts.Smooth {
		t.smoothPoints(&f.Mesh, ts)
	}
	var err error
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
	f.Timing.Pose = time.Since(mid)
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
