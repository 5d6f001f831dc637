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
// c, or a magnification by 1/(1-k)
// at c fading to none at R when k is set.
type control struct {
	cx, cy, r2 float32
	mx, my, k  float32
}

// warpScratch holds the local warps' controls and their displacement
// field sampled every gridStep pixels.
type warpScratch struct {
	ctl      []control
	moved    []face.Point
	gx, gy   []float32
	gw, gh   int
	gx0, gy0 int
}

// gridStep is the spacing of the displacement field's samples; the field
// is smooth over a radius of a third of the eye distance or more, and
// interpolating it costs a fraction of evaluating every control per pixel.
const gridStep = 4

// field samples the controls' offsets on the grid covering the box.
func (ws *warpScratch) field(x0, y0, x1, y1 int) {
	ws.gx0, ws.gy0 = x0, y0
	ws.gw, ws.gh = (x1-x0)/gridStep+2, (y1-y0)/gridStep+2
	n := ws.gw * ws.gh
	ws.gx, ws.gy = grow(ws.gx, n), grow(ws.gy, n)
	for j := 0; j < ws.gh; j++ {
		for i := 0; i < ws.gw; i++ {
			ws.gx[j*ws.gw+i], ws.gy[j*ws.gw+i] = offset(ws.ctl, float32(x0+i*gridStep)+0.5, float32(y0+j*gridStep)+0.5)
		}
	}
}

// apply resamples img from src through the interpolated field, cell by
// cell, skipping cells whose four corners do not move.
func (ws *warpScratch) apply(img, src *face.Image, x0, y0, x1, y1 int) {
	const g = gridStep
	for j := 0; j+1 < ws.gh; j++ {
		for i := 0; i+1 < ws.gw; i++ {
			k := j*ws.gw + i
			c := [4]int{k, k + 1, k + ws.gw, k + ws.gw + 1}
			still := true
			for _, q := range c {
				if ws.gx[q]*ws.gx[q]+ws.gy[q]*ws.gy[q] > 1e-4 {
					still = false
				}
			}
			if still {
				continue
			}
			for y := y0 + j*g; y < min(y0+(j+1)*g, y1); y++ {
				fy := float32(y-y0-j*g) / g
				row := img.Pix[3*y*img.W:]
				for x := x0 + i*g; x < min(x0+(i+1)*g, x1); x++ {
					fx := float32(x-x0-i*g) / g
					w00, w01, w10, w11 := (1-fx)*(1-fy), fx*(1-fy), (1-fx)*fy, fx*fy
					dx := w00*ws.gx[c[0]] + w01*ws.gx[c[1]] + w10*ws.gx[c[2]] + w11*ws.gx[c[3]]
					dy := w00*ws.gy[c[0]] + w01*ws.gy[c[1]] + w10*ws.gy[c[2]] + w11*ws.gy[c[3]]
					bilinear(src, float32(x)+dx, float32(y)+dy, row[3*x:3*x+3])
				}
			}
		}
	}
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
	if x1 <= x0 || y1 <= y0 { // the face is outside the frame
		return f
	}
	copy(r.tmp.Pix, img.Pix)
	ws.field(x0, y0, x1, y1)
	ws.apply(img, r.tmp, x0, y0, x1, y1)
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

// offset is where pixel (x, y) samples from, relative to itself: the
// translations' backward displacements, each fading as (1 - d^2/R^2)^2 and
// averaged where they overlap (so neighbouring jaw points do not add up),
// plus the magnifications' pull towards their centres.
func offset(ctl []control, x, y float32) (dx, dy float32) {
	var tx, ty, tw float32
	for _, c := range ctl {
		ux, uy := x-c.cx, y-c.cy
		d2 := ux*ux + uy*uy
		if d2 >= c.r2 {
			continue
		}
		f := 1 - d2/c.r2
		if c.k != 0 {
			s := c.k * f
			dx -= s * ux
			dy -= s * uy
			continue
		}
		w := f * f
		tx += w * c.mx
		ty += w * c.my
		tw += w
	}
	if tw > 1 {
		tx, ty = tx/tw, ty/tw
	}
	return dx - tx, dy - ty
}
