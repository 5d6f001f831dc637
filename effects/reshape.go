package effects

import (
	"math"

	"github.com/mienhq/mien/face"
)

// Jaw and cheek points pulled in by the slimming, image-left side then
// image-right side.
var (
	slimL = []int{93, 132, 58, 172, 136}
	slimR = []int{323, 361, 288, 397, 365}
)

// Strength scales of the local warps at strength 1.
const (
	slimShift  = 0.10 // of the eye distance, per jaw point
	slimRadius = 0.65 // of the eye distance
	eyeScale   = 0.22 // the eye centre is sampled this much nearer: 1/(1-0.22) = 1.28x
	eyeRadius  = 1.3  // of the eye's corner distance
)

// control is one local warp: a translation by (mx, my) inside radius R of
// c (Gustafsson's interactive image warping), or a magnification by 1/(1-k)
// at c fading to none at R when k is set.
type control struct {
	cx, cy, r2 float32
	mx, my, k  float32
}

// warpScratch holds the local warps' controls.
type warpScratch struct {
	ctl   []control
	moved []face.Point
}

// Reshape slims the face (jaw and cheeks pulled towards the centre line,
// strength slim) and enlarges the eyes (strength eyes) in img, as local
// warps guided by the mesh, and returns the face with its points moved.
func Reshape(img *face.Image, f *Face, slim, eyes float64) Face {
	if img.Valid() != nil || f.Valid() != nil {
		return Face{}
	}
	var r Renderer
	return *r.reshape(img, f, clamp01(slim), clamp01(eyes))
}

func (r *Renderer) reshape(img *face.Image, f *Face, slim, eyes float64) *Face {
	fr := faceFrame(f)
	if !fr.usable {
		return f
	}
	ws := &r.warp
	ws.ctl = controls(ws.ctl[:0], f, fr, float32(slim), float32(eyes))
	if len(ws.ctl) == 0 {
		return f
	}
	if r.tmp == nil || r.tmp.W != img.W || r.tmp.H != img.H {
		r.tmp = face.NewImage(img.W, img.H)
	}
	var pts []face.Point
	for _, c := range ws.ctl {
		rr := float32(math.Sqrt(float64(c.r2)))
		pts = append(pts, face.Point{X: c.cx - rr, Y: c.cy - rr}, face.Point{X: c.cx + rr, Y: c.cy + rr})
	}
	x0, y0, x1, y1 := bbox(pts, img.W, img.H)
	copy(r.tmp.Pix, img.Pix)
	for y := y0; y < y1; y++ {
		row := img.Pix[3*y*img.W:]
		for x := x0; x < x1; x++ {
			px, py := float32(x)+0.5, float32(y)+0.5
			dx, dy := offset(ws.ctl, px, py)
			if dx*dx+dy*dy < 1e-4 {
				continue
			}
			bilinear(r.tmp, px+dx-0.5, py+dy-0.5, row[3*x:3*x+3])
		}
	}
	ws.moved = append(ws.moved[:0], f.Points...)
	for i, p := range ws.moved {
		dx, dy := offset(ws.ctl, p.X, p.Y)
		ws.moved[i] = face.Point{X: p.X - dx, Y: p.Y - dy}
	}
	r.moved = *f
	r.moved.Points = ws.moved
	return &r.moved
}

func controls(out []control, f *Face, fr frame, slim, eyes float32) []control {
	if slim > 0 {
		r := slimRadius * fr.along
		m := slim * slimShift * fr.along
		for _, i := range slimL {
			p := f.Points[i]
			out = append(out, control{cx: p.X, cy: p.Y, r2: r * r, mx: m * fr.ex, my: m * fr.ey})
		}
		for _, i := range slimR {
			p := f.Points[i]
			out = append(out, control{cx: p.X, cy: p.Y, r2: r * r, mx: -m * fr.ex, my: -m * fr.ey})
		}
	}
	if eyes > 0 {
		for _, e := range meshEyeCorners {
			a, b := f.Points[e[0]], f.Points[e[1]]
			c := mean(f.Points, e[0], e[1])
			r := eyeRadius * a.Dist(b)
			out = append(out, control{cx: c.X, cy: c.Y, r2: r * r, k: eyes * eyeScale})
		}
	}
	return out
}

var meshEyeCorners = [2][2]int{{33, 133}, {362, 263}}

// offset is where pixel (x, y) samples from, relative to itself: the sum
// of the controls' backward displacements.
func offset(ctl []control, x, y float32) (dx, dy float32) {
	for _, c := range ctl {
		ux, uy := x-c.cx, y-c.cy
		d2 := ux*ux + uy*uy
		if d2 >= c.r2 {
			continue
		}
		if c.k != 0 {
			s := c.k * (1 - d2/c.r2)
			dx -= s * ux
			dy -= s * uy
			continue
		}
		m2 := c.mx*c.mx + c.my*c.my
		t := (c.r2 - d2) / (c.r2 - d2 + m2)
		t *= t
		dx -= t * c.mx
		dy -= t * c.my
	}
	return dx, dy
}
