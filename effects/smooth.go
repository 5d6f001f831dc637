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

// smoothScratch holds the skin smoothing's buffers.
type smoothScratch struct {
	mask, tmp           []float32
	i, ii, a, b, fa, fb []float32
	sum                 []float64
}

// SmoothSkin smooths the skin of the face f in img with strength s (0..1):
// a guided filter (edge-preserving) blended in through a feathered mask of
// the face oval with the eyes, brows and lips cut out, so these
// stay sharp. Pixels outside the face are untouched.
func SmoothSkin(img *face.Image, f *Face, s float64) {
	if img.Valid() != nil || f.Valid() != nil {
		return
	}
	var r Renderer
	r.smoothSkin(img, f, clamp01(s))
}

func (r *Renderer) smoothSkin(img *face.Image, f *Face, s float64) {
	fr := faceFrame(f)
	if !fr.usable || s <= 0 {
		return
	}
	oval := pick(f.Points, faceOval, 1)
	x0, y0, x1, y1 := bbox(oval, img.W, img.H)
	w, h := x1-x0, y1-y0
	if w < 8 || h < 8 {
		return
	}
	sc := &r.smooth
	sc.mask = grow(sc.mask, w*h)
	clear(sc.mask)
	off := face.Point{X: float32(x0), Y: float32(y0)}
	fillMask(sc.mask, w, h, shift(oval, off), 1)
	for _, k := range sharp {
		fillMask(sc.mask, w, h, shift(pick(f.Points, k.idx, k.grow), off), 0)
	}
	feather := max(1, int(fr.along/10))
	sc.tmp = grow(sc.tmp, w*h)
	sc.sum = growF64(sc.sum, (w+1)*(h+1))
	boxFilter(sc.mask, sc.mask, w, h, feather, sc.sum)
	boxFilter(sc.mask, sc.mask, w, h, feather, sc.sum)
	radius := max(2, int(fr.along/9))
	eps := float32(22 * 22)
	for c := 0; c < 3; c++ {
		guided(sc, img, x0, y0, w, h, c, radius, eps, float32(s))
	}
}

// guided runs the self-guided filter (He et al.) on channel c of the box
// at (x0, y0) of size w x h and blends it in by the mask times strength.
func guided(sc *smoothScratch, img *face.Image, x0, y0, w, h, c, radius int, eps, s float32) {
	n := w * h
	sc.i, sc.ii = grow(sc.i, n), grow(sc.ii, n)
	sc.a, sc.b = grow(sc.a, n), grow(sc.b, n)
	for y := 0; y < h; y++ {
		row := img.Pix[3*((y0+y)*img.W+x0):]
		for x := 0; x < w; x++ {
			v := float32(row[3*x+c])
			sc.i[y*w+x], sc.ii[y*w+x] = v, v*v
		}
	}
	boxFilter(sc.a, sc.i, w, h, radius, sc.sum)  // mean I
	boxFilter(sc.b, sc.ii, w, h, radius, sc.sum) // mean I^2
	for k := 0; k < n; k++ {
		m := sc.a[k]
		v := sc.b[k] - m*m
		a := v / (v + eps)
		sc.a[k], sc.b[k] = a, m-a*m
	}
	boxFilter(sc.a, sc.a, w, h, radius, sc.sum)
	boxFilter(sc.b, sc.b, w, h, radius, sc.sum)
	for y := 0; y < h; y++ {
		row := img.Pix[3*((y0+y)*img.W+x0):]
		for x := 0; x < w; x++ {
			k := y*w + x
			m := sc.mask[k] * s
			if m <= 0 {
				continue
			}
			v := sc.i[k]
			q := sc.a[k]*v + sc.b[k]
			row[3*x+c] = clampU8(v + m*(q-v))
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
