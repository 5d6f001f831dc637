package mesh

import (
	"testing"

	"github.com/mienhq/mien/face"
)

// synthetic builds a level face mesh with the given lid gap and mouth gap.
func synthetic(lidGap, mouthGap float32, irisDX float32) *Mesh {
	m := &Mesh{HasIris: true}
	set := func(i int, x, y float32) { m.Points[i] = Point3{X: x, Y: y} }
	set(33, 100, 100)
	set(263, 200, 100)
	set(61, 120, 180)
	set(291, 180, 180)
	set(13, 150, 180-mouthGap/2)
	set(14, 150, 180+mouthGap/2)
	set(105, 115, 80)
	set(159, 115, 95)
	set(334, 185, 80)
	set(386, 185, 95)
	for e, x0 := range []float32{100, 200} {
		c := &m.Eyes[e].Contour
		dir := float32(1)
		if e == 1 {
			dir = -1
		}
		c[0] = Point3{X: x0, Y: 100}
		c[8] = Point3{X: x0 + dir*40, Y: 100}
		for k, lid := range contourLids {
			x := x0 + dir*float32(10*(k+1))
			c[lid[0]] = Point3{X: x, Y: 100 - lidGap/2}
			c[lid[1]] = Point3{X: x, Y: 100 + lidGap/2}
		}
		m.Eyes[e].Iris[0] = Point3{X: x0 + dir*20 + irisDX, Y: 100}
	}
	return m
}

func TestMeasure(t *testing.T) {
	open := Measure(synthetic(12, 0, 0))
	closed := Measure(synthetic(1, 0, 0))
	if open.EyeOpen[0] != 0.3 || open.EyeOpen[1] != 0.3 {
		t.Fatalf("eye open = %v, want 0.3 (12 px gap over 40 px width)", open.EyeOpen)
	}
	if closed.EyeOpen[0] >= 0.05 {
		t.Fatalf("closed eye open = %v", closed.EyeOpen)
	}
	yawn := Measure(synthetic(12, 30, 0))
	if yawn.MouthOpen != 0.5 || open.MouthOpen != 0 {
		t.Fatalf("mouth open %v and %v, want 0.5 (30/60) and 0", yawn.MouthOpen, open.MouthOpen)
	}
	if open.BrowRaise != 0.15 || open.MouthWidth != 0.6 {
		t.Fatalf("brow %v width %v, want 0.15 and 0.6", open.BrowRaise, open.MouthWidth)
	}
	if open.Gaze != (face.Point{}) {
		t.Fatalf("centred irises: gaze %v", open.Gaze)
	}
	right := Measure(synthetic(12, 0, 8))
	if right.Gaze.X <= 0.1 {
		t.Fatalf("irises 8 px to the image right: gaze %v", right.Gaze)
	}
	m := synthetic(12, 0, 0)
	m.Points[61].Y, m.Points[291].Y = 170, 170
	if s := Measure(m).Smile; s <= 0.1 {
		t.Fatalf("corners 10 px above the lip centre: smile %v", s)
	}
}
