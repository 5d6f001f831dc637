package effects

import (
	"math"
	"testing"

	"github.com/mienhq/mien/face"
)

// stats is the mean and standard deviation of the green channel over the
// pixels inside poly.
func stats(m *face.Image, poly []face.Point) (mean, sd float64, n int) {
	mask := make([]float32, m.W*m.H)
	fillMask(mask, m.W, m.H, poly, 1)
	var s, s2 float64
	for i, v := range mask {
		if v > 0 {
			g := float64(m.Pix[3*i+1])
			s, s2, n = s+g, s2+g*g, n+1
		}
	}
	mean = s / float64(n)
	return mean, math.Sqrt(s2/float64(n) - mean*mean), n
}

// edgeEnergy is the sum of absolute horizontal and vertical differences
// inside poly.
func edgeEnergy(m *face.Image, poly []face.Point) float64 {
	mask := make([]float32, m.W*m.H)
	fillMask(mask, m.W, m.H, poly, 1)
	var e float64
	for y := 0; y < m.H-1; y++ {
		for x := 0; x < m.W-1; x++ {
			if mask[y*m.W+x] == 0 {
				continue
			}
			i := 3 * (y*m.W + x)
			e += math.Abs(float64(m.Pix[i+1])-float64(m.Pix[i+4])) + math.Abs(float64(m.Pix[i+1])-float64(m.Pix[i+1+3*m.W]))
		}
	}
	return e
}

// TestSmoothSkinReducesTextureKeepsEyes: on a textured skin frame with
// sharp dark eyes drawn where the mesh puts them, full-strength smoothing
// cuts the cheek's texture (standard deviation) by more than half, while
// the eye regions' edges and the frame outside the face are untouched.
func TestSmoothSkinReducesTextureKeepsEyes(t *testing.T) {
	f := testFace(t)
	img := skinImage(250, 250, 7)
	for _, eye := range [][]int{eyeL, eyeR} {
		poly := pick(f.Points, eye, 1)
		mask := make([]float32, 250*250)
		fillMask(mask, 250, 250, poly, 1)
		for i, v := range mask {
			if v > 0 {
				img.Pix[3*i], img.Pix[3*i+1], img.Pix[3*i+2] = 30, 25, 20
			}
		}
	}
	before := &face.Image{W: 250, H: 250, Pix: append([]uint8(nil), img.Pix...)}
	if err := Render(img, img, &f, Params{Beautify: 1}); err != nil {
		t.Fatal(err)
	}
	cheek := pick(f.Points, []int{117, 118, 101, 36, 205, 187, 123}, 0.8) // image-left cheek
	_, sd0, n := stats(before, cheek)
	_, sd1, _ := stats(img, cheek)
	if n < 50 || sd1 > 0.5*sd0 {
		t.Errorf("cheek texture sd %.2f -> %.2f over %d px; want it halved", sd0, sd1, n)
	}
	for _, eye := range [][]int{eyeL, eyeR} {
		box := pick(f.Points, eye, 1.3)
		e0, e1 := edgeEnergy(before, box), edgeEnergy(img, box)
		if e1 < 0.93*e0 {
			t.Errorf("eye region edge energy %.0f -> %.0f: the eye was blurred", e0, e1)
		}
	}
	for _, p := range []face.Point{{X: 3, Y: 3}, {X: 246, Y: 240}} {
		i := 3 * (int(p.Y)*250 + int(p.X))
		if img.Pix[i] != before.Pix[i] {
			t.Errorf("pixel %v outside the face changed", p)
		}
	}
}

