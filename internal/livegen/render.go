package livegen

import (
	"math"
	"math/rand/v2"

	"github.com/mienhq/mien/face"
)

// H is a 3x3 homography, row-major, mapping sheet pixels to frame pixels.
type H [9]float64

// PlaneH is the homography of a flat sheet of Side x Side pixels, centred
// in front of a pinhole camera (focal length Side, the sheet at that
// distance filling the frame at scale 1), turned by yaw and pitch (degrees,
// about its centre, in depth), rolled in the image plane, scaled and moved
// by (tx, ty) pixels.
func PlaneH(yaw, pitch, roll, scale, tx, ty float64) H {
	const f = float64(Side)
	ry, rp, rr := yaw*math.Pi/180, pitch*math.Pi/180, roll*math.Pi/180
	// R = Rz(roll) Rx(pitch) Ry(yaw); a sheet point (a, b, 0), centred,
	// goes to R (a, b, 0) + (0, 0, f/scale), projected f x/z.
	ry3 := [9]float64{math.Cos(ry), 0, math.Sin(ry), 0, 1, 0, -math.Sin(ry), 0, math.Cos(ry)}
	rx3 := [9]float64{1, 0, 0, 0, math.Cos(rp), -math.Sin(rp), 0, math.Sin(rp), math.Cos(rp)}
	rz3 := [9]float64{math.Cos(rr), -math.Sin(rr), 0, math.Sin(rr), math.Cos(rr), 0, 0, 0, 1}
	r := mul(rz3, mul(rx3, ry3))
	z := f / scale
	c := f / 2
	// Columns of [r1 r2 t] after centring: x' = f (r0 a + r1 b)/(r6 a + r7 b + z) + c + tx.
	m := [9]float64{
		f*r[0] + (c+tx)*r[6], f*r[1] + (c+tx)*r[7], (c + tx) * z,
		f*r[3] + (c+ty)*r[6], f*r[4] + (c+ty)*r[7], (c + ty) * z,
		r[6], r[7], z,
	}
	centre := [9]float64{1, 0, -c, 0, 1, -c, 0, 0, 1}
	out := mul(m, centre)
	for i := range out {
		out[i] /= out[8]
	}
	return H(out)
}

func mul(a, b [9]float64) [9]float64 {
	var m [9]float64
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			for k := 0; k < 3; k++ {
				m[3*i+j] += a[3*i+k] * b[3*k+j]
			}
		}
	}
	return m
}

// inverse returns h's inverse (h must be invertible).
func (h H) inverse() H {
	a := h
	det := a[0]*(a[4]*a[8]-a[5]*a[7]) - a[1]*(a[3]*a[8]-a[5]*a[6]) + a[2]*(a[3]*a[7]-a[4]*a[6])
	inv := H{
		a[4]*a[8] - a[5]*a[7], a[2]*a[7] - a[1]*a[8], a[1]*a[5] - a[2]*a[4],
		a[5]*a[6] - a[3]*a[8], a[0]*a[8] - a[2]*a[6], a[2]*a[3] - a[0]*a[5],
		a[3]*a[7] - a[4]*a[6], a[1]*a[6] - a[0]*a[7], a[0]*a[4] - a[1]*a[3],
	}
	for i := range inv {
		inv[i] /= det
	}
	return inv
}

