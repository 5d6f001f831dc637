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
	var order [3]int // source channel (R=0,G=1,B=2) of each tensor plane
	switch f.Channels {
	case "RGB":
		order = [3]int{0, 1, 2}
	case "BGR":
		order = [3]int{2, 1, 0}
	}
	var scale, bias [3]float32
	for c := 0; c < planes; c++ {
		scale[c] = 1 / f.Std[c]
		bias[c] = -f.Mean[c] / f.Std[c]
	}
	for i := 0; i < planes*tw*th; i++ {
		c := i / (tw * th)
		if f.Layout == "NHWC" {
			c = i % planes
		}
		dst[i] = bias[c]
	}
	w, h := min(img.W, tw), min(img.H, th)
	plane := tw * th
	for y := 0; y < h; y++ {
		src := img.Pix[3*y*img.W : 3*(y*img.W+w)]
		for x := 0; x < w; x++ {
			p := src[3*x : 3*x+3]
			if planes == 1 {
				g := 0.299*float32(p[0]) + 0.587*float32(p[1]) + 0.114*float32(p[2])
				dst[y*tw+x] = g*scale[0] + bias[0]
				continue
			}
			if f.Layout == "NCHW" {
				k := y*tw + x
				dst[k] = float32(p[order[0]])*scale[0] + bias[0]
				dst[plane+k] = float32(p[order[1]])*scale[1] + bias[1]
				dst[2*plane+k] = float32(p[order[2]])*scale[2] + bias[2]
			} else {
				k := 3 * (y*tw + x)
				dst[k] = float32(p[order[0]])*scale[0] + bias[0]
				dst[k+1] = float32(p[order[1]])*scale[1] + bias[1]
				dst[k+2] = float32(p[order[2]])*scale[2] + bias[2]
			}
		}
	}
	return nil
}
