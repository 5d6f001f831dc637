package effects

import (
	"math"

	"github.com/mienhq/mien/face"
)

// ToneLift brightens img in place with strength s (0..1): one gentle
// brightness and contrast curve on luma, applied to every pixel of the
// frame alike. Each pixel's three channels are scaled by the same factor
// (lowered where a channel would clip), so its hue and saturation are kept:
// the lift never lightens skin, or any hue, selectively.
func ToneLift(img *face.Image, s float64) {
	s = clamp01(s)
	if s == 0 || img.Valid() != nil {
		return
	}
	gain := toneGains(s)
	p := img.Pix
	for i := 0; i+2 < len(p); i += 3 {
		r, g, b := uint32(p[i]), uint32(p[i+1]), uint32(p[i+2])
		y := (77*r + 150*g + 29*b + 128) >> 8
		k := gain[y] // 16.16 fixed point
		m := max(r, g, b)
		if m*k > 255<<16 {
			k = (255 << 16) / m
		}
		p[i] = uint8((r*k + 1<<15) >> 16)
		p[i+1] = uint8((g*k + 1<<15) >> 16)
		p[i+2] = uint8((b*k + 1<<15) >> 16)
	}
}

// toneCurve maps luma y (0..1) through the lift: a gamma brighten that
// keeps black and white, then a mild S-curve; monotonic for s in 0..1.
func toneCurve(y, s float64) float64 {
	g := math.Pow(y, 1/(1+0.25*s))
	return g + 0.25*s*(g*g*(3-2*g)-g)
}

// toneGains is the curve as a per-luma gain in 16.16 fixed point.
func toneGains(s float64) *[256]uint32 {
	var t [256]uint32
	t[0] = 1 << 16
	for y := 1; y < 256; y++ {
		v := float64(y) / 255
		t[y] = uint32(toneCurve(v, s)/v*65536 + 0.5)
	}
	return &t
}
