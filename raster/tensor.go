package raster

import (
	"fmt"

	"github.com/mienhq/mien/face"
)

// Format says how pixels become tensor values: value = (pixel - Mean[c]) / Std[c]
// for channel c in the model's order.
type Format struct {
	Layout   string // "NCHW" or "NHWC"
	Channels string // "RGB", "BGR" or "GRAY"
	Mean     [3]float32
	Std      [3]float32
}

// Validate reports a clear error for an unknown layout or channel order or a zero Std.
func (f Format) Validate() error {
	if f.Layout != "NCHW" && f.Layout != "NHWC" {
		return fmt.Errorf("raster: unknown tensor layout %q (want NCHW or NHWC)", f.Layout)
	}
	if f.Channels != "RGB" && f.Channels != "BGR" && f.Channels != "GRAY" {
		return fmt.Errorf("raster: unknown channel order %q (want RGB, BGR or GRAY)", f.Channels)
	}
	for c := 0; c < f.Planes(); c++ {
		if f.Std[c] == 0 {
			return fmt.Errorf("raster: std of channel %d is 0", c)
		}
	}
	return nil
}

// Planes returns the number of channels the tensor has (1 or 3).
func (f Format) Planes() int {
	if f.Channels == "GRAY" {
		return 1
	}
	return 3
}

// Pack writes img into dst, a tensor of shape [1, planes, th, tw] (NCHW) or
// [1, th, tw, planes] (NHWC). img is placed at the top-left and cropped to the
// tensor; the rest (padding) gets the value a black pixel has.
// dst must hold planes*tw*th values.
func Pack(dst []float32, img *face.Image, tw, th int, f Format) error {
	planes := f.Planes()
	if len(dst) != planes*tw*th {
		return fmt.Errorf("raster: tensor holds %d values, want %d", len(dst), planes*tw*th)
	}
	src := [3]int{0, 1, 2} // source channel (R=0,G=1,B=2) of each tensor plane
	if f.Channels == "BGR" {
		src = [3]int{2, 1, 0}
	}
	// One lookup table per plane: value of each 8-bit level.
	var lut [3][256]float32
	for c := 0; c < planes; c++ {
		for v := 0; v < 256; v++ {
			lut[c][v] = (float32(v) - f.Mean[c]) / f.Std[c]
		}
	}
	w, h := min(img.W, tw), min(img.H, th)
	if w < tw || h < th {
		fillPadding(dst, planes, tw, th, w, h, f.Layout, &lut)
	}
	plane := tw * th
	switch {
	case planes == 1:
		for y := 0; y < h; y++ {
			row := img.Pix[3*y*img.W : 3*(y*img.W+w)]
			out := dst[y*tw : y*tw+w]
			for x := range out {
				p := row[3*x : 3*x+3 : 3*x+3]
				g := (299*int(p[0]) + 587*int(p[1]) + 114*int(p[2]) + 500) / 1000
				out[x] = lut[0][g]
			}
		}
	case f.Layout == "NCHW":
		l0, l1, l2 := &lut[0], &lut[1], &lut[2]
		s0, s1, s2 := src[0], src[1], src[2]
		for y := 0; y < h; y++ {
			row := img.Pix[3*y*img.W : 3*(y*img.W+w)]
			o0 := dst[y*tw : y*tw+w]
			o1 := dst[plane+y*tw : plane+y*tw+w]
			o2 := dst[2*plane+y*tw : 2*plane+y*tw+w]
			for x := range o0 {
				p := row[3*x : 3*x+3 : 3*x+3]
				o0[x] = l0[p[s0]]
				o1[x] = l1[p[s1]]
				o2[x] = l2[p[s2]]
			}
		}
	default: // NHWC
		for y := 0; y < h; y++ {
			row := img.Pix[3*y*img.W : 3*(y*img.W+w)]
			out := dst[3*y*tw : 3*(y*tw+w)]
			for x := 0; x < w; x++ {
				p := row[3*x : 3*x+3 : 3*x+3]
				out[3*x] = lut[0][p[src[0]]]
				out[3*x+1] = lut[1][p[src[1]]]
				out[3*x+2] = lut[2][p[src[2]]]
			}
		}
	}
	return nil
}

// fillPadding sets the values outside the image's w x h (top-left) area to
// their plane's black level: in planar layouts only the padding itself (a
// 640x360 frame in a 640x384 tensor: 6% of it), in NHWC every value.
func fillPadding(dst []float32, planes, tw, th, w, h int, layout string, lut *[3][256]float32) {
	if layout == "NCHW" || planes == 1 {
		plane := tw * th
		for c := 0; c < planes; c++ {
			v := lut[c][0]
			p := dst[c*plane : (c+1)*plane]
			if w < tw {
				for y := 0; y < h; y++ {
					row := p[y*tw+w : (y+1)*tw]
					for i := range row {
						row[i] = v
					}
				}
			}
			rest := p[h*tw:]
			for i := range rest {
				rest[i] = v
			}
		}
		return
	}
	for i := 0; i+2 < len(dst); i += 3 {
		dst[i], dst[i+1], dst[i+2] = lut[0][0], lut[1][0], lut[2][0]
	}
}
