package mien

import (
	"context"
	"fmt"

	"github.com/mienhq/mien/detect"
	"github.com/mienhq/mien/driver"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/mesh"
	"github.com/mienhq/mien/models"
)

// OpenMesh opens the pack's face mesh model, with iris refinement when the
// pack has an iris model. The caller closes the model. The mesh is geometry
// only: it computes no template and involves no identity.
func (e *Engine) OpenMesh(opts mesh.Options) (*mesh.Model, error) {
	mm, ok := e.pack.Model(models.RoleMesh)
	if !ok {
		return nil, fmt.Errorf("mien: pack %s has no face mesh model", e.pack.Manifest.Name)
	}
	mb, err := e.pack.Read(mm)
	if err != nil {
		return nil, fmt.Errorf("mien: %w", err)
	}
	var ib []byte
	im, ok := e.pack.Model(models.RoleIris)
	if ok {
		if ib, err = e.pack.Read(im); err != nil {
			return nil, fmt.Errorf("mien: %w", err)
		}
	}
	m, err := mesh.New(mb, mm, ib, im, opts)
	if err != nil {
		return nil, fmt.Errorf("mien: %w", err)
	}
	return m, nil
}

// TrackMesh advances a mesh tracker by one video frame at time ts (seconds).
// The region comes from the previous frame's mesh; the engine's detector
// runs only when the track is lost, and then the largest face is taken.
// ok is false when the frame has no face to mesh.
func (e *Engine) TrackMesh(ctx context.Context, t *mesh.Tracker, img *face.Image, ts float64) (f mesh.Frame, ok bool, err error) {
	return t.Follow(ctx, img, ts, e.MeshDetector())
}

// DriverSample turns a tracked frame into the driver monitor's input; ok
// false (no face) gives a sample with Face unset.
func DriverSample(f mesh.Frame, ok bool, ts float64) driver.Sample {
	if !ok {
		return driver.Sample{T: ts}
	}
	return driver.Sample{
		T: ts, Face: true, EyeOpen: f.Signals.EyeOpen, MouthOpen: f.Signals.MouthOpen,
		Yaw: f.Pose.Yaw, Pitch: f.Pose.Pitch, GazeX: f.Signals.Gaze.X, GazeY: f.Signals.Gaze.Y,
	}
}

// MeshDetector is the detector a mesh.Pipeline re-detects with on loss:
// the engine's detector, largest face.
func (e *Engine) MeshDetector() mesh.Detector {
	return func(ctx context.Context, img *face.Image) (face.Detection, bool, error) {
		dets, err := e.Detect(ctx, img, detect.Options{MaxFaces: 1})
		if err != nil || len(dets) == 0 {
			return face.Detection{}, false, err
		}
		return dets[0], true, nil
	}
}

// RecognizerRuns is how many times the recognizer has run (templates
// computed) since Open. The mesh, driver and effects paths never run it.
func (e *Engine) RecognizerRuns() uint64 { return e.embedder.Runs() }