// Scene renders a frame: a plain wall with a soft light gradient, the
// sheet drawn through h (bilinear), and camera noise of standard deviation
// noise (uniform, independent per channel).
func Scene(sheet *face.Image, h H, noise float64, rng *rand.Rand) *face.Image {
	dst := face.NewImage(Side, Side)
	inv := h.inverse()
	amp := noise * math.Sqrt(3) / 32768 // uniform on [-a, a] has sd a/sqrt(3)
	for y := 0; y < Side; y++ {
		for x := 0; x < Side; x++ {
			px, py := float64(x), float64(y)
			w := inv[6]*px + inv[7]*py + inv[8]
			u, v := (inv[0]*px+inv[1]*py+inv[2])/w, (inv[3]*px+inv[4]*py+inv[5])/w
			o := 3 * (y*Side + x)
			c, ok := bilinear(sheet, u, v)
			if !ok {
				wall := 150 + 40*float64(x)/Side - 30*float64(y)/Side
				c = [3]float64{wall, wall * 0.96, wall * 0.9}
			}
			r := rng.Uint64()
			for k := 0; k < 3; k++ {
				dst.Pix[o+k] = clamp(c[k] + amp*float64(int(r>>(16*k)&0xffff)-32768))
			}
		}
	}
	return dst
}

func bilinear(img *face.Image, x, y float64) ([3]float64, bool) {
	x0, y0 := math.Floor(x), math.Floor(y)
	if x0 < 0 || y0 < 0 || int(x0)+1 >= img.W || int(y0)+1 >= img.H {
		return [3]float64{}, false
	}
	fx, fy := x-x0, y-y0
	i := 3 * (int(y0)*img.W + int(x0))
	j := i + 3*img.W
	var c [3]float64
	for k := 0; k < 3; k++ {
		a := float64(img.Pix[i+k])*(1-fx) + float64(img.Pix[i+3+k])*fx
		b := float64(img.Pix[j+k])*(1-fx) + float64(img.Pix[j+3+k])*fx
		c[k] = a*(1-fy) + b*fy
	}
	return c, true
}

func clamp(v float64) uint8 { return uint8(math.Max(0, math.Min(255, math.Round(v)))) }

// Live renders a bona fide frame of a photo on its canvas: the camera
// shake of a hand-held phone or a laptop (sub-pixel to 1.5 px moves, a
// fraction of a degree of roll, 1% of scale) and sensor noise.
func Live(canvas *face.Image, rng *rand.Rand) *face.Image {
	h := PlaneH(0, 0, rng.NormFloat64()*0.3, 1+rng.NormFloat64()*0.005, rng.NormFloat64()*0.8, rng.NormFloat64()*0.8)
	return Scene(canvas, h, 2, rng)
}

// PrintSheet renders a canvas as a photo printed on paper, as the camera
// sees it: a white margin, CMY halftone dots (screens at 15, 75 and 0
// degrees, cell 2.5-3 px: a coarse print) on warm paper, ink of limited
// density, and the camera's blur (1 px).
func PrintSheet(canvas *face.Image, rng *rand.Rand) *face.Image {
	const up = 2
	cell := 2.5 + 0.5*rng.Float64()
	margin := 0.05 + 0.03*rng.Float64()
	paper := [3]float64{246, 240, 226}
	angles := [3]float64{15, 75, 0}
	dst := face.NewImage(Side, Side)
	for y := 0; y < Side; y++ {
		for x := 0; x < Side; x++ {
			var acc [3]float64
			for s := 0; s < up*up; s++ {
				u := (float64(x) + (float64(s%up)+0.5)/up) / Side
				v := (float64(y) + (float64(s/up)+0.5)/up) / Side
				su, sv := (u-margin)/(1-2*margin)*Side-0.5, (v-margin)/(1-2*margin)*Side-0.5
				c, inside := bilinear(canvas, su, sv)
				for k := 0; k < 3; k++ {
					val := paper[k]
					if inside {
						ink := 1 - c[k]/255
						a := angles[k] * math.Pi / 180
						gx, gy := float64(x)+float64(s%up)/up, float64(y)+float64(s/up)/up
						pu, pv := math.Cos(a)*gx+math.Sin(a)*gy, -math.Sin(a)*gx+math.Cos(a)*gy
						fu, fv := pu/cell-math.Floor(pu/cell)-0.5, pv/cell-math.Floor(pv/cell)-0.5
						if math.Hypot(fu, fv) < math.Sqrt(ink/math.Pi) {
							val = paper[k] * 0.15
						}
					}
					acc[k] += val / (up * up)
				}
			}
			o := 3 * (y*Side + x)
			for k := 0; k < 3; k++ {
				dst.Pix[o+k] = clamp(acc[k])
			}
		}
	}
	return Blur(dst, 1)
}

