package effects

import (
	"math"

	"github.com/mienhq/mien/face"
)

// warpTriangles draws each triangle of the control points at their target
// positions (to) with the pixels of src under their source positions
// (from), mapped by the triangle's affine map. Triangles that did not move
// keep what dst holds (callers start dst as a copy of src).
func warpTriangles(dst, src *face.Image, from, to []face.Point, tris [][3]int32) {
	for _, t := range tris {
		a, b, c := t[0], t[1], t[2]
		if moved(from[a], to[a]) || moved(from[b], to[b]) || moved(from[c], to[c]) {
			warpTriangle(dst, src, [3]face.Point{from[a], from[b], from[c]}, [3]face.Point{to[a], to[b], to[c]})
		}
	}
}

func moved(a, b face.Point) bool {
	return math.Abs(float64(a.X-b.X)) > 0.02 || math.Abs(float64(a.Y-b.Y)) > 0.02
}

// warpTriangle fills the pixels whose centres fall in triangle to with src
// sampled at the matching point of triangle from.
func warpTriangle(dst, src *face.Image, from, to [3]face.Point) {
	x0, y0 := float64(to[0].X), float64(to[0].Y)
	e1x, e1y := float64(to[1].X)-x0, float64(to[1].Y)-y0
	e2x, e2y := float64(to[2].X)-x0, float64(to[2].Y)-y0
	det := e1x*e2y - e2x*e1y
	if math.Abs(det) < 1e-6 {
		return
	}
	// barycentric (u, v) of a point: solve p - to0 = u*e1 + v*e2
	bx0, by0, bx1, by1 := bbox(to[:], dst.W, dst.H)
	f1x, f1y := float64(from[1].X-from[0].X), float64(from[1].Y-from[0].Y)
	f2x, f2y := float64(from[2].X-from[0].X), float64(from[2].Y-from[0].Y)
	const eps = -1e-6
	for y := by0; y < by1; y++ {
		py := float64(y) + 0.5 - y0
		row := dst.Pix[3*y*dst.W:]
		for x := bx0; x < bx1; x++ {
			px := float64(x) + 0.5 - x0
			u := (px*e2y - e2x*py) / det
			v := (e1x*py - px*e1y) / det
			if u < eps || v < eps || u+v > 1-eps {
				continue
			}
			sx := float64(from[0].X) + u*f1x + v*f2x
			sy := float64(from[0].Y) + u*f1y + v*f2y
			bilinear(src, float32(sx-0.5), float32(sy-0.5), row[3*x:3*x+3])
		}
	}
}

// bilinear writes src's bilinear sample at (sx, sy) into out, clamping
// to the border.
func bilinear(src *face.Image, sx, sy float32, out []uint8) {
	sx = min(max(sx, 0), float32(src.W-1))
	sy = min(max(sy, 0), float32(src.H-1))
	x0, y0 := int(sx), int(sy)
	x1, y1 := min(x0+1, src.W-1), min(y0+1, src.H-1)
	ax, ay := sx-float32(x0), sy-float32(y0)
	i00, i01 := 3*(y0*src.W+x0), 3*(y0*src.W+x1)
	i10, i11 := 3*(y1*src.W+x0), 3*(y1*src.W+x1)
	p := src.Pix
	w00, w01, w10, w11 := (1-ax)*(1-ay), ax*(1-ay), (1-ax)*ay, ax*ay
	for c := 0; c < 3; c++ {
		v := w00*float32(p[i00+c]) + w01*float32(p[i01+c]) + w10*float32(p[i10+c]) + w11*float32(p[i11+c])
		out[c] = uint8(v + 0.5)
	}
}

// mouthOpen is the inner-lip gap over the mouth width (as mesh.Signals).
func mouthOpen(pts []face.Point) float32 {
	w := pts[61].Dist(pts[291])
	if w <= 0 {
		return 0
	}
	return pts[13].Dist(pts[14]) / w
}

// mouthFill is the colour of an open mouth's interior.
var mouthFill = [3]float32{38, 16, 20}

// fillMouth darkens the interior of the moved mouth when it is open wider
// than the portrait's mouth at rest, so the stretched lip pixels do not show.
func fillMouth(dst *face.Image, moved, rest []face.Point) {
	open, was := mouthOpen(moved), mouthOpen(rest)
	if open < 0.06 || open <= was+0.02 {
		return
	}
	alpha := float32(math.Min(1, float64(open-was)/0.08)) * 0.92
	poly := make([]face.Point, len(innerLips))
	for i, k := range innerLips {
		poly[i] = moved[k]
	}
	fillPolygon(dst, poly, mouthFill, alpha)
}

// fillPolygon blends colour c at alpha over the pixels whose centres are
// inside poly (even-odd rule).
func fillPolygon(dst *face.Image, poly []face.Point, c [3]float32, alpha float32) {
	_, y0, _, y1 := bbox(poly, dst.W, dst.H)
	xs := make([]float32, 0, 8)
	for y := y0; y < y1; y++ {
		fy := float32(y) + 0.5
		xs = crossings(xs[:0], poly, fy)
		for k := 0; k+1 < len(xs); k += 2 {
			a := max(0, int(math.Ceil(float64(xs[k]-0.5))))
			b := min(dst.W-1, int(math.Floor(float64(xs[k+1]-0.5))))
			for x := a; x <= b; x++ {
				p := dst.Pix[3*(y*dst.W+x):]
				for ch := 0; ch < 3; ch++ {
					p[ch] = uint8(float32(p[ch])*(1-alpha) + c[ch]*alpha + 0.5)
				}
			}
		}
	}
}

// crossings appends the sorted x where the horizontal line at y crosses poly.
func crossings(xs []float32, poly []face.Point, y float32) []float32 {
	n := len(poly)
	for i := 0; i < n; i++ {
		a, b := poly[i], poly[(i+1)%n]
		if (a.Y <= y) == (b.Y <= y) {
			continue
		}
		xs = append(xs, a.X+(y-a.Y)*(b.X-a.X)/(b.Y-a.Y))
	}
	for i := 1; i < len(xs); i++ { // insertion sort: a handful of values
		for j := i; j > 0 && xs[j] < xs[j-1]; j-- {
			xs[j], xs[j-1] = xs[j-1], xs[j]
		}
	}
	return xs
}
