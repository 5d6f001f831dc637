package challenge

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mienhq/mien/face"
)

func TestFitHomographyRecoversAKnownOne(t *testing.T) {
	want := Homography{1.1, 0.2, 30, -0.1, 0.9, -12, 0.0008, -0.0005, 1}
	var src, dst []face.Point
	for _, p := range [][2]float32{{10, 10}, {200, 15}, {190, 220}, {20, 180}, {100, 100}, {60, 140}} {
		q := face.Point{X: p[0], Y: p[1]}
		x, y := want.Apply(q)
		src, dst = append(src, q), append(dst, face.Point{X: float32(x), Y: float32(y)})
	}
	got, res, err := FitHomography(src, dst)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-3*math.Max(1, math.Abs(want[i])) {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	if res > 1e-3 {
		t.Fatalf("residual %g for exact correspondences", res)
	}
}

func TestFitHomographyResidualSeparatesPlaneFromHead(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	front := project(head, 0, 0, 0, false, 0, rng)
	photo := project(head, 0, 0, 0, true, 0, rng)
	flat := project(head, 25, 10, 5, true, 0, rng)
	turned := project(head, 25, 10, 5, false, 0, rng)
	_, resFlat, err := FitHomography(photo, flat)
	if err != nil {
		t.Fatal(err)
	}
	_, resHead, err := FitHomography(front, turned)
	if err != nil {
		t.Fatal(err)
	}
	s := scale(front)
	if resFlat/s > 1e-4 || resHead/s < 0.02 {
		t.Fatalf("residual of a tilted plane %.5f, of a turned head %.5f (face sizes)", resFlat/s, resHead/s)
	}
}

func TestFitHomographyDegenerate(t *testing.T) {
	line := []face.Point{{X: 0, Y: 0}, {X: 1, Y: 1}, {X: 2, Y: 2}, {X: 3, Y: 3}, {X: 4, Y: 4}}
	if _, _, err := FitHomography(line, line); err == nil {
		t.Fatal("collinear points gave a homography")
	}
	if _, _, err := FitHomography(line[:3], line[:3]); err == nil {
		t.Fatal("3 points gave a homography")
	}
}

// head is a rough 3D face in inter-ocular units (x right, y down, z towards
// the camera): eye corners, brows, nose bridge and tip, nostrils, mouth
// corners and lips, chin and jaw.
var head = [][3]float64{
	{-0.75, 0, 0}, {-0.25, 0, 0}, {0.25, 0, 0}, {0.75, 0, 0},
	{-0.6, -0.35, 0.05}, {0.6, -0.35, 0.05}, {0, -0.1, 0.25}, {0, 0.55, 0.6},
	{-0.2, 0.7, 0.35}, {0.2, 0.7, 0.35}, {-0.4, 1.05, 0.2}, {0.4, 1.05, 0.2},
	{0, 0.95, 0.3}, {0, 1.15, 0.3}, {0, 1.6, 0.15}, {-0.95, 0.9, -0.5}, {0.95, 0.9, -0.5},
}

// project renders points turned by yaw (degrees; > 0 = the subject's left),
// pitch (> 0 = up) and roll, seen by a pinhole camera 8 units away (focal
// 400 px, centre 320, 240), with Gaussian noise of sd pixels. flat squashes
// the face onto z = 0 first: a photo of it, tilted as a plane.
func project(pts [][3]float64, yaw, pitch, roll float64, flat bool, sd float64, rng *rand.Rand) []face.Point {
	ry, rp, rr := yaw*math.Pi/180, -pitch*math.Pi/180, roll*math.Pi/180
	out := make([]face.Point, len(pts))
	for i, p := range pts {
		x, y, z := p[0], p[1]-0.5, p[2]
		if flat {
			z = 0
		}
		x, z = x*math.Cos(ry)+z*math.Sin(ry), -x*math.Sin(ry)+z*math.Cos(ry)
		y, z = y*math.Cos(rp)-z*math.Sin(rp), y*math.Sin(rp)+z*math.Cos(rp)
		x, y = x*math.Cos(rr)-y*math.Sin(rr), x*math.Sin(rr)+y*math.Cos(rr)
		d := 8 - z
		out[i] = face.Point{X: float32(320 + 400*x/d + sd*rng.NormFloat64()), Y: float32(240 + 400*y/d + sd*rng.NormFloat64())}
	}
	return out
}