// ScreenSheet renders a canvas as shown on a phone or monitor, as the
// camera sees it: each screen pixel (3x3 frame pixels) split into R, G and
// B stripes with a darker line between rows, a dark bezel, a blue tint, a
// glare spot, and the camera's blur (1.2 px), which leaves a faint pattern
// and colour fringes rather than visible stripes.
func ScreenSheet(canvas *face.Image, rng *rand.Rand) *face.Image {
	const pitch = 3 // screen pixels are 3x3 frame pixels
	bezel := 0.06
	gx, gy := rng.Float64()*Side, rng.Float64()*Side
	tint := [3]float64{0.9, 0.98, 1.1}
	dst := face.NewImage(Side, Side)
	for y := 0; y < Side; y++ {
		for x := 0; x < Side; x++ {
			u, v := float64(x)/Side, float64(y)/Side
			o := 3 * (y*Side + x)
			if u < bezel || v < bezel || u > 1-bezel || v > 1-bezel {
				for k := 0; k < 3; k++ {
					dst.Pix[o+k] = 20
				}
				continue
			}
			// the screen pixel this point belongs to, sampled at its centre
			sx := (math.Floor(float64(x)/pitch)*pitch + pitch/2) / Side
			sy := (math.Floor(float64(y)/pitch)*pitch + pitch/2) / Side
			c, _ := bilinear(canvas, (sx-bezel)/(1-2*bezel)*Side-0.5, (sy-bezel)/(1-2*bezel)*Side-0.5)
			row := 1.0
			if y%pitch == pitch-1 {
				row = 0.45
			}
			glare := 55 * math.Exp(-((float64(x)-gx)*(float64(x)-gx)+(float64(y)-gy)*(float64(y)-gy))/(2*Side*Side/25))
			for k := 0; k < 3; k++ {
				g := 0.55
				if k == x%pitch {
					g = 1.3
				}
				dst.Pix[o+k] = clamp(c[k]*g*row*tint[k] + glare)
			}
		}
	}
	return Blur(dst, 1.2)
}

// Blur returns img blurred by a Gaussian of standard deviation sigma
// pixels (separable, edges clamped): a camera's optics, which do not
// resolve a print's halftone dots or a screen's sub-pixels one by one.
func Blur(img *face.Image, sigma float64) *face.Image {
	r := int(math.Ceil(2.5 * sigma))
	k := make([]float64, 2*r+1)
	var sum float64
	for i := range k {
		d := float64(i - r)
		k[i] = math.Exp(-d * d / (2 * sigma * sigma))
		sum += k[i]
	}
	for i := range k {
		k[i] /= sum
	}
	pass := func(src *face.Image, dx, dy int) *face.Image {
		dst := face.NewImage(src.W, src.H)
		for y := 0; y < src.H; y++ {
			for x := 0; x < src.W; x++ {
				var c [3]float64
				for i, w := range k {
					sx := min(max(x+(i-r)*dx, 0), src.W-1)
					sy := min(max(y+(i-r)*dy, 0), src.H-1)
					o := 3 * (sy*src.W + sx)
					c[0] += w * float64(src.Pix[o])
					c[1] += w * float64(src.Pix[o+1])
					c[2] += w * float64(src.Pix[o+2])
				}
				o := 3 * (y*src.W + x)
				dst.Pix[o], dst.Pix[o+1], dst.Pix[o+2] = clamp(c[0]), clamp(c[1]), clamp(c[2])
			}
		}
		return dst
	}
	return pass(pass(img, 1, 0), 0, 1)
}
