package quality

import (
	"math"

	"github.com/mienhq/mien/face"
)

// Greyscale reports whether a face's box has no colour: the mean distance
// of its pixels from grey (|R-G| + |G-B| + |B-R|, over 2) is under 2 levels
// (a colour camera's skin is 20 or more; a JPEG's chroma rounding leaves a
// grey frame under 1). A greyscale or infrared camera gives such frames,
// and the anti-spoof models, trained on colour, score every one of them as
// an attack. false when the box (clamped) is empty.
func Greyscale(img *face.Image, box face.Rect) bool {
	x0, y0, x1, y1, ok := pixelBox(img, box)
	if !ok {
		return false
	}
	var sum float64
	for y := y0; y < y1; y++ {
		row := img.Pix[3*(y*img.W+x0) : 3*(y*img.W+x1)]
		for i := 0; i < len(row); i += 3 {
			r, g, b := int(row[i]), int(row[i+1]), int(row[i+2])
			sum += float64(absInt(r-g)+absInt(g-b)+absInt(b-r)) / 2
		}
	}
	return sum/float64((x1-x0)*(y1-y0)) < 2
}

// pixelBox is a box's pixel bounds clamped to a valid image (the box's
// edges rounded outwards); false when the image is invalid or nothing is left.
func pixelBox(img *face.Image, box face.Rect) (x0, y0, x1, y1 int, ok bool) {
	if img == nil || img.Valid() != nil {
		return 0, 0, 0, 0, false
	}
	x0 = max(0, int(math.Floor(float64(box.Min.X))))
	y0 = max(0, int(math.Floor(float64(box.Min.Y))))
	x1 = min(img.W, int(math.Ceil(float64(box.Max.X))))
	y1 = min(img.H, int(math.Ceil(float64(box.Max.Y))))
	return x0, y0, x1, y1, x1 > x0 && y1 > y0
}

func absInt(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
