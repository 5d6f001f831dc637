// Package raster holds the pixel operations the stages share: resizing,
// affine warps into caller-owned buffers, flips, and packing an image into a
// float32 tensor with a model's layout, channel order and normalisation.
// It is pure Go and every function is safe for concurrent use on distinct
// destination buffers.
package raster

import (
	"fmt"
	"math"

	"github.com/mienhq/mien/face"
)

// Affine is a 2x3 matrix mapping (x, y) to (A*x + B*y + C, D*x + E*y + F).
type Affine [6]float32

// Apply maps a point.
func (m Affine) Apply(p face.Point) face.Point {
	return face.Point{X: m[0]*p.X + m[1]*p.Y + m[2], Y: m[3]*p.X + m[4]*p.Y + m[5]}
}

// Invert returns the inverse transform, or an error when m is singular.
func (m Affine) Invert() (Affine, error) {
	det := float64(m[0])*float64(m[4]) - float64(m[1])*float64(m[3])
	if math.Abs(det) < 1e-12 {
		return Affine{}, fmt.Errorf("raster: affine transform is singular")
	}
	a, b, c := float64(m[0]), float64(m[1]), float64(m[2])
	d, e, f := float64(m[3]), float64(m[4]), float64(m[5])
	return Affine{
		float32(e / det), float32(-b / det), float32((b*f - c*e) / det),
		float32(-d / det), float32(a / det), float32((c*d - a*f) / det),
	}, nil
}

// Warp fills dst by sampling src bilinearly at inv(p) for every destination
// pixel p, where inv maps destination coordinates to source coordinates.
// Samples outside src are black.
func Warp(dst, src *face.Image, inv Affine) {
	for y := 0; y < dst.H; y++ {
		fy := float32(y) + 0.5
		row := dst.Pix[3*y*dst.W : 3*(y+1)*dst.W]
		for x := 0; x < dst.W; x++ {
			fx := float32(x) + 0.5
			sx := inv[0]*fx + inv[1]*fy + inv[2] - 0.5
			sy := inv[3]*fx + inv[4]*fy + inv[5] - 0.5
			sample(src, sx, sy, row[3*x:3*x+3])
		}
	}
}

// sample writes the bilinear sample of src at (sx, sy) into out[0:3].
func sample(src *face.Image, sx, sy float32, out []uint8) {
	x0f := float32(math.Floor(float64(sx)))
	y0f := float32(math.Floor(float64(sy)))
	x0, y0 := int(x0f), int(y0f)
	ax, ay := sx-x0f, sy-y0f
	if x0 >= 0 && y0 >= 0 && x0+1 < src.W && y0+1 < src.H {
		i := 3 * (y0*src.W + x0)
		j := i + 3*src.W
		p := src.Pix
		w00, w01 := (1-ax)*(1-ay), ax*(1-ay)
		w10, w11 := (1-ax)*ay, ax*ay
		for c := 0; c < 3; c++ {
			v := w00*float32(p[i+c]) + w01*float32(p[i+3+c]) + w10*float32(p[j+c]) + w11*float32(p[j+3+c])
			out[c] = uint8(v + 0.5)
		}
		return
	}
	var acc [3]float32
	for dy := 0; dy < 2; dy++ {
		for dx := 0; dx < 2; dx++ {
			x, y := x0+dx, y0+dy
			if x < 0 || y < 0 || x >= src.W || y >= src.H {
				continue
			}
			w := (1 - ax) * (1 - ay)
			if dx == 1 {
				w = ax * (1 - ay)
			}
			if dy == 1 {
				w = (1 - ax) * ay
				if dx == 1 {
					w = ax * ay
				}
			}
			i := 3 * (y*src.W + x)
			for c := 0; c < 3; c++ {
				acc[c] += w * float32(src.Pix[i+c])
			}
		}
	}
	for c := 0; c < 3; c++ {
		out[c] = uint8(acc[c] + 0.5)
	}
}

// Resize returns src scaled to w x h. Downscaling by more than 2x first
// averages pixel blocks so that small faces are not aliased away.
func Resize(src *face.Image, w, h int) *face.Image {
	for src.W >= 2*w && src.H >= 2*h {
		src = halve(src)
	}
	dst := face.NewImage(w, h)
	sx, sy := float32(src.W)/float32(w), float32(src.H)/float32(h)
	Warp(dst, src, Affine{sx, 0, 0, 0, sy, 0})
	return dst
}

// halve averages 2x2 blocks.
func halve(src *face.Image) *face.Image {
	w, h := src.W/2, src.H/2
	dst := face.NewImage(w, h)
	for y := 0; y < h; y++ {
		r0 := src.Pix[3*(2*y)*src.W:]
		r1 := src.Pix[3*(2*y+1)*src.W:]
		d := dst.Pix[3*y*w:]
		for x := 0; x < w; x++ {
			i := 6 * x
			for c := 0; c < 3; c++ {
				s := uint16(r0[i+c]) + uint16(r0[i+3+c]) + uint16(r1[i+c]) + uint16(r1[i+3+c])
				d[3*x+c] = uint8((s + 2) / 4)
			}
		}
	}
	return dst
}

// Crop returns the region r of src resampled to w x h (regions outside src are black).
func Crop(src *face.Image, r face.Rect, w, h int) *face.Image {
	dst := face.NewImage(w, h)
	sx, sy := r.Dx()/float32(w), r.Dy()/float32(h)
	Warp(dst, src, Affine{sx, 0, r.Min.X, 0, sy, r.Min.Y})
	return dst
}

// FlipH returns a horizontally mirrored copy of src.
func FlipH(src *face.Image) *face.Image {
	dst := face.NewImage(src.W, src.H)
	for y := 0; y < src.H; y++ {
		s := src.Pix[3*y*src.W : 3*(y+1)*src.W]
		d := dst.Pix[3*y*src.W : 3*(y+1)*src.W]
		for x := 0; x < src.W; x++ {
			j := 3 * (src.W - 1 - x)
			d[3*x], d[3*x+1], d[3*x+2] = s[j], s[j+1], s[j+2]
		}
	}
	return dst
}
