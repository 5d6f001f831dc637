package effects

import (
	"encoding/json"
	"math"
	"math/rand"
	"os"
	"testing"

	"github.com/mienhq/mien/face"
)

// testFace is a real mesh (the mesh stage's output on a 250x250 LFW photo).
func testFace(t *testing.T) Face {
	t.Helper()
	b, err := os.ReadFile("testdata/mesh_rob_lowe.json")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Points [][2]float32 `json:"points"`
		Iris   [2][2]float32
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	f := Face{HasIris: true}
	for _, p := range v.Points {
		f.Points = append(f.Points, face.Point{X: p[0], Y: p[1]})
	}
	for i, p := range v.Iris {
		f.Iris[i] = face.Point{X: p[0], Y: p[1]}
	}
	if err := f.Valid(); err != nil {
		t.Fatal(err)
	}
	return f
}

// transformed maps every point of f by (x, y) -> c + A (p - c) + shift.
func transformed(f Face, c face.Point, a, b, cc, d float32, shift face.Point) Face {
	out := f
	out.Points = make([]face.Point, len(f.Points))
	for i, p := range f.Points {
		x, y := p.X-c.X, p.Y-c.Y
		out.Points[i] = face.Point{X: c.X + a*x + b*y + shift.X, Y: c.Y + cc*x + d*y + shift.Y}
	}
	return out
}

func rotated(f Face, deg float64) Face {
	c := mean(f.Points, faceOval...)
	s, co := float32(math.Sin(deg*math.Pi/180)), float32(math.Cos(deg*math.Pi/180))
	return transformed(f, c, co, -s, s, co, face.Point{})
}

func solid(w, h int, c [3]uint8) *face.Image {
	m := face.NewImage(w, h)
	for i := 0; i < w*h; i++ {
		copy(m.Pix[3*i:], c[:])
	}
	return m
}

// skinImage is a skin-coloured frame with a fixed random texture.
func skinImage(w, h int, seed int64) *face.Image {
	rng := rand.New(rand.NewSource(seed))
	m := face.NewImage(w, h)
	for i := 0; i < w*h; i++ {
		n := float32(rng.NormFloat64() * 9)
		m.Pix[3*i] = clampU8(196 + n)
		m.Pix[3*i+1] = clampU8(150 + n)
		m.Pix[3*i+2] = clampU8(126 + n)
	}
	return m
}

// dot paints a (2r+1)^2 square of colour c at p.
func dot(m *face.Image, p face.Point, r int, c [3]uint8) {
	for y := int(p.Y) - r; y <= int(p.Y)+r; y++ {
		for x := int(p.X) - r; x <= int(p.X)+r; x++ {
			if x >= 0 && y >= 0 && x < m.W && y < m.H {
				copy(m.Pix[3*(y*m.W+x):], c[:])
			}
		}
	}
}

// centroid is the mean position of the pixels inside box for which keep
// is true, and their count.
func centroid(m *face.Image, x0, y0, x1, y1 int, keep func(r, g, b uint8) bool) (face.Point, int) {
	var sx, sy float64
	n := 0
	for y := max(0, y0); y < min(m.H, y1); y++ {
		for x := max(0, x0); x < min(m.W, x1); x++ {
			if keep(m.At(x, y)) {
				sx += float64(x) + 0.5
				sy += float64(y) + 0.5
				n++
			}
		}
	}
	if n == 0 {
		return face.Point{}, 0
	}
	return face.Point{X: float32(sx / float64(n)), Y: float32(sy / float64(n))}, n
}
