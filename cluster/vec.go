package cluster

import "math"

// addTo adds v to sum in place.
func addTo(sum, v []float32) {
	v = v[:len(sum)]
	for i := range sum {
		sum[i] += v[i]
	}
}

// normalize scales v to unit length in place (a zero vector is left as is).
func normalize(v []float32) {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	if s == 0 {
		return
	}
	k := float32(1 / math.Sqrt(s))
	for i := range v {
		v[i] *= k
	}
}

func sqrt32(x float32) float32 { return float32(math.Sqrt(float64(x))) }
