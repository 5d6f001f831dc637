package mesh_test

import (
	"context"
	"math"
	"math/rand"
	"path/filepath"
	"testing"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/internal/testenv"
	"github.com/mienhq/mien/mesh"
	"github.com/mienhq/mien/raster"
)

// frame640 returns the largest centred 4:3 region of img resampled to
// 640x480, with its best face.
func frame640(t testing.TB, e *mien.Engine, img *face.Image) (*face.Image, face.Detection) {
	t.Helper()
	w, h := float32(img.W), float32(img.H)
	if w/h > 4.0/3 {
		w = h * 4 / 3
	} else {
		h = w * 3 / 4
	}
	x0, y0 := (float32(img.W)-w)/2, (float32(img.H)-h)/2
	out := raster.Crop(img, face.R(x0, y0, x0+w, y0+h), 640, 480)
	dets, err := e.Detect(context.Background(), out, mien.Options{}.Detect)
	if err != nil || len(dets) == 0 {
		t.Fatalf("no face in the 640x480 frame (%v)", err)
	}
	return out, dets[0]
}

// shifted returns img moved by (dx, dy) pixels (bilinear), into dst.
func shifted(dst, img *face.Image, dx, dy float32) {
	raster.Warp(dst, img, raster.Affine{1, 0, -dx, 0, 1, -dy})
}

// jitter tracks a still face moved by random sub-pixel shifts and returns
// the mean over points of the standard deviation of each point's position
// (after removing the known shift), in pixels, and the eye distance.
func jitter(t *testing.T, m *mesh.Model, e *mien.Engine, rel string, smooth bool) (float64, float32) {
	src, d := load(t, e, testenv.Shared(t, rel))
	img, d := frame640(t, e, src)
	tr := mesh.NewTracker(m, mesh.TrackOptions{Smooth: smooth})
	tr.Reset(d)
	r := rand.New(rand.NewSource(3))
	dst := face.NewImage(img.W, img.H)
	const frames = 60
	var sum, sum2 [mesh.NumPoints][2]float64
	// With smoothing, a perfect mesh would follow the shift through the same
	// filter: measure against that.
	fx, fy := mesh.NewOneEuro(1, 0.01), mesh.NewOneEuro(1, 0.01)
	for i := 0; i < frames; i++ {
		dx, dy := r.Float32()-0.5, r.Float32()-0.5
		shifted(dst, img, dx, dy)
		f, ok, err := tr.Step(context.Background(), dst, float64(i)/30)
		if err != nil || !ok {
			t.Fatalf("%s frame %d: lost the face (%v)", rel, i, err)
		}
		if smooth {
			ts := float64(i) / 30
			dx, dy = float32(fx.Filter(float64(dx), ts)), float32(fy.Filter(float64(dy), ts))
		}
		for k, p := range f.Mesh.Points {
			x, y := float64(p.X-dx), float64(p.Y-dy)
			sum[k][0] += x
			sum[k][1] += y
			sum2[k][0] += x * x
			sum2[k][1] += y * y
		}
	}
	var total float64
	for k := range sum {
		for c := 0; c < 2; c++ {
			mean := sum[k][c] / frames
			total += math.Sqrt(math.Max(0, sum2[k][c]/frames-mean*mean))
		}
	}
	return total / (2 * mesh.NumPoints), d.Landmarks.EyeDistance()
}

// TestJitterStillFace measures the mesh's jitter on a still face (the same
// image repeated with sub-pixel shifts): raw, and with One-Euro smoothing.
func TestJitterStillFace(t *testing.T) {
	if testing.Short() {
		t.Skip("jitter measurement skipped in -short mode")
	}
	m, e := openMesh(t)
	for _, rel := range []string{"fixtures/insightface/bulk_Rob_Lowe_0001.jpg", "fixtures/insightface/reaction_open_eyes.png", "fixtures/antispoof/image_T1.jpg"} {
		raw, eyes := jitter(t, m, e, rel, false)
		smooth, _ := jitter(t, m, e, rel, true)
		t.Logf("%s: jitter %.3f px raw, %.3f px smoothed (eye distance %.0f px at 640x480)", filepath.Base(rel), raw, smooth, eyes)
		if raw > 0.03*float64(eyes) {
			t.Errorf("%s: raw jitter %.2f px is over 3%% of the eye distance %.0f px", rel, raw, eyes)
		}
		if smooth > 0.03*float64(eyes) {
			t.Errorf("%s: smoothed jitter %.2f px is over 3%% of the eye distance %.0f px", rel, smooth, eyes)
		}
	}
}

// TestTrackerFollowsAndLoses follows a face moving across frames without
// re-detection, then loses it on a frame with no face.
func TestTrackerFollowsAndLoses(t *testing.T) {
	m, e := openMesh(t)
	src, _ := load(t, e, testenv.Shared(t, "fixtures/insightface/bulk_Rob_Lowe_0001.jpg"))
	img, d := frame640(t, e, src)
	tr := mesh.NewTracker(m, mesh.TrackOptions{})
	if _, ok, _ := tr.Step(context.Background(), img, 0); ok || !tr.Lost() {
		t.Fatal("a tracker with no detection gave a mesh")
	}
	tr.Reset(d)
	dst := face.NewImage(img.W, img.H)
	var first face.Point
	for i := 0; i < 20; i++ {
		dx := float32(4 * i) // 4 px a frame to the right
		shifted(dst, img, dx, 0)
		f, ok, err := tr.Step(context.Background(), dst, float64(i)/30)
		if err != nil || !ok {
			t.Fatalf("frame %d: lost the face (%v)", i, err)
		}
		if f.Redetected != (i == 0) {
			t.Fatalf("frame %d: redetected %v", i, f.Redetected)
		}
		nose := f.Mesh.Points[1].XY()
		if i == 0 {
			first = nose
		} else if got := nose.X - first.X; math.Abs(float64(got-dx)) > 0.05*float64(d.Landmarks.EyeDistance()) {
			t.Fatalf("frame %d: nose moved %.1f px, the face moved %.0f", i, got, dx)
		}
	}
	blank := face.NewImage(img.W, img.H)
	if f, ok, _ := tr.Step(context.Background(), blank, 1); ok || !tr.Lost() {
		t.Fatalf("a black frame kept the track (presence %.3f)", f.Mesh.Presence)
	}
}
