package liveness

import (
	"errors"
	"testing"

	"github.com/mienhq/mien/face"
)

func TestCropBox(t *testing.T) {
	for _, c := range []struct {
		name  string
		box   face.Rect
		w, h  int
		scale float32
		want  face.Rect
	}{
		// Centred, fits: box 100x120 at scale 2.7 -> 270x324 about (320, 240).
		{"fits", face.R(270, 180, 370, 300), 640, 480, 2.7, face.R(185, 78, 455+1, 402+1)},
		// Near the left/top edge: shifted right/down, size kept.
		{"shifted", face.R(10, 10, 110, 110), 640, 480, 2.7, face.R(0, 0, 270+1, 270+1)},
		// Near the right/bottom edge: shifted left/up to end at w-1, h-1.
		{"shifted back", face.R(560, 400, 620, 460), 640, 480, 4, face.R(639-240, 479-240, 639+1, 479+1)},
		// Scale lowered so the region fits: 479/200 < 4.
		{"scale lowered", face.R(220, 140, 420, 340), 640, 480, 4, face.R(320-239.5, 0, 320+239.5+1, 479+1)},
	} {
		got, err := CropBox(c.box, c.w, c.h, c.scale)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !near(got, c.want) {
			t.Errorf("%s: CropBox(%v) = %v, want %v", c.name, c.box, got, c.want)
		}
		if got.Min.X < 0 || got.Min.Y < 0 || got.Max.X > float32(c.w) || got.Max.Y > float32(c.h) {
			t.Errorf("%s: %v leaves the %dx%d image", c.name, got, c.w, c.h)
		}
	}
	for _, bad := range []face.Rect{{}, face.R(700, 10, 800, 100), face.R(10, 10, 10.5, 50)} {
		if _, err := CropBox(bad, 640, 480, 2.7); !errors.Is(err, ErrBadBox) {
			t.Errorf("box %v: got %v, want ErrBadBox", bad, err)
		}
	}
}

func near(a, b face.Rect) bool {
	d := func(x, y float32) bool { return x-y < 0.01 && y-x < 0.01 }
	return d(a.Min.X, b.Min.X) && d(a.Min.Y, b.Min.Y) && d(a.Max.X, b.Max.X) && d(a.Max.Y, b.Max.Y)
}
