// Package mesh is the dense face mesh stage: the MediaPipe 468-point face
// mesh with iris refinement (71 eye-contour and brow points and 5 iris points
// per eye), tracked across frames, with a head pose solved against a
// canonical face and per-frame expression signals. Values in, values out: it
// takes model bytes, manifest entries, images and boxes, and never reads the
// environment or a path. Nothing here computes a template or an identity.
package mesh

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/models"
	"github.com/mienhq/mien/onnx"
	"github.com/mienhq/mien/raster"
)

// Arch values this package implements (the manifest's arch field).
const (
	ArchMesh = "facemesh" // 192x192 RGB crop -> 468 x (x, y, z) in crop pixels + a face-presence logit
	ArchIris = "iris"     // 64x64 RGB eye crop -> 71 x (x, y, z) eye contour and brow + 5 x (x, y, z) iris
)

// Numbers of points.
const (
	NumPoints  = 468
	NumContour = 71
	NumIris    = 5
)

// Point3 is a mesh point: x and y in image pixels, z in pixels of the same
// scale, relative depth (smaller is nearer the camera).
type Point3 struct{ X, Y, Z float32 }

// XY drops the depth.
func (p Point3) XY() face.Point { return face.Point{X: p.X, Y: p.Y} }

// Eye is the iris model's output for one eye, in image coordinates.
// Contour[0] and Contour[8] are the eye corners, Contour[1..7] the lower
// lid and Contour[9..15] the upper lid; Iris[0] is the iris centre.
type Eye struct {
	Contour [NumContour]Point3 `json:"-"`
	Iris    [NumIris]Point3    `json:"iris"`
	ROI     ROI                `json:"roi"`
}

// Mesh is one face's mesh in image coordinates.
type Mesh struct {
	Points [NumPoints]Point3 `json:"-"`
	// Presence is the model's face-presence probability (0..1).
	Presence float32 `json:"presence"`
	// ROI is the crop the mesh was computed from.
	ROI ROI `json:"roi"`
	// Eyes are the image-left eye (mesh points 33..133) and the image-right
	// eye (362..263); zero when iris refinement is off.
	Eyes [2]Eye `json:"eyes"`
	// HasIris says whether Eyes holds iris-model output.
	HasIris bool `json:"has_iris"`
}

// Options configure a Model.
type Options struct {
	// Sessions is the number of ONNX sessions per model (0 = 1).
	Sessions int
	// Threads is ONNX Runtime's intra-op threads per session (0 = 1).
	Threads int
	// FastPRelu runs the models with their PRelu activations as depthwise
	// convolutions (onnx.PReluAsConv: the mesh's 23 and the iris model's
	// 53): 55-60% less CPU a frame, the points moved by float noise (up to
	// 6e-5 of the crop's side). Off by default: a tracker's crops follow
	// its own points, so the noise grows along a sequence, and on the
	// liveness dev sets it changed the reasons (not the verdicts) of a fifth
	// of the attack sessions (docs/benchmarks.md, "Liveness speed").
	FastPRelu bool
	// FastIris is FastPRelu for the iris model alone: its points give the
	// eye contours and the eye signals of the frame, and no track follows
	// them (the next crop comes from the face mesh's points), so its float
	// noise is not carried from frame to frame. The iris model is two thirds
	// of a tracked frame's model time (two eyes).
	FastIris bool
}

// Model runs the mesh model and, when given, the iris model. It is safe for
// concurrent use; a Scratch is not.
type Model struct {
	mesh, iris   *onnx.Pool
	meshFmt      raster.Format
	irisFmt      raster.Format
	meshN, irisN int
	// Scale is the mesh crop's side over the face box's longer side.
	Scale float32
	// EyeScale is the eye crop's side over the eye-corner distance.
	EyeScale float32
}

// New opens the mesh model (required) and the iris model (irisModel may be
// nil to skip iris refinement) and checks both against their manifests.
func New(meshModel []byte, mm models.Model, irisModel []byte, im models.Model, opts Options) (*Model, error) {
	if mm.Arch != ArchMesh {
		return nil, fmt.Errorf("mesh: manifest arch is %q, want %q", mm.Arch, ArchMesh)
	}
	m := &Model{Scale: 1.5, EyeScale: 2.3}
	if v, ok := mm.Params["crop_scale"]; ok && v > 0 {
		m.Scale = float32(v)
	}
	var err error
	m.mesh, m.meshFmt, m.meshN, err = open(meshModel, mm, []int64{1, 1404, 1, 1}, []int64{1, 1, 1, 1}, opts, opts.FastPRelu)
	if err != nil {
		return nil, err
	}
	if irisModel == nil {
		return m, nil
	}
	if im.Arch != ArchIris {
		m.Close()
		return nil, fmt.Errorf("mesh: iris manifest arch is %q, want %q", im.Arch, ArchIris)
	}
	if v, ok := im.Params["crop_scale"]; ok && v > 0 {
		m.EyeScale = float32(v)
	}
	m.iris, m.irisFmt, m.irisN, err = open(irisModel, im, []int64{1, 3 * NumContour}, []int64{1, 3 * NumIris}, opts, opts.FastPRelu || opts.FastIris)
	if err != nil {
		m.Close()
		return nil, err
	}
	return m, nil
}

