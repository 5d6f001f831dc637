package effects

import (
	"errors"
	"math"
	"math/rand"
	"testing"

	"github.com/mienhq/mien/face"
)

// live makes a live face from the portrait's own mesh: 1.3x larger and
// elsewhere in a larger frame.
func liveOf(f Face) Face {
	return transformed(f, face.Point{}, 1.3, 0, 0, 1.3, face.Point{X: 40, Y: 25})
}

// openMouth moves the points below the mouth's centre line down by up to
// by pixels (more the lower they are, as a jaw dropping).
func openMouth(f Face, by float32) Face {
	out := f
	out.Points = append([]face.Point(nil), f.Points...)
	top := mean(f.Points, 13).Y
	chin := f.Points[152].Y
	for i, p := range f.Points {
		if p.Y > top+0.5 {
			k := min(1, (p.Y-top)/(chin-top)*3)
			out.Points[i].Y += by * k
		}
	}
	out.Points[14].Y = f.Points[14].Y + by // the lower inner lip drops with the jaw
	return out
}

func portrait(t *testing.T) (*face.Image, *Puppet) {
	t.Helper()
	f := testFace(t)
	img := skinImage(250, 250, 11)
	dot(img, f.Points[152], 2, [3]uint8{0, 0, 255})   // chin
	dot(img, f.Points[159], 1, [3]uint8{0, 255, 0})   // upper lid
	dot(img, f.Points[0], 1, [3]uint8{255, 255, 255}) // upper lip
	p, err := NewPuppet(img, &f)
	if err != nil {
		t.Fatal(err)
	}
	return img, p
}

// TestPuppetAtRest: a live face that has not moved since its neutral
// frame leaves the portrait as it is.
func TestPuppetAtRest(t *testing.T) {
	img, p := portrait(t)
	l := liveOf(p.Face())
	r := NewRenderer()
	dst := face.NewImage(250, 250)
	src := face.NewImage(400, 400)
	for i := 0; i < 2; i++ { // the first frame sets the neutral; the second is the same face
		if err := r.Render(dst, src, &l, Params{Puppet: p}); err != nil {
			t.Fatal(err)
		}
		diff := 0
		for k := range dst.Pix {
			if d := int(dst.Pix[k]) - int(img.Pix[k]); d > 1 || d < -1 {
				diff++
			}
		}
		if diff > 0 {
			t.Fatalf("frame %d: %d channel values differ from the portrait", i, diff)
		}
	}
}

// TestPuppetFollowsTheMouth: the live jaw drops by 13 px (10 px at the
// portrait's scale); the portrait's chin follows, its eyes stay, and its
// open mouth is filled dark.
func TestPuppetFollowsTheMouth(t *testing.T) {
	_, p := portrait(t)
	f := p.Face()
	l := liveOf(f)
	r := NewRenderer()
	dst := face.NewImage(250, 250)
	src := face.NewImage(400, 400)
	if err := r.Render(dst, src, &l, Params{Puppet: p}); err != nil {
		t.Fatal(err)
	}
	open := openMouth(l, 13)
	if err := r.Render(dst, src, &open, Params{Puppet: p}); err != nil {
		t.Fatal(err)
	}
	near := func(c [3]uint8) func(r, g, b uint8) bool {
		return func(r, g, b uint8) bool {
			return math.Abs(float64(r)-float64(c[0]))+math.Abs(float64(g)-float64(c[1]))+math.Abs(float64(b)-float64(c[2])) < 90
		}
	}
	chin, n := centroid(dst, int(f.Points[152].X)-20, int(f.Points[152].Y)-5, int(f.Points[152].X)+20, int(f.Points[152].Y)+30, near([3]uint8{0, 0, 255}))
	if n == 0 || math.Abs(float64(chin.Y-f.Points[152].Y)-10) > 2 {
		t.Errorf("chin at %v (%d px), was %v: want 10 px lower", chin, n, f.Points[152])
	}
	lid, n := centroid(dst, int(f.Points[159].X)-10, int(f.Points[159].Y)-10, int(f.Points[159].X)+10, int(f.Points[159].Y)+10, near([3]uint8{0, 255, 0}))
	if n == 0 || lid.Dist(f.Points[159]) > 1 {
		t.Errorf("upper lid moved from %v to %v", f.Points[159], lid)
	}
	// the middle of the opened mouth is the dark fill
	m := r.moved.Points[13].Add(r.moved.Points[14]).Mul(0.5)
	if R, G, B := dst.At(int(m.X), int(m.Y)); R > 80 || G > 60 || B > 60 {
		t.Errorf("open mouth's interior at %v is %d,%d,%d, not filled dark", m, R, G, B)
	}
}

// TestPuppetBadInput: no face in the portrait, a short mesh, a wrong
// destination size.
func TestPuppetBadInput(t *testing.T) {
	img := skinImage(250, 250, 1)
	if _, err := NewPuppet(img, nil); !errors.Is(err, ErrNoFace) {
		t.Errorf("portrait without a face: %v, want ErrNoFace", err)
	}
	if _, err := NewPuppet(img, &Face{Points: make([]face.Point, 68)}); err == nil {
		t.Error("a 68-point face was accepted")
	}
	tiny := transformed(testFace(t), face.Point{}, 0.02, 0, 0, 0.02, face.Point{})
	if _, err := NewPuppet(img, &tiny); err == nil {
		t.Error("a face of 1 px was accepted")
	}
	_, p := portrait(t)
	l := testFace(t)
	dst := face.NewImage(300, 250)
	before := append([]uint8(nil), dst.Pix...)
	if err := Render(dst, img, &l, Params{Puppet: p}); err == nil {
		t.Error("a destination not of the portrait's size was accepted")
	}
	if string(before) != string(dst.Pix) {
		t.Error("a refused render changed the destination")
	}
}

// TestTriangulateIsDelaunay: random points give 2n-2-h triangles (h on
// the hull) and no point inside any triangle's circumcircle.
func TestTriangulateIsDelaunay(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	pts := make([]face.Point, 300)
	for i := range pts {
		pts[i] = face.Point{X: rng.Float32() * 500, Y: rng.Float32() * 300}
	}
	tris := triangulate(pts)
	for _, tr := range tris {
		a, b, c := pts[tr[0]], pts[tr[1]], pts[tr[2]]
		xs := []float64{float64(a.X), float64(b.X), float64(c.X)}
		ys := []float64{float64(a.Y), float64(b.Y), float64(c.Y)}
		d := newDtri(0, 1, 2, xs, ys)
		for i, p := range pts {
			if int32(i) == tr[0] || int32(i) == tr[1] || int32(i) == tr[2] {
				continue
			}
			dx, dy := float64(p.X)-d.cx, float64(p.Y)-d.cy
			if dx*dx+dy*dy < d.r2*(1-1e-6) {
				t.Fatalf("point %d is inside the circumcircle of triangle %v", i, tr)
			}
		}
	}
	if len(tris) < 2*len(pts)-2-40 || len(tris) > 2*len(pts)-5 {
		t.Errorf("%d triangles for %d points", len(tris), len(pts))
	}
}
