package livegen

import (
	"sort"

	"github.com/mienhq/mien/face"
)

// CloseEyes returns a copy of a canvas with both eyes closed by a warp
// guided by each eye's contour (the iris model's first 16 points: 0 and 8
// the corners, 1-7 the lower lid, 9-15 the upper lid, in canvas pixels):
// in every column between the corners, the skin above the upper lid is
// stretched down and the skin below the lower lid up until they meet, with
// a dark lash line where they do, as in a blink. The eye is covered, not
// drawn; outside the eyes the canvas is unchanged.
func CloseEyes(canvas *face.Image, eyes [2][16]face.Point) *face.Image {
	dst := &face.Image{W: canvas.W, H: canvas.H, Pix: append([]uint8(nil), canvas.Pix...)}
	for _, c := range eyes {
		lower := lid(c, []int{0, 1, 2, 3, 4, 5, 6, 7, 8})
		upper := lid(c, []int{0, 9, 10, 11, 12, 13, 14, 15, 8})
		x0, x1 := lower[0].X, lower[len(lower)-1].X
		height := 0.3 * (x1 - x0) // how far above the lid the stretch starts (below the brow)
		for x := int(x0); x <= int(x1)+1; x++ {
			if x < 0 || x >= canvas.W {
				continue
			}
			yu, yl := at(upper, float32(x)), at(lower, float32(x))
			if yl-yu < 0.5 {
				continue
			}
			// The closed lid: the skin above the upper lid stretched down to
			// the meeting line (65% of the way down the opening), the skin
			// below the lower lid mirrored up to it, and the lashes there.
			meet := yu + 0.65*(yl-yu)
			top, bottom := yu-height, yl+0.5*height
			for y := int(top); y <= int(bottom+1); y++ {
				if y < 0 || y >= canvas.H {
					continue
				}
				fy := float32(y)
				var src float32
				switch {
				case fy <= meet:
					src = top + (fy-top)*(yu-1-top)/(meet-top)
				default:
					src = bottom - (fy-meet)*(bottom-yl-1)/(bottom-meet) // mirrored from below the lid
					src = yl + 1 + (bottom - src)
					src = min(src, bottom)
				}
				c, ok := bilinear(canvas, float64(x), float64(src))
				if !ok {
					continue
				}
				if d := abs(fy - meet); d < 1.5 {
					k := 0.5 + 0.35*d/1.5
					c = [3]float64{c[0] * float64(k), c[1] * float64(k), c[2] * float64(k)}
				}
				o := 3 * (y*canvas.W + x)
				for k := 0; k < 3; k++ {
					dst.Pix[o+k] = clamp(c[k])
				}
			}
		}
	}
	return dst
}

// lid returns the contour points of one lid sorted by x.
func lid(c [16]face.Point, idx []int) []face.Point {
	p := make([]face.Point, len(idx))
	for i, k := range idx {
		p[i] = c[k]
	}
	sort.Slice(p, func(i, j int) bool { return p[i].X < p[j].X })
	return p
}

// at interpolates a lid's y at x (clamped to its ends).
func at(p []face.Point, x float32) float32 {
	if x <= p[0].X {
		return p[0].Y
	}
	for i := 1; i < len(p); i++ {
		if x <= p[i].X {
			t := (x - p[i-1].X) / max(p[i].X-p[i-1].X, 1e-6)
			return p[i-1].Y + t*(p[i].Y-p[i-1].Y)
		}
	}
	return p[len(p)-1].Y
}
