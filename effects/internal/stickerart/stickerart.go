// Package stickerart draws the stickers that ship with the effects package
// (glasses, hat, mask) from simple shapes, so that their source is code the
// project owns. The PNGs in effects/stickers are its output; the effects
// tests check that they match (go test ./effects -run TestBuiltinArt -update
// rewrites them).
package stickerart

import (
	"fmt"
	"image"
	"image/color"
	"math"
)

// Names are the stickers drawn here.
var Names = []string{"glasses", "hat", "mask"}

// Draw returns the sticker of the given name.
func Draw(name string) (*image.NRGBA, error) {
	switch name {
	case "glasses":
		return glasses(), nil
	case "hat":
		return hat(), nil
	case "mask":
		return mask(), nil
	}
	return nil, fmt.Errorf("stickerart: no sticker %q", name)
}

// shape says whether a point (in pixels) is inside.
type shape func(x, y float64) bool

// paint composites colour c over img where s is, anti-aliased by 4x4
// supersampling.
func paint(img *image.NRGBA, s shape, c color.NRGBA) {
	b := img.Rect
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			n := 0
			for sy := 0; sy < 4; sy++ {
				for sx := 0; sx < 4; sx++ {
					if s(float64(x)+(float64(sx)+0.5)/4, float64(y)+(float64(sy)+0.5)/4) {
						n++
					}
				}
			}
			if n > 0 {
				over(img, x, y, c, float64(n)/16)
			}
		}
	}
}

// over blends c with coverage cov over the pixel (straight alpha).
func over(img *image.NRGBA, x, y int, c color.NRGBA, cov float64) {
	i := img.PixOffset(x, y)
	p := img.Pix[i : i+4]
	sa := float64(c.A) / 255 * cov
	da := float64(p[3]) / 255
	oa := sa + da*(1-sa)
	if oa <= 0 {
		return
	}
	for k, sc := range [3]uint8{c.R, c.G, c.B} {
		v := (float64(sc)*sa + float64(p[k])*da*(1-sa)) / oa
		p[k] = uint8(math.Round(v))
	}
	p[3] = uint8(math.Round(oa * 255))
}

func ellipse(cx, cy, rx, ry float64) shape {
	return func(x, y float64) bool {
		dx, dy := (x-cx)/rx, (y-cy)/ry
		return dx*dx+dy*dy <= 1
	}
}

func rect(x0, y0, x1, y1 float64) shape {
	return func(x, y float64) bool { return x >= x0 && x < x1 && y >= y0 && y < y1 }
}

// segment is a thick line from (ax, ay) to (bx, by).
func segment(ax, ay, bx, by, half float64) shape {
	return func(x, y float64) bool {
		dx, dy := bx-ax, by-ay
		t := ((x-ax)*dx + (y-ay)*dy) / (dx*dx + dy*dy)
		t = math.Max(0, math.Min(1, t))
		px, py := ax+t*dx-x, ay+t*dy-y
		return px*px+py*py <= half*half
	}
}

func minus(a, b shape) shape { return func(x, y float64) bool { return a(x, y) && !b(x, y) } }

func and(a, b shape) shape { return func(x, y float64) bool { return a(x, y) && b(x, y) } }

// glasses: two tinted round lenses in a dark frame, lens centres at 27%
// and 73% of the width, half way down.
func glasses() *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, 480, 180))
	frame := color.NRGBA{20, 20, 24, 255}
	for _, cx := range []float64{0.27 * 480, 0.73 * 480} {
		paint(img, ellipse(cx, 90, 76, 64), color.NRGBA{40, 60, 90, 140})
		paint(img, minus(ellipse(cx, 90, 86, 74), ellipse(cx, 90, 76, 64)), frame)
		paint(img, segment(cx-40, 60, cx-15, 45, 5), color.NRGBA{255, 255, 255, 110}) // glint
	}
	paint(img, segment(215, 74, 265, 74, 6), frame)
	paint(img, segment(44, 72, 2, 64, 6), frame)
	paint(img, segment(436, 72, 478, 64, 6), frame)
	return img
}

// hat: a top hat with a red band; its brim is near the bottom.
func hat() *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, 400, 400))
	black := color.NRGBA{22, 22, 26, 255}
	paint(img, rect(100, 60, 300, 340), black)
	paint(img, ellipse(200, 60, 100, 22), color.NRGBA{45, 45, 52, 255})
	paint(img, rect(100, 270, 300, 318), color.NRGBA{170, 24, 32, 255})
	paint(img, ellipse(200, 342, 196, 40), black)
	paint(img, rect(122, 80, 138, 260), color.NRGBA{255, 255, 255, 40}) // sheen
	return img
}

// mask: a pleated face mask.
func mask() *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, 400, 280))
	body := and(ellipse(200, 150, 170, 150), rect(30, 18, 370, 262))
	paint(img, body, color.NRGBA{168, 206, 228, 255})
	for _, y := range []float64{95, 140, 185} {
		paint(img, and(body, segment(40, y, 360, y, 3)), color.NRGBA{120, 160, 190, 255})
	}
	return img
}
