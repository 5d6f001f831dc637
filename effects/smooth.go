package effects

import (
	"math"

	"github.com/mienhq/mien/face"
)

// Regions kept sharp by the skin smoothing (MediaPipe mesh outlines) and how
// much each is grown about its centre before it is cut out of the skin.
var (
	eyeL  = []int{33, 246, 161, 160, 159, 158, 157, 173, 133, 155, 154, 153, 145, 144, 163, 7}
	eyeR  = []int{263, 466, 388, 387, 386, 385, 384, 398, 362, 382, 381, 380, 374, 373, 390, 249}
	browL = []int{70, 63, 105, 66, 107, 55, 65, 52, 53, 46}
	browR = []int{300, 293, 334, 296, 336, 285, 295, 282, 283, 276}
	lips  = []int{61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291, 375, 321, 405, 314, 17, 84, 181, 91, 146}
	sharp = []struct {
		idx  []int
		grow float32
	}{{eyeL, 1.7}, {eyeR, 1.7}, {browL, 1.35}, {browR, 1.35}, {lips, 1.12}}
)

// smoothScratch holds the skin smoothing's buffers (half resolution).
type smoothScratch struct {
	mask, i, ii []float32
	a, b        [3][]float32
	sum         []float64
}

// SmoothSkin smooths the skin of the face f in img with strength s (0..1):
// a guided filter (edge-preserving) blended in through a feathered mask of
// the face oval with the eyes, brows and lips cut out, so these stay sharp.
// Pixels outside the face are untouched.
func SmoothSkin(img *face.Image, f *Face, s float64) {
	if img.Valid() != nil || f.Valid() != nil {
		return
	}
	var r Renderer
	r.smoothSkin(img, f, clamp01(s))
}

// smoothSkin runs the fast guided filter (He and Sun, 2015): the filter's
// coefficients and the mask are computed at half resolution and
// interpolated back, which costs a quarter of the full-resolution filter
// and looks the same on skin.
func (r *Renderer) smoothSkin(img *face.Image, f *Face, s float64) {
	fr := faceFrame(f)
	if !fr.usable || s <= 0 {
		return
	}
	oval := pick(f.Points, faceOval, 0.94) // in from the outline: hair and background stay out
	x0, y0, x1, y1 := bbox(oval, img.W, img.H)
	x0, y0 = x0&^1, y0&^1
	w, h := x1-x0, y1-y0
	if w < 8 || h < 8 {
		return
	}
	w2, h2 := (w+1)/2, (h+1)/2
	sc := &r.smooth
	n := w2 * h2
	sc.mask = grow(sc.mask, n)
	clear(sc.mask)
	off := face.Point{X: float32(x0), Y: float32(y0)}
	fillMask(sc.mask, w2, h2, half(shift(oval, off)), 1)
	for _, k := range sharp {
		fillMask(sc.mask, w2, h2, half(shift(pick(f.Points, k.idx, k.grow), off)), 0)
	}
	sc.sum = growF64(sc.sum, (w2+1)*(h2+1))
	feather := max(1, int(fr.along/20))
	boxFilter(sc.mask, sc.mask, w2, h2, feather, sc.sum)
	boxFilter(sc.mask, sc.mask, w2, h2, feather, sc.sum)
	for _, k := range sharp { // the feathering must not reach into the features themselves
		fillMask(sc.mask, w2, h2, half(shift(pick(f.Points, k.idx, 1+0.6*(k.grow-1)), off)), 0)
	}
	radius := max(1, int(fr.along/18))
	for c := 0; c < 3; c++ {
		coefficients(sc, img, x0, y0, w2, h2, c, radius, 18*18)
	}
	blendGuided(sc, img, x0, y0, w, h, w2, h2, float32(s))
}

// half scales polygon coordinates to the half-resolution grid.
func half(pts []face.Point) []face.Point {
	for i := range pts {
		pts[i] = pts[i].Mul(0.5)
	}
	return pts
}

// coefficients computes the self-guided filter's a and b of channel c at
// half resolution over the box at (x0, y0).
func coefficients(sc *smoothScratch, img *face.Image, x0, y0, w2, h2, c, radius int, eps float32) {
	n := w2 * h2
	sc.i, sc.ii = grow(sc.i, n), grow(sc.ii, n)
	sc.a[c], sc.b[c] = grow(sc.a[c], n), grow(sc.b[c], n)
	for y := 0; y < h2; y++ {
		ya, yb := min(y0+2*y, img.H-1), min(y0+2*y+1, img.H-1)
		ra, rb := img.Pix[3*ya*img.W:], img.Pix[3*yb*img.W:]
		for x := 0; x < w2; x++ {
			xa, xb := min(x0+2*x, img.W-1), min(x0+2*x+1, img.W-1)
			v := (float32(ra[3*xa+c]) + float32(ra[3*xb+c]) + float32(rb[3*xa+c]) + float32(rb[3*xb+c])) / 4
			sc.i[y*w2+x], sc.ii[y*w2+x] = v, v*v
		}
	}
	a, b := sc.a[c], sc.b[c]
	boxFilter(a, sc.i, w2, h2, radius, sc.sum)
	boxFilter(b, sc.ii, w2, h2, radius, sc.sum)
	for k := 0; k < n; k++ {
		m := a[k]
		v := b[k] - m*m
		ak := v / (v + eps)
		a[k], b[k] = ak, m-ak*m
	}
	boxFilter(a, a, w2, h2, radius, sc.sum)
	boxFilter(b, b, w2, h2, radius, sc.sum)
}

