package detect

import (
	"testing"

	"github.com/mienhq/mien/face"
)

func det(x0, y0, x1, y1, s float32) face.Detection {
	return face.Detection{Box: face.R(x0, y0, x1, y1), Score: s}
}

func TestNMS(t *testing.T) {
	cases := []struct {
		name string
		in   []face.Detection
		iou  float32
		want []float32 // scores kept, in order
	}{
		{"empty", nil, 0.3, nil},
		{"disjoint kept", []face.Detection{det(0, 0, 10, 10, 0.6), det(20, 20, 30, 30, 0.9)}, 0.3, []float32{0.9, 0.6}},
		{"overlap suppressed", []face.Detection{det(0, 0, 10, 10, 0.6), det(1, 1, 11, 11, 0.9)}, 0.3, []float32{0.9}},
		{"overlap under threshold kept", []face.Detection{det(0, 0, 10, 10, 0.6), det(5, 0, 15, 10, 0.9)}, 0.5, []float32{0.9, 0.6}},
		{"chain", []face.Detection{det(0, 0, 10, 10, 0.9), det(2, 0, 12, 10, 0.8), det(9, 0, 19, 10, 0.7)}, 0.3, []float32{0.9, 0.7}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := NMS(c.in, c.iou)
			if len(got) != len(c.want) {
				t.Fatalf("kept %d, want %d", len(got), len(c.want))
			}
			for i := range got {
				if got[i].Score != c.want[i] {
					t.Fatalf("kept %v, want scores %v", got, c.want)
				}
			}
		})
	}
}

func TestFilter(t *testing.T) {
	in := []face.Detection{det(-5, -5, 20, 20, 0.9), det(50, 50, 55, 55, 0.8), det(100, 100, 180, 180, 0.7), det(300, 300, 320, 320, 0.95)}
	got := Filter(in, 200, 200, Options{MinSize: 10, MaxFaces: 1})
	if len(got) != 1 || got[0].Score != 0.7 {
		t.Fatalf("got %v, want only the largest face (score 0.7)", got)
	}
	got = Filter([]face.Detection{det(-5, -5, 20, 20, 0.9)}, 200, 200, Options{})
	if got[0].Box != face.R(0, 0, 20, 20) {
		t.Fatalf("box not clamped: %v", got[0].Box)
	}
}

func TestFit(t *testing.T) {
	for _, c := range []struct {
		w, h, max int
		want      float32
	}{{640, 480, 640, 1}, {1280, 960, 640, 0.5}, {480, 1280, 640, 0.5}, {100, 100, 0, 1}} {
		if got := Fit(c.w, c.h, c.max); got != c.want {
			t.Errorf("Fit(%d,%d,%d)=%v want %v", c.w, c.h, c.max, got, c.want)
		}
	}
}

// TestInputScale: a caller's smallest face shrinks detection of small
// photos (LFW's 250x250 to half size for 40 px faces), never of photos the
// detector's size limit already shrinks further, and never enlarges.
func TestInputScale(t *testing.T) {
	for _, c := range []struct {
		w, h, max int
		o         Options
		want      float32
	}{
		{250, 250, 640, Options{}, 1},
		{250, 250, 640, Options{FaceSize: 40}, 0.5},
		{250, 250, 640, Options{FaceSize: 80}, 0.25},
		{250, 250, 640, Options{FaceSize: 10}, 1},
		{250, 250, 640, Options{Scale: 0.75, FaceSize: 80}, 0.25},
		{250, 250, 640, Options{Scale: 0.25, FaceSize: 40}, 0.25},
		{4000, 3000, 640, Options{FaceSize: 40}, 0.16},
		{1280, 960, 640, Options{FaceSize: 40}, 0.5},
		{1000, 750, 640, Options{FaceSize: 40}, 0.5},
	} {
		if got := InputScale(c.w, c.h, c.max, c.o); got != c.want {
			t.Errorf("InputScale(%d,%d,%d,%+v)=%v want %v", c.w, c.h, c.max, c.o, got, c.want)
		}
	}
}
