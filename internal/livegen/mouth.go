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

// lipPairs are the inner-lip points facing each other across the mouth
// (upper, lower; MediaPipe indices), from the image-left corner inwards.
var lipPairs = [][2]int{{191, 95}, {80, 88}, {81, 178}, {82, 87}, {13, 14}, {312, 317}, {311, 402}, {310, 318}, {415, 324}}

// CloseLips returns a frontal mesh with its lips closed: each inner-lip
// point meets the one facing it at their midpoint (0.02 mouth widths
// apart), and the points around
// the lips (within a lip's height) follow by a share that fades with the
// distance from the lip line and towards the corners. A photo whose mouth
// is open at rest (talking, a smile showing teeth) then starts the
// synthetic head from a closed mouth, as a subject asked to look at the
// camera does; the warp stretches the lips over the teeth.
func CloseLips(pts []face.Point) []face.Point {
	out := append([]face.Point(nil), pts...)
	if len(pts) < 468 {
		return out
	}
	mw := float64(pts[61].Dist(pts[291]))
	gap := float64(pts[14].Y - pts[13].Y)
	if mw <= 0 || gap <= 0.02*mw {
		return out
	}
	mouthY := float64(pts[13].Y+pts[14].Y) / 2
	mx := float64(pts[61].X+pts[291].X) / 2
	lip := 0.35 * mw
	inner := map[int]bool{}
	// the lips touch, a hair apart: the lower lip must stay below the lip
	// line for PoseMesh to lower it with the jaw
	eps := float32(0.01 * mw)
	for _, p := range lipPairs {
		inner[p[0]], inner[p[1]] = true, true
		mid := (pts[p[0]].Y + pts[p[1]].Y) / 2
		out[p[0]].Y, out[p[1]].Y = mid-eps, mid+eps
	}
	for i, p := range pts {
		if inner[i] {
			continue
		}
		dx, y := float64(p.X)-mx, float64(p.Y)
		e := math.Sqrt(math.Max(0, 1-(dx/(0.5*mw))*(dx/(0.5*mw))))
		if e == 0 {
			continue
		}
		switch {
		case y < mouthY && y > mouthY-gap/2-lip: // the upper lip comes down
			t := clamp01((mouthY - gap/2 - y) / lip)
			out[i].Y += float32(gap / 2 * e * (1 - t))
		case y >= mouthY && y < mouthY+gap/2+lip: // the lower lip comes up
			t := clamp01((y - mouthY - gap/2) / lip)
			out[i].Y -= float32(gap / 2 * e * (1 - t))
		}
	}
	return out
}
