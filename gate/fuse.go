package gate

import (
	"math"

	"github.com/mienhq/mien/face"
)

// Mean fuses templates into one probe: the mean of the templates, each
// normalised to unit length first, normalised again. Vectors must have the
// same length; the result is a new slice (nil for none).
func Mean(vecs [][]float32) []float32 {
	if len(vecs) == 0 {
		return nil
	}
	out := make([]float32, len(vecs[0]))
	for _, v := range vecs {
		inv := 1 / max(norm(v), 1e-12)
		for i := range out {
			out[i] += v[i] * inv
		}
	}
	face.Normalize(out)
	return out
}

// fuse is Mean over kept frames.
func fuse(ks []kept) []float32 {
	vecs := make([][]float32, len(ks))
	for i, k := range ks {
		vecs[i] = k.vec
	}
	return Mean(vecs)
}

func norm(v []float32) float32 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return float32(math.Sqrt(s))
}

// Quality ranks a frame for the gate from what a detector gives: its
// confidence times the face's size (the box's longer side) up to the
// aligned crop's 112 pixels: a bigger face is a better frame until it
// fills the crop. Use it for Face.Quality when nothing better is known.
func Quality(box face.Rect, score float32) float32 {
	return score * min(1, max(box.Dx(), box.Dy())/112)
}
