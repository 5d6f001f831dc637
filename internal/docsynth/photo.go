package docsynth

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"math"
	"math/rand/v2"
)

// Levels of the photographing conditions.
const (
	AngleFlat, AngleTilted, AngleSteep = "flat", "tilted", "steep"
	GlareNone, GlareCard, GlareFace    = "none", "card", "face"
	BlurNone, BlurMild, BlurStrong     = "none", "mild", "strong"
	DistanceNear, DistanceFar          = "near", "far"
)

// Conditions say how a document is photographed.
type Conditions struct {
	Angle    string  `json:"angle"`    // flat (±3°), tilted (±10°, mild keystone), steep (±20°, strong keystone)
	Glare    string  `json:"glare"`    // none, a highlight on the card, a highlight on the portrait
	Blur     string  `json:"blur"`     // none, mild (sigma 1-1.5 px), strong (sigma 2.5-3.5 px)
	Distance string  `json:"distance"` // near (card 70-85% of the frame's width), far (40-55%)
	Rotation float64 `json:"rotation_deg"`
	Sigma    float64 `json:"blur_sigma"`
	Noise    float64 `json:"noise_sigma"`
	Quality  int     `json:"jpeg_quality"`
}

// Box is an axis-aligned box in the photo, in pixels.
type Box struct{ X0, Y0, X1, Y1 float64 }

// Photo is a photographed document.
type Photo struct {
	JPEG     []byte
	W, H     int
	Portrait Box // bounding box of the printed portrait
	Ghost    Box // bounding box of the ghost image
}

const photoW, photoH = 1280, 960

// Photograph places card on a desk-like background under a perspective
// transform and adds uneven lighting, glare, blur, noise and JPEG.
func Photograph(c *Card, cond *Conditions, rng *rand.Rand) (*Photo, error) {
	cw, ch := float64(c.Img.Bounds().Dx()), float64(c.Img.Bounds().Dy())
	quad := placeCard(cw, ch, cond, rng)
	h, err := homography([4][2]float64{{0, 0}, {cw, 0}, {cw, ch}, {0, ch}}, quad)
	if err != nil {
		return nil, err
	}
	inv, err := homography(quad, [4][2]float64{{0, 0}, {cw, 0}, {cw, ch}, {0, ch}})
	if err != nil {
		return nil, err
	}
	buf := make([]float64, photoW*photoH*3)
	desk := [3]float64{60 + 120*rng.Float64(), 50 + 100*rng.Float64(), 40 + 90*rng.Float64()}
	for y := range photoH {
		for x := range photoW {
			o := (y*photoW + x) * 3
			u, v := apply(inv, float64(x)+0.5, float64(y)+0.5)
			if u >= 0 && v >= 0 && u < cw-1 && v < ch-1 {
				sampleRGBA(c.Img, u, v, buf[o:o+3])
				continue
			}
			t := 0.85 + 0.3*float64(x+y)/float64(photoW+photoH)
			for k := range 3 {
				buf[o+k] = desk[k] * t
			}
		}
	}
	p := &Photo{W: photoW, H: photoH, Portrait: boxOf(h, c.Portrait), Ghost: boxOf(h, c.Ghost)}
	light(buf, rng)
	glare(buf, cond.Glare, p.Portrait, quad, rng)
	gaussianBlur(buf, cond.Sigma)
	for i := range buf {
		buf[i] += rng.NormFloat64() * cond.Noise
	}
	img := image.NewRGBA(image.Rect(0, 0, photoW, photoH))
	for i := 0; i < photoW*photoH; i++ {
		for k := range 3 {
			img.Pix[i*4+k] = clamp(buf[i*3+k])
		}
		img.Pix[i*4+3] = 255
	}
	var out bytes.Buffer
	if err := jpeg.Encode(&out, img, &jpeg.Options{Quality: cond.Quality}); err != nil {
		return nil, fmt.Errorf("docsynth: %w", err)
	}
	p.JPEG = out.Bytes()
	return p, nil
}