// TestSlimMovesJawInward: dots painted at the jaw points move towards the
// face's centre line, the nose tip stays, and Reshape's moved points agree.
func TestSlimMovesJawInward(t *testing.T) {
	f := testFace(t)
	img := skinImage(250, 250, 3)
	red, blue, green := [3]uint8{255, 0, 0}, [3]uint8{0, 0, 255}, [3]uint8{0, 255, 0}
	dot(img, f.Points[172], 2, red)
	dot(img, f.Points[397], 2, blue)
	dot(img, f.Points[1], 2, green)
	moved := Reshape(img, &f, 1, 0)
	find := func(c [3]uint8, near face.Point) face.Point {
		p, n := centroid(img, int(near.X)-25, int(near.Y)-25, int(near.X)+25, int(near.Y)+25, func(r, g, b uint8) bool {
			return math.Abs(float64(r)-float64(c[0]))+math.Abs(float64(g)-float64(c[1]))+math.Abs(float64(b)-float64(c[2])) < 120
		})
		if n == 0 {
			t.Fatalf("dot %v lost", c)
		}
		return p
	}
	l, r := eyeCentres(f.Points)
	ex, ey := (r.X-l.X)/l.Dist(r), (r.Y-l.Y)/l.Dist(r)
	along := func(a, b face.Point) float32 { return (b.X-a.X)*ex + (b.Y-a.Y)*ey }
	ipd := l.Dist(r)
	jl, jr, nose := find(red, f.Points[172]), find(blue, f.Points[397]), find(green, f.Points[1])
	if d := along(f.Points[172], jl); d < 0.04*ipd {
		t.Errorf("image-left jaw moved %.2f px along the eye line; want inward (> %.1f)", d, 0.04*ipd)
	}
	if d := along(f.Points[397], jr); d > -0.04*ipd {
		t.Errorf("image-right jaw moved %.2f px along the eye line; want inward (< -%.1f)", d, 0.04*ipd)
	}
	if d := nose.Dist(f.Points[1]); d > 1 {
		t.Errorf("nose tip moved %.2f px", d)
	}
	if d := moved.Points[172].Dist(jl); d > 1.5 {
		t.Errorf("Reshape says the jaw point went to %v, its dot is at %v", moved.Points[172], jl)
	}
}

// TestEyeEnlargeWidensEyes: dots at the eye corners move apart.
func TestEyeEnlargeWidensEyes(t *testing.T) {
	f := testFace(t)
	img := solid(250, 250, [3]uint8{200, 160, 140})
	dot(img, f.Points[33], 1, [3]uint8{0, 0, 0})
	dot(img, f.Points[133], 1, [3]uint8{0, 0, 0})
	w0 := f.Points[33].Dist(f.Points[133])
	Reshape(img, &f, 0, 1)
	c := mean(f.Points, 33, 133)
	dark := func(r, g, b uint8) bool { return r < 100 }
	a, _ := centroid(img, 0, 0, int(c.X), 250, dark)
	b, _ := centroid(img, int(c.X), 0, 250, 250, dark)
	if w1 := a.Dist(b); w1 < 1.12*w0 {
		t.Errorf("eye corner distance %.1f -> %.1f; want at least 12%% wider", w0, w1)
	}
}

// TestFaceOffFrame: a face partly or wholly outside the frame renders
// every effect without a panic, and a face wholly outside leaves the frame
// as it was (but for the tone lift, which is the whole frame's).
func TestFaceOffFrame(t *testing.T) {
	s, _ := Builtin("hat")
	for _, shift := range []face.Point{{X: -120, Y: 0}, {X: 200, Y: 180}, {X: 3000, Y: -3000}, {X: -3000, Y: 900}} {
		f := transformed(testFace(t), face.Point{}, 1, 0, 0, 1, shift)
		img := skinImage(250, 250, 2)
		before := append([]uint8(nil), img.Pix...)
		if err := Render(img, img, &f, Params{Sticker: s, Beautify: 1, Slim: 1, EyeEnlarge: 1}); err != nil {
			t.Fatalf("shift %v: %v", shift, err)
		}
		if shift.X >= 3000 || shift.X <= -3000 {
			if string(before) != string(img.Pix) {
				t.Errorf("shift %v: a face outside the frame changed it", shift)
			}
		}
	}
}

// TestDegenerateFace: a mesh collapsed to one point is drawn as no face.
func TestDegenerateFace(t *testing.T) {
	f := transformed(testFace(t), face.Point{X: 100, Y: 100}, 0, 0, 0, 0, face.Point{})
	img := skinImage(250, 250, 2)
	before := append([]uint8(nil), img.Pix...)
	s, _ := Builtin("glasses")
	if err := Render(img, img, &f, Params{Sticker: s, Beautify: 1, Slim: 1, EyeEnlarge: 1}); err != nil {
		t.Fatal(err)
	}
	if string(before) != string(img.Pix) {
		t.Error("a collapsed mesh changed the frame")
	}
	_, p := portrait(t)
	dst := face.NewImage(250, 250)
	if err := Render(dst, img, &f, Params{Puppet: p}); err != nil {
		t.Fatal(err)
	}
	if string(dst.Pix) != string(p.img.Pix) {
		t.Error("a collapsed live mesh moved the puppet")
	}
}