func open(b []byte, m models.Model, out0, out1 []int64, opts Options, fast bool) (*onnx.Pool, raster.Format, int, error) {
	f := raster.Format{Layout: m.Pre.Layout, Channels: m.Pre.Channels, Mean: m.Pre.Mean, Std: m.Pre.Std}
	if len(m.Inputs) != 1 || len(m.Outputs) != 2 || m.Pre.Width != m.Pre.Height || m.Pre.Width <= 0 {
		return nil, f, 0, fmt.Errorf("mesh: manifest of %s must name 1 input, 2 outputs and a square input size", m.ID)
	}
	if err := f.Validate(); err != nil {
		return nil, f, 0, fmt.Errorf("mesh: %s: %w", m.ID, err)
	}
	if f.Layout != "NCHW" || f.Planes() != 3 {
		return nil, f, 0, fmt.Errorf("mesh: %s: want an NCHW colour input, manifest says %s %s", m.ID, f.Layout, f.Channels)
	}
	sig, err := onnx.Inspect(b)
	if err != nil {
		return nil, f, 0, fmt.Errorf("mesh: %s: %w", m.ID, err)
	}
	n := int64(m.Pre.Width)
	in := map[string][]int64{m.Inputs[0]: {1, 3, n, n}}
	if err := sig.Expect(in, map[string][]int64{m.Outputs[0]: out0, m.Outputs[1]: out1}); err != nil {
		return nil, f, 0, fmt.Errorf("mesh: %s: %w", m.ID, err)
	}
	// PRelu as two depthwise convolutions keeps the network in ONNX
	// Runtime's blocked layout (TestMeshPReluAsConv).
	if fast {
		if fast, _, err := onnx.PReluAsConv(b); err == nil {
			b = fast
		}
	}
	pool, err := onnx.NewPool(opts.Sessions, b, m.Inputs, m.Outputs, onnx.SessionOptions{IntraOpThreads: opts.Threads})
	if err != nil {
		return nil, f, 0, fmt.Errorf("mesh: %s: %w", m.ID, err)
	}
	return pool, f, m.Pre.Width, nil
}

// HasIris reports whether the iris model is loaded.
func (m *Model) HasIris() bool { return m.iris != nil }

// Scratch holds the buffers of one Locate call so that a caller running
// frame after frame allocates no pixels. It is not safe for concurrent use.
type Scratch struct {
	crop   *face.Image
	tensor []float32
	eye    [2]*face.Image
	eyeTn  [2][]float32
}

func (s *Scratch) ensureMesh(meshN int) {
	if s.crop == nil || s.crop.W != meshN {
		s.crop = face.NewImage(meshN, meshN)
		s.tensor = make([]float32, 3*meshN*meshN)
	}
}

func (s *Scratch) ensureEyes(irisN int) {
	for i := range s.eye {
		if s.eye[i] == nil || s.eye[i].W != irisN {
			s.eye[i] = face.NewImage(irisN, irisN)
			s.eyeTn[i] = make([]float32, 3*irisN*irisN)
		}
	}
}

// Locate computes the mesh of the face in roi (FromDetection for a detected
// face; Tracker does this frame after frame). scr may be nil.
func (m *Model) Locate(ctx context.Context, img *face.Image, roi ROI, scr *Scratch) (Mesh, error) {
	if scr == nil {
		scr = &Scratch{}
	}
	out, _, err := m.locateMesh(ctx, img, roi, scr)
	if err != nil || m.iris == nil {
		return out, err
	}
	return out, m.refine(ctx, img, &out, scr)
}