// blendGuided interpolates the mask and coefficients back to full
// resolution and blends the filtered pixel in by mask times strength.
func blendGuided(sc *smoothScratch, img *face.Image, x0, y0, w, h, w2, h2 int, s float32) {
	for y := 0; y < h; y++ {
		v := min(max((float32(y)+0.5)/2-0.5, 0), float32(h2-1))
		j0 := int(v)
		j1, fy := min(j0+1, h2-1), v-float32(j0)
		row := img.Pix[3*((y0+y)*img.W+x0):]
		for x := 0; x < w; x++ {
			u := min(max((float32(x)+0.5)/2-0.5, 0), float32(w2-1))
			i0 := int(u)
			i1, fx := min(i0+1, w2-1), u-float32(i0)
			k00, k01, k10, k11 := j0*w2+i0, j0*w2+i1, j1*w2+i0, j1*w2+i1
			w00, w01, w10, w11 := (1-fx)*(1-fy), fx*(1-fy), (1-fx)*fy, fx*fy
			m := s * (w00*sc.mask[k00] + w01*sc.mask[k01] + w10*sc.mask[k10] + w11*sc.mask[k11])
			if m <= 0.004 {
				continue
			}
			for c := 0; c < 3; c++ {
				a, b := sc.a[c], sc.b[c]
				A := w00*a[k00] + w01*a[k01] + w10*a[k10] + w11*a[k11]
				B := w00*b[k00] + w01*b[k01] + w10*b[k10] + w11*b[k11]
				p := float32(row[3*x+c])
				row[3*x+c] = clampU8(p + m*(A*p+B-p))
			}
		}
	}
}

// boxFilter writes the mean of src over (2r+1)^2 windows (clipped at the
// edges) into dst; dst may be src. sum holds (w+1)*(h+1) values.
func boxFilter(dst, src []float32, w, h, r int, sum []float64) {
	W := w + 1
	for x := 0; x <= w; x++ {
		sum[x] = 0
	}
	for y := 0; y < h; y++ {
		var acc float64
		sum[(y+1)*W] = 0
		for x := 0; x < w; x++ {
			acc += float64(src[y*w+x])
			sum[(y+1)*W+x+1] = sum[y*W+x+1] + acc
		}
	}
	for y := 0; y < h; y++ {
		ya, yb := max(0, y-r), min(h, y+r+1)
		for x := 0; x < w; x++ {
			xa, xb := max(0, x-r), min(w, x+r+1)
			s := sum[yb*W+xb] - sum[ya*W+xb] - sum[yb*W+xa] + sum[ya*W+xa]
			dst[y*w+x] = float32(s / float64((yb-ya)*(xb-xa)))
		}
	}
}

// fillMask sets the mask to v inside poly (pixel centres, even-odd).
func fillMask(mask []float32, w, h int, poly []face.Point, v float32) {
	_, y0, _, y1 := bbox(poly, w, h)
	var xs []float32
	for y := y0; y < y1; y++ {
		xs = crossings(xs[:0], poly, float32(y)+0.5)
		for k := 0; k+1 < len(xs); k += 2 {
			a := max(0, int(math.Ceil(float64(xs[k]-0.5))))
			b := min(w-1, int(math.Floor(float64(xs[k+1]-0.5))))
			for x := a; x <= b; x++ {
				mask[y*w+x] = v
			}
		}
	}
}

// pick returns the mesh points idx, grown about their centroid by g.
func pick(pts []face.Point, idx []int, g float32) []face.Point {
	c := mean(pts, idx...)
	out := make([]face.Point, len(idx))
	for i, k := range idx {
		out[i] = face.Point{X: c.X + g*(pts[k].X-c.X), Y: c.Y + g*(pts[k].Y-c.Y)}
	}
	return out
}

func shift(pts []face.Point, by face.Point) []face.Point {
	for i := range pts {
		pts[i] = pts[i].Sub(by)
	}
	return pts
}

func grow(b []float32, n int) []float32 {
	if cap(b) < n {
		return make([]float32, n)
	}
	return b[:n]
}

func growF64(b []float64, n int) []float64 {
	if cap(b) < n {
		return make([]float64, n)
	}
	return b[:n]
}

func clampU8(v float32) uint8 {
	if v <= 0 {
		return 0
	}
	if v >= 255 {
		return 255
	}
	return uint8(v + 0.5)
}
