package effects

import (
	"math"
	"math/rand"
	"testing"

	"github.com/mienhq/mien/face"
)

// hsv returns hue (degrees), saturation (0..1) and value (0..255).
func hsv(r, g, b uint8) (h, s, v float64) {
	R, G, B := float64(r), float64(g), float64(b)
	mx, mn := math.Max(R, math.Max(G, B)), math.Min(R, math.Min(G, B))
	v = mx
	if mx == 0 {
		return 0, 0, 0
	}
	s = (mx - mn) / mx
	if mx == mn {
		return 0, s, v
	}
	switch mx {
	case R:
		h = 60 * math.Mod((G-B)/(mx-mn), 6)
	case G:
		h = 60 * ((B-R)/(mx-mn) + 2)
	default:
		h = 60 * ((R-G)/(mx-mn) + 4)
	}
	if h < 0 {
		h += 360
	}
	return h, s, v
}

func hueDiff(a, b float64) float64 {
	d := math.Abs(a - b)
	return math.Min(d, 360-d)
}

// TestToneLiftKeepsHueAndSaturation: every pixel's hue and saturation are
// kept (within 8-bit rounding) at full strength, over random colours and
// over a ramp of skin tones from light to dark, and the frame gets brighter.
func TestToneLiftKeepsHueAndSaturation(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	img := face.NewImage(256, 64)
	for i := range img.Pix {
		img.Pix[i] = uint8(rng.Intn(256))
	}
	// the last rows: skin tones from very light to very dark, same hue family
	for x := 0; x < 256; x++ {
		k := 0.15 + 0.85*float64(x)/255
		for y := 48; y < 64; y++ {
			i := 3 * (y*256 + x)
			img.Pix[i], img.Pix[i+1], img.Pix[i+2] = uint8(250*k), uint8(200*k), uint8(165*k)
		}
	}
	before := append([]uint8(nil), img.Pix...)
	ToneLift(img, 1)
	var sumB, sumA, worstH, worstS float64
	for i := 0; i < len(before); i += 3 {
		h0, s0, v0 := hsv(before[i], before[i+1], before[i+2])
		h1, s1, v1 := hsv(img.Pix[i], img.Pix[i+1], img.Pix[i+2])
		sumB, sumA = sumB+v0, sumA+v1
		if v1 < v0 {
			t.Fatalf("pixel %d got darker: %v -> %v", i/3, before[i:i+3], img.Pix[i:i+3])
		}
		mn := math.Min(float64(before[i]), math.Min(float64(before[i+1]), float64(before[i+2])))
		if v0-mn < 24 { // too little chroma for 8-bit hue to be meaningful
			continue
		}
		// 8-bit rounding moves hue by up to about 60*1/(max-min) degrees
		if d := hueDiff(h0, h1) * (v0 - mn) / 60; d > worstH {
			worstH = d
		}
		if d := math.Abs(s1-s0) * v0; d > worstS {
			worstS = d
		}
	}
	if worstH > 1.5 || worstS > 1.5 {
		t.Errorf("tone lift moved hue by %.2f and saturation by %.2f (in units of one 8-bit step); want within rounding", worstH, worstS)
	}
	if sumA < sumB*1.05 {
		t.Errorf("tone lift at full strength brightened the frame only from %.0f to %.0f", sumB, sumA)
	}
}

// TestToneLiftSameForEveryHue: two pixels of the same luma and different
// hue get the same gain (the curve does not favour a hue).
func TestToneLiftSameForEveryHue(t *testing.T) {
	img := &face.Image{W: 2, H: 1, Pix: []uint8{120, 90, 60, 60, 109, 120}}
	y0 := (77*120 + 150*90 + 29*60 + 128) >> 8
	y1 := (77*60 + 150*109 + 29*120 + 128) >> 8
	if y0 != y1 {
		t.Fatalf("test colours differ in luma: %d vs %d", y0, y1)
	}
	ToneLift(img, 0.8)
	g0 := float64(img.Pix[0]) / 120
	g1 := float64(img.Pix[5]) / 120
	if math.Abs(g0-g1) > 0.01 || g0 <= 1.01 {
		t.Errorf("gains %.3f (warm) and %.3f (cool) differ or do not lift", g0, g1)
	}
}
