package align

import (
	"math"
	"testing"

	"github.com/mienhq/mien/face"
)

func TestEstimateRecoversKnownTransforms(t *testing.T) {
	cases := []struct {
		name         string
		scale, angle float64
		tx, ty       float64
	}{
		{"identity", 1, 0, 0, 0},
		{"shift", 1, 0, 12.5, -7},
		{"scale", 2.5, 0, 3, 4},
		{"rotate 30", 1, math.Pi / 6, 0, 0},
		{"all", 0.37, -1.1, 140, 22},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want := Similarity{A: c.scale * math.Cos(c.angle), B: c.scale * math.Sin(c.angle), TX: c.tx, TY: c.ty}
			src := Template[:]
			dst := make([]face.Point, len(src))
			for i, p := range src {
				dst[i] = want.Affine().Apply(p)
			}
			got, err := Estimate(src, dst)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range []float64{got.A - want.A, got.B - want.B, (got.TX - want.TX) / 100, (got.TY - want.TY) / 100} {
				if math.Abs(d) > 1e-4 {
					t.Fatalf("got %+v, want %+v", got, want)
				}
			}
		})
	}
}

func TestEstimateLeastSquares(t *testing.T) {
	// Noisy points: the estimate must beat small perturbations of itself.
	src := []face.Point{{X: 0, Y: 0}, {X: 10, Y: 0}, {X: 5, Y: 5}, {X: 0, Y: 10}, {X: 10, Y: 10}}
	dst := []face.Point{{X: 1, Y: 1}, {X: 21, Y: 0.5}, {X: 11, Y: 11.5}, {X: 0.5, Y: 21}, {X: 21, Y: 20.5}}
	s, err := Estimate(src, dst)
	if err != nil {
		t.Fatal(err)
	}
	cost := func(s Similarity) float64 {
		var e float64
		for i := range src {
			p := s.Affine().Apply(src[i])
			e += math.Pow(float64(p.X-dst[i].X), 2) + math.Pow(float64(p.Y-dst[i].Y), 2)
		}
		return e
	}
	best := cost(s)
	for _, d := range []Similarity{{0.01, 0, 0, 0}, {0, 0.01, 0, 0}, {0, 0, 0.1, 0}, {0, 0, 0, -0.1}} {
		p := Similarity{s.A + d.A, s.B + d.B, s.TX + d.TX, s.TY + d.TY}
		if cost(p) < best {
			t.Fatalf("perturbation %+v lowers the cost: %v < %v", d, cost(p), best)
		}
	}
}

func TestEstimateErrors(t *testing.T) {
	if _, err := Estimate([]face.Point{{X: 1, Y: 1}}, []face.Point{{X: 1, Y: 1}}); err == nil {
		t.Fatal("one point pair: want an error")
	}
	if _, err := Estimate([]face.Point{{X: 1, Y: 1}, {X: 1, Y: 1}}, []face.Point{{X: 0, Y: 0}, {X: 5, Y: 5}}); err == nil {
		t.Fatal("coincident points: want an error")
	}
}

func TestCropPutsLandmarksOnTemplate(t *testing.T) {
	// Draw five bright dots at landmark positions of a scaled, rotated face
	// and check that after alignment they land on the template.
	src := face.NewImage(400, 300)
	want := Similarity{A: 2 * math.Cos(0.3), B: 2 * math.Sin(0.3), TX: 150, TY: 40}
	var l face.Landmarks5
	for i, p := range Template {
		l[i] = want.Affine().Apply(p)
		x, y := int(l[i].X), int(l[i].Y)
		for dy := -2; dy <= 2; dy++ {
			for dx := -2; dx <= 2; dx++ {
				j := 3 * ((y+dy)*src.W + x + dx)
				src.Pix[j], src.Pix[j+1], src.Pix[j+2] = 255, 255, 255
			}
		}
	}
	out, err := Crop(nil, src, l)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range Template {
		r, _, _ := out.At(int(p.X), int(p.Y))
		if r < 128 {
			t.Errorf("landmark %d: pixel at template point %v is %d, want bright", i, p, r)
		}
	}
}
