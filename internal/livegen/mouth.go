package livegen

import (
	"math"

	"github.com/mienhq/mien/face"
)

// innerLips is the mesh's inner lip contour, in order (MediaPipe indices:
// the upper lip from the image-left corner, then the lower lip back).
var innerLips = []int{78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308, 324, 318, 402, 317, 14, 87, 178, 88, 95}

// Mouth interior colours: the upper teeth, the dark of the mouth, the
// tongue (8-bit RGB).
var (
	teethRGB  = [3]float64{212, 204, 190}
	cavityRGB = [3]float64{34, 14, 17}
	tongueRGB = [3]float64{128, 58, 62}
)

// MouthInterior paints what an opened mouth shows between the posed inner
// lips (pts, the 468 posed mesh points): the upper teeth as a pale band
// under the upper lip, the dark of the mouth, the tongue at the bottom, with
// edges softened over a pixel and a half. rest is the inner lips' gap at
// rest, in pixels: nothing is painted until the lips part by more than
// that, and teeth and tongue fade in over the first tenth of a mouth width.
// effects.Puppet.Warp fills the opening with one flat dark colour, which
// the mesh reads as stretched lips rather than an open mouth.
func MouthInterior(dst *face.Image, pts []face.Point, rest float64) {
	if len(pts) < 468 {
		return
	}
	mw := float64(pts[61].Dist(pts[291]))
	gap := float64(pts[13].Dist(pts[14])) - rest
	if mw <= 0 || gap < 1 {
		return
	}
	show := math.Min(1, gap/(0.1*mw))
	poly := make([]face.Point, len(innerLips))
	for i, k := range innerLips {
		poly[i] = pts[k]
	}
	x0, y0, x1, y1 := polyBox(poly, dst.W, dst.H)
	var xs, ys []float64
	for x := x0; x <= x1; x++ {
		ys = cross(ys[:0], poly, float64(x)+0.5, true)
		if len(ys) < 2 {
			continue
		}
		top, bot := ys[0], ys[len(ys)-1]
		for y := y0; y <= y1; y++ {
			fy := float64(y) + 0.5
			if fy <= top || fy >= bot {
				continue
			}
			xs = cross(xs[:0], poly, fy, false)
			if len(xs) < 2 {
				continue
			}
			l, r := xs[0], xs[len(xs)-1]
			fx := float64(x) + 0.5
			if fx <= l || fx >= r {
				continue
			}
			edge := math.Min(math.Min(fx-l, r-fx), math.Min(fy-top, bot-fy))
			alpha := math.Min(1, edge/1.5)
			u := (fx - (l+r)/2) / math.Max((r-l)/2, 1)
			v := (fy - top) / math.Max(bot-top, 1)
			c := interior(u, v, show)
			p := dst.Pix[3*(y*dst.W+x):]
			for ch := range 3 {
				p[ch] = uint8(float64(p[ch])*(1-alpha) + c[ch]*alpha + 0.5)
			}
		}
	}
}

// interior is the colour at (u, v) inside the opening: u from -1 (left
// corner) to 1, v from 0 (upper lip) to 1 (lower lip); show (0..1) fades
// teeth and tongue in.
func interior(u, v, show float64) [3]float64 {
	c := cavityRGB
	mix := func(to [3]float64, a float64) {
		for i := range c {
			c[i] += (to[i] - c[i]) * a
		}
	}
	if au := math.Abs(u); au < 0.8 {
		// the teeth's lower edge, a little lower in the middle
		edge := 0.2 + 0.06*(1-au)
		mix(teethRGB, show*clamp01((edge-v)/0.05)*(1-0.45*au))
	}
	mix(tongueRGB, show*0.8*clamp01((v-0.72)/0.12)*clamp01((0.9-math.Abs(u))/0.2))
	return c
}

func clamp01(v float64) float64 { return math.Min(1, math.Max(0, v)) }

// polyBox is poly's bounding box in whole pixels, clipped to w x h.
func polyBox(poly []face.Point, w, h int) (x0, y0, x1, y1 int) {
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, p := range poly {
		minX, maxX = math.Min(minX, float64(p.X)), math.Max(maxX, float64(p.X))
		minY, maxY = math.Min(minY, float64(p.Y)), math.Max(maxY, float64(p.Y))
	}
	x0, y0 = max(0, int(math.Floor(minX))), max(0, int(math.Floor(minY)))
	x1, y1 = min(w-1, int(math.Ceil(maxX))), min(h-1, int(math.Ceil(maxY)))
	return x0, y0, x1, y1
}

// cross appends the sorted positions where the line at c crosses poly: a
// vertical line x = c (the y values) when vertical, else a horizontal
// line y = c (the x values).
func cross(out []float64, poly []face.Point, c float64, vertical bool) []float64 {
	n := len(poly)
	for i := range n {
		ax, ay := float64(poly[i].X), float64(poly[i].Y)
		bx, by := float64(poly[(i+1)%n].X), float64(poly[(i+1)%n].Y)
		if vertical {
			ax, ay, bx, by = ay, ax, by, bx
		}
		if (ay <= c) == (by <= c) {
			continue
		}
		out = append(out, ax+(c-ay)*(bx-ax)/(by-ay))
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}
