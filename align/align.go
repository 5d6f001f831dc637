// Package align maps a face onto the ArcFace 112x112 template with a
// similarity transform estimated by least squares over the five landmarks.
// It is pure Go and safe for concurrent use.
package align

import (
	"fmt"
	"math"

	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/raster"
)

// Size is the side of the aligned crop in pixels.
const Size = 112

// Template is the ArcFace five-point template for a 112x112 crop, in the
// order of face.Landmarks5.
var Template = face.Landmarks5{
	{X: 38.2946, Y: 51.6963},
	{X: 73.5318, Y: 51.5014},
	{X: 56.0252, Y: 71.7366},
	{X: 41.5493, Y: 92.3655},
	{X: 70.7299, Y: 92.2041},
}

// Similarity is a rotation, uniform scale and translation:
// (x, y) -> (A*x - B*y + TX, B*x + A*y + TY).
type Similarity struct{ A, B, TX, TY float64 }

// Affine returns the transform as a raster.Affine.
func (s Similarity) Affine() raster.Affine {
	return raster.Affine{float32(s.A), float32(-s.B), float32(s.TX), float32(s.B), float32(s.A), float32(s.TY)}
}

// Scale returns the transform's scale factor.
func (s Similarity) Scale() float64 { return math.Hypot(s.A, s.B) }

// Estimate returns the similarity transform that maps src onto dst with the
// least squared error (the closed form of Umeyama's method for 2-D points,
// reflections excluded).
func Estimate(src, dst []face.Point) (Similarity, error) {
	n := len(src)
	if n < 2 || n != len(dst) {
		return Similarity{}, fmt.Errorf("align: need at least 2 matching point pairs, got %d and %d", len(src), len(dst))
	}
	var sx, sy, dx, dy float64
	for i := range src {
		sx += float64(src[i].X)
		sy += float64(src[i].Y)
		dx += float64(dst[i].X)
		dy += float64(dst[i].Y)
	}
	fn := float64(n)
	sx, sy, dx, dy = sx/fn, sy/fn, dx/fn, dy/fn
	var num1, num2, den float64
	for i := range src {
		px, py := float64(src[i].X)-sx, float64(src[i].Y)-sy
		qx, qy := float64(dst[i].X)-dx, float64(dst[i].Y)-dy
		num1 += px*qx + py*qy
		num2 += px*qy - py*qx
		den += px*px + py*py
	}
	if den < 1e-9 {
		return Similarity{}, fmt.Errorf("align: source points coincide")
	}
	a, b := num1/den, num2/den
	return Similarity{A: a, B: b, TX: dx - (a*sx - b*sy), TY: dy - (b*sx + a*sy)}, nil
}

// Transform returns the similarity mapping the landmarks onto the template.
func Transform(l face.Landmarks5) (Similarity, error) {
	return Estimate(l[:], Template[:])
}

// Crop writes the aligned 112x112 face into dst (allocated when nil or of the
// wrong size) and returns it.
func Crop(dst, src *face.Image, l face.Landmarks5) (*face.Image, error) {
	t, err := Transform(l)
	if err != nil {
		return nil, err
	}
	inv, err := t.Affine().Invert()
	if err != nil {
		return nil, fmt.Errorf("align: %w", err)
	}
	if dst == nil || dst.W != Size || dst.H != Size || len(dst.Pix) != 3*Size*Size {
		dst = face.NewImage(Size, Size)
	}
	raster.Warp(dst, src, inv)
	return dst, nil
}
