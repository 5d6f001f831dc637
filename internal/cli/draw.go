package cli

import "github.com/mienhq/mien/face"

// drawDetection draws a detection's box in green and its landmarks in red.
func drawDetection(m *face.Image, d face.Detection) {
	t := max(1, int(min(d.Box.Dx(), d.Box.Dy())/60))
	b := d.Box
	for k := 0; k < t; k++ {
		fk := float32(k)
		hline(m, int(b.Min.X), int(b.Max.X), int(b.Min.Y+fk), [3]uint8{0, 255, 0})
		hline(m, int(b.Min.X), int(b.Max.X), int(b.Max.Y-fk), [3]uint8{0, 255, 0})
		vline(m, int(b.Min.X+fk), int(b.Min.Y), int(b.Max.Y), [3]uint8{0, 255, 0})
		vline(m, int(b.Max.X-fk), int(b.Min.Y), int(b.Max.Y), [3]uint8{0, 255, 0})
	}
	r := t + 1
	for _, p := range d.Landmarks {
		for y := int(p.Y) - r; y <= int(p.Y)+r; y++ {
			hline(m, int(p.X)-r, int(p.X)+r, y, [3]uint8{255, 0, 0})
		}
	}
}

func set(m *face.Image, x, y int, c [3]uint8) {
	if x < 0 || y < 0 || x >= m.W || y >= m.H {
		return
	}
	i := 3 * (y*m.W + x)
	m.Pix[i], m.Pix[i+1], m.Pix[i+2] = c[0], c[1], c[2]
}

func hline(m *face.Image, x0, x1, y int, c [3]uint8) {
	for x := x0; x <= x1; x++ {
		set(m, x, y, c)
	}
}

func vline(m *face.Image, x, y0, y1 int, c [3]uint8) {
	for y := y0; y <= y1; y++ {
		set(m, x, y, c)
	}
}
