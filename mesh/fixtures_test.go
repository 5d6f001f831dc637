package mesh_test

import (
	"context"
	"github.com/mienhq/mien"
	"testing"

	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/internal/testenv"
	"github.com/mienhq/mien/mesh"
)

// fixtureFrame meshes the best face of a fixture image (path relative to ../shared).
func fixtureFrame(t *testing.T, m *mesh.Model, e *mien.Engine, rel string) (mesh.Frame, face.Detection) {
	t.Helper()
	img, d := load(t, e, testenv.Shared(t, rel))
	tr := mesh.NewTracker(m, mesh.TrackOptions{})
	tr.Reset(d)
	f, ok, err := tr.Step(context.Background(), img, 0)
	if err != nil || !ok {
		t.Fatalf("%s: mesh failed (ok %v, err %v, presence %.3f)", rel, ok, err, f.Mesh.Presence)
	}
	return f, d
}

var fixtures = []string{
	"fixtures/insightface/reaction_open_eyes.png",
	"fixtures/insightface/reaction_close_eyes.jpeg",
	"fixtures/insightface/reaction_close_open_eyes.jpeg",
	"fixtures/insightface/pose_left_face.jpeg",
	"fixtures/insightface/pose_right_face.png",
	"fixtures/insightface/pose_lower_face.jpeg",
	"fixtures/insightface/pose_rise_face.jpeg",
	"fixtures/insightface/bulk_Rob_Lowe_0001.jpg",
	"fixtures/pexels/pexels-sam-lion-5709614.jpg",
	"fixtures/antispoof/image_T1.jpg",
}

// TestFixtureGeometry checks that the mesh lands on the face: every point
// inside the detector's box grown by 60%, the eyes and mouth corners near the
// detector's five points (within 10% of the box side for the eyes, 12%
// for the mouth corners), and the irises inside the eyes.
func TestFixtureGeometry(t *testing.T) {
	m, e := openMesh(t)
	for _, rel := range fixtures {
		f, d := fixtureFrame(t, m, e, rel)
		t.Logf("%-50s yaw %6.1f pitch %6.1f roll %6.1f rms %4.1f eyes %.3f %.3f mouth %.3f brow %.3f smile %.3f gaze %.2f,%.2f", rel,
			f.Pose.Yaw, f.Pose.Pitch, f.Pose.Roll, f.Pose.RMS, f.Signals.EyeOpen[0], f.Signals.EyeOpen[1], f.Signals.MouthOpen, f.Signals.BrowRaise, f.Signals.Smile, f.Signals.Gaze.X, f.Signals.Gaze.Y)
		box := d.Box.Scale(1.6)
		for i, p := range f.Mesh.Points {
			if p.X < box.Min.X || p.X > box.Max.X || p.Y < box.Min.Y || p.Y > box.Max.Y {
				t.Errorf("%s: point %d at (%.0f,%.0f) outside %v", rel, i, p.X, p.Y, box)
				break
			}
		}
		// Tolerances are fractions of the box's longer side: the eye
		// distance collapses on a face in profile.
		side := max(d.Box.Dx(), d.Box.Dy())
		near := func(what string, p, want face.Point, tol float32) {
			if p.Dist(want) > tol*side {
				t.Errorf("%s: %s at %v, detector says %v (%.2f of the box side %.0f)", rel, what, p, want, p.Dist(want)/side, side)
			}
		}
		pt := func(i int) face.Point { return f.Mesh.Points[i].XY() }
		near("image-left eye", pt(33).Add(pt(133)).Mul(0.5), d.Landmarks[face.LeftEye], 0.1)
		near("image-right eye", pt(362).Add(pt(263)).Mul(0.5), d.Landmarks[face.RightEye], 0.1)
		near("image-left iris", f.Mesh.Eyes[0].Iris[0].XY(), d.Landmarks[face.LeftEye], 0.1)
		near("image-right iris", f.Mesh.Eyes[1].Iris[0].XY(), d.Landmarks[face.RightEye], 0.1)
		near("image-left mouth corner", pt(61), d.Landmarks[face.LeftMouth], 0.12)
		near("image-right mouth corner", pt(291), d.Landmarks[face.RightMouth], 0.12)
		if pt(13).Y < pt(1).Y || pt(1).Y < pt(33).Y || pt(152).Y < pt(14).Y {
			t.Errorf("%s: eyes, nose, lips and chin are not in order from top to bottom", rel)
		}
	}
}

// TestFixtureSignals checks eye openness on the labelled eye fixtures and
// the sign of yaw and pitch on the pose fixtures.
func TestFixtureSignals(t *testing.T) {
	m, e := openMesh(t)
	sig := func(rel string) mesh.Frame { f, _ := fixtureFrame(t, m, e, "fixtures/insightface/"+rel); return f }
	open, closed, mixed := sig("reaction_open_eyes.png"), sig("reaction_close_eyes.jpeg"), sig("reaction_close_open_eyes.jpeg")
	for e := 0; e < 2; e++ {
		if open.Signals.EyeOpen[e] < 0.25 || closed.Signals.EyeOpen[e] > 0.15 {
			t.Errorf("eye %d: open fixture %.3f (want > 0.25), closed fixture %.3f (want < 0.15)", e, open.Signals.EyeOpen[e], closed.Signals.EyeOpen[e])
		}
	}
	lo, hi := min(mixed.Signals.EyeOpen[0], mixed.Signals.EyeOpen[1]), max(mixed.Signals.EyeOpen[0], mixed.Signals.EyeOpen[1])
	if lo > 0.15 || hi < 0.25 {
		t.Errorf("one eye closed, one open: %v", mixed.Signals.EyeOpen)
	}
	left, right := sig("pose_left_face.jpeg"), sig("pose_right_face.png")
	if left.Pose.Yaw > -15 || right.Pose.Yaw < 15 {
		t.Errorf("yaw: face turned to the image left %.1f (want < -15), to the right %.1f (want > 15)", left.Pose.Yaw, right.Pose.Yaw)
	}
	down, up := sig("pose_lower_face.jpeg"), sig("pose_rise_face.jpeg")
	if down.Pose.Pitch+20 > up.Pose.Pitch {
		t.Errorf("pitch: face lowered %.1f, raised %.1f (want the raised one 20 degrees higher)", down.Pose.Pitch, up.Pose.Pitch)
	}
}
