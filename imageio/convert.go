package imageio

import (
	"image"
	"image/color"

	"github.com/mienhq/mien/face"
)

// toRGB converts any decoded image to packed RGB, with fast paths for the
// types the standard decoders return.
func toRGB(src image.Image) *face.Image {
	b := src.Bounds()
	out := face.NewImage(b.Dx(), b.Dy())
	switch m := src.(type) {
	case *image.YCbCr:
		ycbcrToRGB(out, m)
	case *image.RGBA:
		for y := 0; y < out.H; y++ {
			row := m.Pix[(y)*m.Stride:]
			d := out.Pix[3*y*out.W:]
			for x := 0; x < out.W; x++ {
				a := uint32(row[4*x+3])
				// Premultiplied: composite over white.
				d[3*x] = uint8(uint32(row[4*x]) + 255 - a)
				d[3*x+1] = uint8(uint32(row[4*x+1]) + 255 - a)
				d[3*x+2] = uint8(uint32(row[4*x+2]) + 255 - a)
			}
		}
	case *image.NRGBA:
		for y := 0; y < out.H; y++ {
			row := m.Pix[y*m.Stride:]
			d := out.Pix[3*y*out.W:]
			for x := 0; x < out.W; x++ {
				a := uint32(row[4*x+3])
				for c := 0; c < 3; c++ {
					d[3*x+c] = uint8((uint32(row[4*x+c])*a + 255*(255-a) + 127) / 255)
				}
			}
		}
	case *image.Gray:
		for y := 0; y < out.H; y++ {
			row := m.Pix[y*m.Stride:]
			d := out.Pix[3*y*out.W:]
			for x := 0; x < out.W; x++ {
				d[3*x], d[3*x+1], d[3*x+2] = row[x], row[x], row[x]
			}
		}
	default:
		for y := 0; y < out.H; y++ {
			d := out.Pix[3*y*out.W:]
			for x := 0; x < out.W; x++ {
				c := color.NRGBAModel.Convert(src.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA)
				a := uint32(c.A)
				d[3*x] = uint8((uint32(c.R)*a + 255*(255-a) + 127) / 255)
				d[3*x+1] = uint8((uint32(c.G)*a + 255*(255-a) + 127) / 255)
				d[3*x+2] = uint8((uint32(c.B)*a + 255*(255-a) + 127) / 255)
			}
		}
	}
	return out
}

// ycbcrToRGB converts JFIF YCbCr planes with any chroma subsampling, using
// fixed-point arithmetic (the same constants as image/color).
func ycbcrToRGB(out *face.Image, m *image.YCbCr) {
	b := m.Rect
	// Horizontal chroma subsampling: 4:2:0 and 4:2:2 share one chroma sample per two pixels.
	hsub := 1
	if m.SubsampleRatio == image.YCbCrSubsampleRatio420 || m.SubsampleRatio == image.YCbCrSubsampleRatio422 {
		hsub = 2
	}
	for y := 0; y < out.H; y++ {
		yrow := m.Y[(y)*m.YStride:]
		d := out.Pix[3*y*out.W : 3*(y+1)*out.W]
		cy := b.Min.Y + y
		if hsub == 2 && b.Min.X%2 == 0 {
			c0 := m.COffset(b.Min.X, cy)
			for x := 0; x < out.W; x++ {
				ci := c0 + x/2
				putRGB(d[3*x:3*x+3:3*x+3], yrow[x], m.Cb[ci], m.Cr[ci])
			}
			continue
		}
		for x := 0; x < out.W; x++ {
			ci := m.COffset(b.Min.X+x, cy)
			putRGB(d[3*x:3*x+3:3*x+3], yrow[x], m.Cb[ci], m.Cr[ci])
		}
	}
}

func putRGB(d []uint8, y8, cb8, cr8 uint8) {
	yy := int32(y8) * 0x10101
	cb := int32(cb8) - 128
	cr := int32(cr8) - 128
	d[0] = clamp8(yy + 91881*cr)
	d[1] = clamp8(yy - 22554*cb - 46802*cr)
	d[2] = clamp8(yy + 116130*cb)
}

func clamp8(v int32) uint8 {
	if uint32(v)&0xff000000 == 0 {
		return uint8(v >> 16)
	}
	if v < 0 {
		return 0
	}
	return 255
}
