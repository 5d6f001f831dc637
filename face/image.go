package face

import "fmt"

// Image is an upright 8-bit RGB image, 3 bytes per pixel, rows packed
// (stride 3*W). It is what imageio produces and every stage consumes.
type Image struct {
	W, H int
	Pix  []uint8
}

// NewImage allocates a black w x h image.
func NewImage(w, h int) *Image { return &Image{W: w, H: h, Pix: make([]uint8, 3*w*h)} }

// Valid reports whether the pixel buffer matches the dimensions.
func (m *Image) Valid() error {
	if m == nil || m.W <= 0 || m.H <= 0 || len(m.Pix) != 3*m.W*m.H {
		return fmt.Errorf("face: invalid image")
	}
	return nil
}

// At returns the RGB triple at (x, y); coordinates are not checked.
func (m *Image) At(x, y int) (r, g, b uint8) {
	i := 3 * (y*m.W + x)
	return m.Pix[i], m.Pix[i+1], m.Pix[i+2]
}

// Bounds returns the image rectangle.
func (m *Image) Bounds() Rect { return R(0, 0, float32(m.W), float32(m.H)) }