// locateMesh runs the mesh model alone and says how long the crop took.
func (m *Model) locateMesh(ctx context.Context, img *face.Image, roi ROI, scr *Scratch) (Mesh, time.Duration, error) {
	var out Mesh
	if err := img.Valid(); err != nil {
		return out, 0, fmt.Errorf("mesh: %w", err)
	}
	if !(roi.Size > 1) || math.IsInf(float64(roi.Size), 0) {
		return out, 0, fmt.Errorf("mesh: region size %g is not a usable crop", roi.Size)
	}
	start := time.Now()
	scr.ensureMesh(m.meshN)
	toImg := roi.toImage(m.meshN)
	raster.Warp(scr.crop, img, toImg)
	if err := raster.Pack(scr.tensor, scr.crop, m.meshN, m.meshN, m.meshFmt); err != nil {
		return out, 0, fmt.Errorf("mesh: %w", err)
	}
	crop := time.Since(start)
	n := int64(m.meshN)
	outs, err := m.mesh.Run(ctx, onnx.Tensor{Shape: []int64{1, 3, n, n}, Data: scr.tensor})
	if err != nil {
		return out, crop, fmt.Errorf("mesh: %w", err)
	}
	if len(outs) != 2 || len(outs[0].Data) != 3*NumPoints || len(outs[1].Data) != 1 {
		return out, crop, fmt.Errorf("mesh: model returned %d outputs of unexpected size", len(outs))
	}
	unmap(out.Points[:], outs[0].Data, toImg, roi.Size/float32(m.meshN))
	out.Presence = sigmoid(outs[1].Data[0])
	out.ROI = roi
	return out, crop, nil
}

// refine adds the iris model's eyes to a mesh (a no-op without the model).
func (m *Model) refine(ctx context.Context, img *face.Image, ms *Mesh, scr *Scratch) error {
	if m.iris == nil {
		return nil
	}
	scr.ensureEyes(m.irisN)
	if err := m.eyes(ctx, img, ms, scr); err != nil {
		return err
	}
	ms.HasIris = true
	return nil
}

// eyes runs the iris model on both eyes, at once when the model has two
// sessions or more (Options.Sessions), one after the other otherwise.
func (m *Model) eyes(ctx context.Context, img *face.Image, ms *Mesh, scr *Scratch) error {
	if m.iris.Size() < 2 {
		for i := range ms.Eyes {
			e, err := m.eye(ctx, img, ms, i, scr)
			if err != nil {
				return err
			}
			ms.Eyes[i] = e
		}
		return nil
	}
	var other Eye
	done := make(chan error, 1)
	go func() {
		var err error
		other, err = m.eye(ctx, img, ms, 1, scr)
		done <- err
	}()
	first, err := m.eye(ctx, img, ms, 0, scr)
	if err2 := <-done; err == nil {
		err = err2
	}
	ms.Eyes[0], ms.Eyes[1] = first, other
	return err
}

// Eye-corner mesh indices of the image-left and image-right eyes, in the
// order the iris model sees them (the image-right eye is mirrored).
var eyeCorners = [2][2]int{{33, 133}, {263, 362}}

func (m *Model) eye(ctx context.Context, img *face.Image, ms *Mesh, i int, scr *Scratch) (Eye, error) {
	var e Eye
	a, b := ms.Points[eyeCorners[i][0]].XY(), ms.Points[eyeCorners[i][1]].XY()
	if i == 1 {
		a, b = b, a // level the crop along image-left -> image-right
	}
	e.ROI = eyeROI(a, b, m.EyeScale)
	toImg := e.ROI.toImage(m.irisN)
	if i == 1 { // mirror: crop x' = n - x
		nf := float32(m.irisN)
		toImg = raster.Affine{-toImg[0], toImg[1], toImg[0]*nf + toImg[2], -toImg[3], toImg[4], toImg[3]*nf + toImg[5]}
	}
	raster.Warp(scr.eye[i], img, toImg)
	if err := raster.Pack(scr.eyeTn[i], scr.eye[i], m.irisN, m.irisN, m.irisFmt); err != nil {
		return e, fmt.Errorf("mesh: %w", err)
	}
	n := int64(m.irisN)
	outs, err := m.iris.Run(ctx, onnx.Tensor{Shape: []int64{1, 3, n, n}, Data: scr.eyeTn[i]})
	if err != nil {
		return e, fmt.Errorf("mesh: iris: %w", err)
	}
	if len(outs) != 2 || len(outs[0].Data) != 3*NumContour || len(outs[1].Data) != 3*NumIris {
		return e, fmt.Errorf("mesh: iris model returned outputs of unexpected size")
	}
	s := e.ROI.Size / float32(m.irisN)
	unmap(e.Contour[:], outs[0].Data, toImg, s)
	unmap(e.Iris[:], outs[1].Data, toImg, s)
	return e, nil
}

// unmap turns (x, y, z) triples in crop pixels into image points.
func unmap(dst []Point3, v []float32, toImg raster.Affine, zScale float32) {
	for i := range dst {
		p := toImg.Apply(face.Point{X: v[3*i], Y: v[3*i+1]})
		dst[i] = Point3{X: p.X, Y: p.Y, Z: v[3*i+2] * zScale}
	}
}

func sigmoid(x float32) float32 { return float32(1 / (1 + math.Exp(-float64(x)))) }

// Close releases the sessions.
func (m *Model) Close() error {
	var err error
	if m.mesh != nil {
		err = m.mesh.Close()
	}
	if m.iris != nil {
		if e := m.iris.Close(); err == nil {
			err = e
		}
	}
	return err
}
