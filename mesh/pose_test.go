package mesh

import (
	"math"
	"testing"

	"github.com/mienhq/mien/face"
)

// project places the canonical face at a known pose and writes its
// projection into a mesh.
func project(yaw, pitch, roll float64, t [3]float64, cam camera) *Mesh {
	rad := math.Pi / 180
	// Camera-axis angles: R = Ry(-yaw) Rx(-pitch) Rz(roll) (see toPose).
	ry, rx, rz := -yaw*rad, -pitch*rad, roll*rad
	Ry := [9]float64{math.Cos(ry), 0, math.Sin(ry), 0, 1, 0, -math.Sin(ry), 0, math.Cos(ry)}
	Rx := [9]float64{1, 0, 0, 0, math.Cos(rx), -math.Sin(rx), 0, math.Sin(rx), math.Cos(rx)}
	Rz := [9]float64{math.Cos(rz), -math.Sin(rz), 0, math.Sin(rz), math.Cos(rz), 0, 0, 0, 1}
	R := mul3(mul3(Ry, Rx), Rz)
	m := &Mesh{}
	for _, c := range canonical {
		px := R[0]*c.x + R[1]*c.y + R[2]*c.z + t[0]
		py := R[3]*c.x + R[4]*c.y + R[5]*c.z + t[1]
		pz := R[6]*c.x + R[7]*c.y + R[8]*c.z + t[2]
		m.Points[c.idx] = Point3{X: float32(cam.f*px/pz + cam.cx), Y: float32(cam.f*py/pz + cam.cy)}
	}
	return m
}

func mul3(a, b [9]float64) [9]float64 {
	var c [9]float64
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			for k := 0; k < 3; k++ {
				c[3*i+j] += a[3*i+k] * b[3*k+j]
			}
		}
	}
	return c
}

func TestSolvePoseRecoversKnownPose(t *testing.T) {
	cam := camera{f: 640, cx: 320, cy: 240}
	cases := []struct{ yaw, pitch, roll float64 }{
		{0, 0, 0}, {30, 0, 0}, {-30, 0, 0}, {0, 20, 0}, {0, -20, 0}, {0, 0, 25}, {25, -15, 10}, {-45, 10, -20},
	}
	for _, c := range cases {
		m := project(c.yaw, c.pitch, c.roll, [3]float64{30, -20, 2500}, cam)
		p, err := SolvePose(m, 640, 480, 640, nil)
		if err != nil {
			t.Fatalf("%v: %v", c, err)
		}
		if d := math.Max(math.Abs(float64(p.Yaw)-c.yaw), math.Max(math.Abs(float64(p.Pitch)-c.pitch), math.Abs(float64(p.Roll)-c.roll))); d > 0.5 {
			t.Errorf("pose %v: got yaw %.2f pitch %.2f roll %.2f (rms %.3f)", c, p.Yaw, p.Pitch, p.Roll, p.RMS)
		}
		if math.Abs(float64(p.T[2])-2500) > 50 {
			t.Errorf("pose %v: distance %.0f, want 2500", c, p.T[2])
		}
	}
}

func TestSolvePoseSignsOnScreen(t *testing.T) {
	cam := camera{f: 640, cx: 320, cy: 240}
	// Turned towards the image right, the nose tip moves right of the eye midpoint.
	m := project(30, 0, 0, [3]float64{0, 0, 2500}, cam)
	mid := m.Points[33].XY().Add(m.Points[263].XY()).Mul(0.5)
	if m.Points[1].X <= mid.X {
		t.Fatalf("positive yaw should move the nose to the image right: nose %.1f, eyes %.1f", m.Points[1].X, mid.X)
	}
	// Tilted up, the nose tip rises towards the eyes.
	up, level := project(0, 20, 0, [3]float64{0, 0, 2500}, cam), project(0, 0, 0, [3]float64{0, 0, 2500}, cam)
	if up.Points[1].Y-up.Points[33].Y >= level.Points[1].Y-level.Points[33].Y {
		t.Fatal("positive pitch should bring the nose towards the eyes")
	}
}

func TestSolvePoseWarmStart(t *testing.T) {
	cam := camera{f: 640, cx: 320, cy: 240}
	p0, err := SolvePose(project(20, 5, 0, [3]float64{0, 0, 2000}, cam), 640, 480, 640, nil)
	if err != nil {
		t.Fatal(err)
	}
	p1, err := SolvePose(project(22, 5, 1, [3]float64{5, 0, 2000}, cam), 640, 480, 640, &p0)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(float64(p1.Yaw)-22) > 0.5 || math.Abs(float64(p1.Roll)-1) > 0.5 {
		t.Fatalf("warm-started pose: yaw %.2f roll %.2f, want 22 and 1", p1.Yaw, p1.Roll)
	}
}

func TestROIRoundTrip(t *testing.T) {
	r := ROI{Center: face.Point{X: 100, Y: 80}, Size: 96, Angle: 0.3}
	a := r.toImage(192)
	c := a.Apply(face.Point{X: 96, Y: 96})
	if c.Dist(r.Center) > 1e-3 {
		t.Fatalf("crop centre maps to %v, want %v", c, r.Center)
	}
	x0, x1 := a.Apply(face.Point{X: 0, Y: 96}), a.Apply(face.Point{X: 192, Y: 96})
	if d := x0.Dist(x1); math.Abs(float64(d-96)) > 1e-3 {
		t.Fatalf("crop width maps to %.3f px, want 96", d)
	}
	if ang := math.Atan2(float64(x1.Y-x0.Y), float64(x1.X-x0.X)); math.Abs(ang-0.3) > 1e-5 {
		t.Fatalf("crop x axis at %.4f rad, want 0.3", ang)
	}
	q := fromPoints([]face.Point{{X: 0, Y: 0}, {X: 10, Y: 0}, {X: 10, Y: 20}, {X: 0, Y: 20}}, 0, 1.5)
	if q.Center != (face.Point{X: 5, Y: 10}) || q.Size != 30 {
		t.Fatalf("fromPoints: %+v, want centre (5,10) size 30", q)
	}
}

func TestOneEuroSettlesAndFollows(t *testing.T) {
	f := NewOneEuro(1, 0.01)
	var last float64
	for i := 0; i < 300; i++ {
		noise := 0.5
		if i%2 == 1 {
			noise = -0.5
		}
		last = f.Filter(10+noise, float64(i)/30)
	}
	if math.Abs(last-10) > 0.1 {
		t.Fatalf("still input with +-0.5 noise: filtered %.3f, want within 0.1 of 10", last)
	}
	for i := 300; i < 330; i++ {
		last = f.Filter(20, float64(i)/30)
	}
	if math.Abs(last-20) > 0.5 {
		t.Fatalf("after a step to 20 and 1 s: %.3f", last)
	}
}

func BenchmarkSolvePose(b *testing.B) {
	cam := camera{f: 640, cx: 320, cy: 240}
	m := project(20, -10, 5, [3]float64{10, 0, 2500}, cam)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := SolvePose(m, 640, 480, 640, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMeasure(b *testing.B) {
	m := synthetic(12, 10, 2)
	b.ReportAllocs()
	for b.Loop() {
		Measure(m)
	}
}
