package quality

import (
	"testing"

	"github.com/mienhq/mien/face"
)

// TestGreyscale: a colour scene is not greyscale; the same scene turned
// grey is, also after a JPEG round trip (chroma rounding); an empty box is not.
func TestGreyscale(t *testing.T) {
	src := toFace(scene(128, 128, 6))
	if Greyscale(src, whole(src)) {
		t.Error("a colour scene reads as greyscale")
	}
	grey := face.NewImage(src.W, src.H)
	for i := 0; i < len(src.Pix); i += 3 {
		y := uint8((299*int(src.Pix[i]) + 587*int(src.Pix[i+1]) + 114*int(src.Pix[i+2])) / 1000)
		grey.Pix[i], grey.Pix[i+1], grey.Pix[i+2] = y, y, y
	}
	if !Greyscale(grey, whole(grey)) {
		t.Error("a grey scene does not read as greyscale")
	}
	// through JPEG (4:2:0 chroma) and back
	rgba := faceToRGBA(grey)
	if g := toFace(jpegRoundTrip(t, rgba, 80)); !Greyscale(g, whole(g)) {
		t.Error("a grey scene after JPEG does not read as greyscale")
	}
	if Greyscale(src, face.Rect{Min: face.Point{X: 200, Y: 200}, Max: face.Point{X: 300, Y: 300}}) {
		t.Error("an empty box reads as greyscale")
	}
}
