package imageio

import (
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"

	"github.com/mienhq/mien/face"
)

func toNRGBA(m *face.Image) *image.NRGBA {
	out := image.NewNRGBA(image.Rect(0, 0, m.W, m.H))
	for i := 0; i < m.W*m.H; i++ {
		out.Pix[4*i], out.Pix[4*i+1], out.Pix[4*i+2], out.Pix[4*i+3] = m.Pix[3*i], m.Pix[3*i+1], m.Pix[3*i+2], 255
	}
	return out
}

// EncodePNG writes m as PNG.
func EncodePNG(w io.Writer, m *face.Image) error {
	if err := m.Valid(); err != nil {
		return fmt.Errorf("imageio: %w", err)
	}
	return png.Encode(w, toNRGBA(m))
}

// EncodeJPEG writes m as JPEG at the given quality (1-100).
func EncodeJPEG(w io.Writer, m *face.Image, quality int) error {
	if err := m.Valid(); err != nil {
		return fmt.Errorf("imageio: %w", err)
	}
	return jpeg.Encode(w, toNRGBA(m), &jpeg.Options{Quality: quality})
}