// placeCard returns the card's corners in the photo: scaled to the distance,
// rotated, keystoned by the angle level, and jittered.
func placeCard(cw, ch float64, cond *Conditions, rng *rand.Rand) [4][2]float64 {
	frac := 0.70 + 0.15*rng.Float64()
	if cond.Distance == DistanceFar {
		frac = 0.40 + 0.15*rng.Float64()
	}
	s := frac * photoW / cw
	rot, keys := 3.0, 0.0
	switch cond.Angle {
	case AngleTilted:
		rot, keys = 10, 0.07
	case AngleSteep:
		rot, keys = 20, 0.16
	}
	cond.Rotation = (2*rng.Float64() - 1) * rot
	th := cond.Rotation * math.Pi / 180
	cx := photoW/2 + (rng.Float64()-0.5)*0.2*(photoW-frac*photoW)
	cy := photoH/2 + (rng.Float64()-0.5)*0.2*photoH*(1-frac)
	corners := [4][2]float64{{-cw / 2, -ch / 2}, {cw / 2, -ch / 2}, {cw / 2, ch / 2}, {-cw / 2, ch / 2}}
	k := keys * (0.6 + 0.4*rng.Float64())
	side := rng.IntN(4) // which edge is further away (shorter)
	for i := range corners {
		x, y := corners[i][0], corners[i][1]
		switch {
		case side == 0 && y < 0, side == 2 && y > 0:
			x *= 1 - k
		case side == 1 && x > 0, side == 3 && x < 0:
			y *= 1 - k
		}
		x += (rng.Float64() - 0.5) * keys * 0.3 * cw
		y += (rng.Float64() - 0.5) * keys * 0.3 * ch
		corners[i] = [2]float64{cx + s*(x*math.Cos(th)-y*math.Sin(th)), cy + s*(x*math.Sin(th)+y*math.Cos(th))}
	}
	return corners
}

// homography maps the four points from onto to (solved by Gaussian
// elimination on the 8x8 system).
func homography(from, to [4][2]float64) ([9]float64, error) {
	var a [8][9]float64
	for i := range 4 {
		x, y, u, v := from[i][0], from[i][1], to[i][0], to[i][1]
		a[2*i] = [9]float64{x, y, 1, 0, 0, 0, -u * x, -u * y, u}
		a[2*i+1] = [9]float64{0, 0, 0, x, y, 1, -v * x, -v * y, v}
	}
	for c := range 8 {
		p := c
		for r := c + 1; r < 8; r++ {
			if math.Abs(a[r][c]) > math.Abs(a[p][c]) {
				p = r
			}
		}
		if math.Abs(a[p][c]) < 1e-12 {
			return [9]float64{}, errors.New("docsynth: degenerate quadrilateral")
		}
		a[c], a[p] = a[p], a[c]
		for r := range 8 {
			if r != c {
				f := a[r][c] / a[c][c]
				for k := c; k < 9; k++ {
					a[r][k] -= f * a[c][k]
				}
			}
		}
	}
	var h [9]float64
	for i := range 8 {
		h[i] = a[i][8] / a[i][i]
	}
	h[8] = 1
	return h, nil
}

func apply(h [9]float64, x, y float64) (float64, float64) {
	w := h[6]*x + h[7]*y + h[8]
	return (h[0]*x + h[1]*y + h[2]) / w, (h[3]*x + h[4]*y + h[5]) / w
}

