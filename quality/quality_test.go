package quality

import (
	"math"
	"testing"

	"github.com/mienhq/mien/face"
)

var frontal = face.Landmarks5{{X: 38.3, Y: 51.7}, {X: 73.5, Y: 51.5}, {X: 56.0, Y: 71.7}, {X: 41.5, Y: 92.4}, {X: 70.7, Y: 92.2}}

func TestPoseFrontal(t *testing.T) {
	y, p, r := Pose(frontal)
	for _, v := range []float32{y, p, r} {
		if math.Abs(float64(v)) > 3 {
			t.Fatalf("frontal template: yaw %v pitch %v roll %v, want about 0", y, p, r)
		}
	}
}

func TestPoseRollAndYaw(t *testing.T) {
	// Rotate the template by 20 degrees: roll 20, yaw and pitch unchanged.
	a := 20 * math.Pi / 180
	var l face.Landmarks5
	for i, q := range frontal {
		x, y := float64(q.X), float64(q.Y)
		l[i] = face.Point{X: float32(x*math.Cos(a) - y*math.Sin(a)), Y: float32(x*math.Sin(a) + y*math.Cos(a))}
	}
	y, p, r := Pose(l)
	if math.Abs(float64(r)-20) > 0.5 || math.Abs(float64(y)) > 3 || math.Abs(float64(p)) > 3 {
		t.Fatalf("rotated: yaw %v pitch %v roll %v", y, p, r)
	}
	// Push the nose to the right: positive yaw.
	l = frontal
	l[face.Nose].X += 12
	if y, _, _ := Pose(l); y < 20 {
		t.Fatalf("nose shifted right: yaw %v, want > 20", y)
	}
}

func TestSharpness(t *testing.T) {
	flat := face.NewImage(32, 32)
	for i := range flat.Pix {
		flat.Pix[i] = 128
	}
	checker := face.NewImage(32, 32)
	for y := 0; y < 32; y++ {
		for x := 0; x < 32; x++ {
			if (x+y)%2 == 0 {
				i := 3 * (y*32 + x)
				checker.Pix[i], checker.Pix[i+1], checker.Pix[i+2] = 255, 255, 255
			}
		}
	}
	s0, b0 := sharpness(flat)
	s1, _ := sharpness(checker)
	if s0 != 0 || s1 < 1000 || math.Abs(float64(b0)-50.2) > 0.5 {
		t.Fatalf("flat %v (brightness %v), checker %v", s0, b0, s1)
	}
}

func TestGate(t *testing.T) {
	ok := Quality{FaceSize: 100, Sharpness: 100, Brightness: 50}
	if err := DefaultGate.Check(ok); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []Quality{
		{FaceSize: 20, Sharpness: 100, Brightness: 50},
		{FaceSize: 100, Sharpness: 1, Brightness: 50},
		{FaceSize: 100, Sharpness: 100, Brightness: 50, Yaw: 60},
		{FaceSize: 100, Sharpness: 100, Brightness: 2},
	} {
		if DefaultGate.Check(bad) == nil {
			t.Errorf("%+v passed the gate", bad)
		}
	}
}
