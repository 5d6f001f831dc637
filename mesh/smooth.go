package mesh

import "math"

// OneEuro is the One-Euro filter (Casiez, Roussel and Vogel, CHI 2012): a
// low-pass filter whose cut-off rises with speed, so a still value stops
// jittering and a moving one does not lag much. The zero value is unusable;
// set MinCutoff (Hz) and Beta, or use NewOneEuro.
type OneEuro struct {
	MinCutoff, Beta, DCutoff float64

	x, dx, t float64
	started  bool
}

// NewOneEuro returns a filter with derivative cut-off 1 Hz.
func NewOneEuro(minCutoff, beta float64) OneEuro {
	return OneEuro{MinCutoff: minCutoff, Beta: beta, DCutoff: 1}
}

// Filter returns the smoothed value of x at time t (seconds). A sample at or
// before the previous time is returned as is and restarts the filter.
func (f *OneEuro) Filter(x, t float64) float64 {
	if !f.started || t <= f.t {
		f.x, f.dx, f.t, f.started = x, 0, t, true
		return x
	}
	dt := t - f.t
	dx := (x - f.x) / dt
	f.dx += alpha(dt, f.DCutoff) * (dx - f.dx)
	cut := f.MinCutoff + f.Beta*math.Abs(f.dx)
	f.x += alpha(dt, cut) * (x - f.x)
	f.t = t
	return f.x
}

// Reset forgets the history.
func (f *OneEuro) Reset() { f.started = false }

func alpha(dt, cutoff float64) float64 {
	tau := 1 / (2 * math.Pi * cutoff)
	return 1 / (1 + tau/dt)
}
