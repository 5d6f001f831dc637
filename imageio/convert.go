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
	for y := 0; y < out.H; y++ {
		yrow := m.Y[(y)*m.YStride:]
		d := out.Pix[3*y*out.W : 3*(y+1)*out.W]
		cy := b.Min.Y + y
		for x := 0; x < out.W; x++ {
			ci := m.COffset(b.Min.X+x, cy)
			yy := int32(yrow[x]) * 0x10101
			cb := int32(m.Cb[ci]) - 128
			cr := int32(m.Cr[ci]) - 128
			r := yy + 91881*cr
			g := yy - 22554*cb - 46802*cr
			bb := yy + 116130*cb
			d[3*x] = clamp8(r)
			d[3*x+1] = clamp8(g)
			d[3*x+2] = clamp8(bb)
		}
	}
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