func boxOf(h [9]float64, r image.Rectangle) Box {
	b := Box{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	for _, p := range [4][2]int{{r.Min.X, r.Min.Y}, {r.Max.X, r.Min.Y}, {r.Max.X, r.Max.Y}, {r.Min.X, r.Max.Y}} {
		x, y := apply(h, float64(p[0]), float64(p[1]))
		b.X0, b.Y0, b.X1, b.Y1 = math.Min(b.X0, x), math.Min(b.Y0, y), math.Max(b.X1, x), math.Max(b.Y1, y)
	}
	return b
}

func sampleRGBA(img *image.RGBA, x, y float64, out []float64) {
	x0, y0 := int(x), int(y)
	fx, fy := x-float64(x0), y-float64(y0)
	i := img.PixOffset(x0, y0)
	for k := range 3 {
		a, b := float64(img.Pix[i+k]), float64(img.Pix[i+4+k])
		c, d := float64(img.Pix[i+img.Stride+k]), float64(img.Pix[i+img.Stride+4+k])
		out[k] = (a*(1-fx)+b*fx)*(1-fy) + (c*(1-fx)+d*fx)*fy
	}
}

// light multiplies the photo by a linear illumination gradient (0.7..1.15)
// and a colour temperature tint.
func light(buf []float64, rng *rand.Rand) {
	gx, gy := (rng.Float64()-0.5)*0.45, (rng.Float64()-0.5)*0.45
	base := 0.9 + 0.15*rng.Float64()
	warm := (rng.Float64() - 0.5) * 0.12
	tint := [3]float64{1 + warm, 1, 1 - warm}
	for y := range photoH {
		for x := range photoW {
			g := base + gx*(float64(x)/photoW-0.5) + gy*(float64(y)/photoH-0.5)
			o := (y*photoW + x) * 3
			for k := range 3 {
				buf[o+k] *= g * tint[k]
			}
		}
	}
}

// glare adds a specular highlight (an elliptical Gaussian of near-white
// light): on the portrait, or somewhere on the card away from it.
func glare(buf []float64, kind string, portrait Box, quad [4][2]float64, rng *rand.Rand) {
	if kind == GlareNone {
		return
	}
	pw, ph := portrait.X1-portrait.X0, portrait.Y1-portrait.Y0
	cx, cy := (portrait.X0+portrait.X1)/2+(rng.Float64()-0.5)*0.4*pw, (portrait.Y0+portrait.Y1)/2+(rng.Float64()-0.5)*0.3*ph
	sx, sy := pw*(0.25+0.2*rng.Float64()), ph*(0.15+0.15*rng.Float64())
	if kind == GlareCard {
		// the corner of the card opposite the portrait's side, pulled inwards
		c := quad[1+rng.IntN(2)]
		cx, cy = c[0]*0.7+(quad[0][0]+quad[2][0])/2*0.3, c[1]*0.7+(quad[0][1]+quad[2][1])/2*0.3
		sx, sy = pw*(0.5+0.3*rng.Float64()), ph*(0.25+0.2*rng.Float64())
	}
	peak := 170 + 80*rng.Float64()
	for y := max(0, int(cy-4*sy)); y < min(photoH, int(cy+4*sy)); y++ {
		for x := max(0, int(cx-4*sx)); x < min(photoW, int(cx+4*sx)); x++ {
			dx, dy := (float64(x)-cx)/sx, (float64(y)-cy)/sy
			g := peak * math.Exp(-(dx*dx+dy*dy)/2)
			o := (y*photoW + x) * 3
			for k := range 3 {
				buf[o+k] += g
			}
		}
	}
}

// gaussianBlur blurs the photo in place with a separable Gaussian kernel.
func gaussianBlur(buf []float64, sigma float64) {
	if sigma <= 0 {
		return
	}
	r := int(math.Ceil(3 * sigma))
	k := make([]float64, 2*r+1)
	sum := 0.0
	for i := range k {
		d := float64(i - r)
		k[i] = math.Exp(-d * d / (2 * sigma * sigma))
		sum += k[i]
	}
	for i := range k {
		k[i] /= sum
	}
	tmp := make([]float64, len(buf))
	pass := func(src, dst []float64, dx, dy int) {
		for y := range photoH {
			for x := range photoW {
				var acc [3]float64
				for i, w := range k {
					xx := min(max(x+(i-r)*dx, 0), photoW-1)
					yy := min(max(y+(i-r)*dy, 0), photoH-1)
					o := (yy*photoW + xx) * 3
					acc[0] += w * src[o]
					acc[1] += w * src[o+1]
					acc[2] += w * src[o+2]
				}
				o := (y*photoW + x) * 3
				dst[o], dst[o+1], dst[o+2] = acc[0], acc[1], acc[2]
			}
		}
	}
	pass(buf, tmp, 1, 0)
	pass(tmp, buf, 0, 1)
}
