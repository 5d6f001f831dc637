package eval

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/mienhq/mien/internal/linalg"
)

// Gaussian is a low-rank Gaussian model of a recognizer's templates: the
// mean of a set of real templates plus Rank principal directions of their
// covariance, each with its standard deviation. Draw samples it and
// normalises, so its draws are unit templates spread as the real ones are
// (not isotropic random vectors, which a recognizer never outputs). Safe
// for concurrent use once fitted.
type Gaussian struct {
	Dim, Rank, Samples int
	// Variances holds every eigenvalue of the sample covariance, largest
	// first (Dim of them); the model keeps the first Rank.
	Variances []float64
	// Energy is the share of the total variance the Rank directions hold.
	Energy float64
	mean   []float32
	factor []float32   // Rank x Dim, row-major: row j is sigma_j * u_j
	dirs   [][]float64 // the Rank directions, unit vectors
	span   [][]float64 // orthonormal basis of span{mean, dirs}: for Residual
}

// FitGaussian fits the model to vecs (at least two, of one length) keeping
// rank directions (capped at the dimension, len(vecs)-1 and the number of
// directions along which vecs vary at all).
func FitGaussian(vecs [][]float32, rank int) (*Gaussian, error) {
	if len(vecs) < 2 || rank < 1 {
		return nil, fmt.Errorf("eval: a Gaussian fit needs at least 2 templates and rank >= 1 (got %d, rank %d)", len(vecs), rank)
	}
	dim := len(vecs[0])
	for _, v := range vecs {
		if len(v) != dim || dim == 0 {
			return nil, fmt.Errorf("eval: templates of %d and %d values cannot be fitted together", dim, len(v))
		}
	}
	g := &Gaussian{Dim: dim, Rank: min(rank, dim, len(vecs)-1), Samples: len(vecs), mean: make([]float32, dim)}
	mean := meanOf(vecs)
	for i, m := range mean {
		g.mean[i] = float32(m)
	}
	vals, u := linalg.SymEigen(covariance(vecs, mean), dim)
	total := 0.0
	for i := range vals {
		vals[i] = max(vals[i], 0)
		total += vals[i]
	}
	g.Variances = vals
	for g.Rank > 1 && vals[g.Rank-1] <= 1e-9*total { // no direction where the templates do not vary
		g.Rank--
	}
	g.factor = make([]float32, dim*g.Rank)
	kept := 0.0
	for j := 0; j < g.Rank; j++ {
		kept += vals[j]
		d := make([]float64, dim)
		for i := range d {
			d[i] = u[j][i]
			g.factor[j*dim+i] = float32(math.Sqrt(vals[j]) * u[j][i])
		}
		g.dirs = append(g.dirs, d)
	}
	if total > 0 {
		g.Energy = kept / total
	}
	g.span = append(g.span, g.dirs...)
	if m := orthogonalise(mean, g.span); m != nil {
		g.span = append(g.span, m)
	}
	return g, nil
}

func meanOf(vecs [][]float32) []float64 {
	m := make([]float64, len(vecs[0]))
	for _, v := range vecs {
		for i, x := range v {
			m[i] += float64(x)
		}
	}
	for i := range m {
		m[i] /= float64(len(vecs))
	}
	return m
}

// covariance is the sample covariance (divided by n-1) of vecs about mean.
func covariance(vecs [][]float32, mean []float64) []float64 {
	dim := len(mean)
	c := make([]float64, dim*dim)
	x := make([]float64, dim)
	for _, v := range vecs {
		for i := range x {
			x[i] = float64(v[i]) - mean[i]
		}
		for i, xi := range x {
			row := c[i*dim+i : (i+1)*dim]
			for j, xj := range x[i:] {
				row[j] += xi * xj
			}
		}
	}
	for i := 0; i < dim; i++ {
		for j := i; j < dim; j++ {
			c[i*dim+j] /= float64(len(vecs) - 1)
			c[j*dim+i] = c[i*dim+j]
		}
	}
	return c
}

// orthogonalise returns v's unit component outside the orthonormal basis,
// or nil when v lies in its span.
func orthogonalise(v []float64, basis [][]float64) []float64 {
	r := append([]float64(nil), v...)
	n0 := norm(r)
	for range 2 { // twice: classical Gram-Schmidt loses orthogonality once
		for _, b := range basis {
			p := dot64(r, b)
			for i := range r {
				r[i] -= p * b[i]
			}
		}
	}
	n := norm(r)
	if n0 == 0 || n < 1e-9*n0 {
		return nil
	}
	for i := range r {
		r[i] /= n
	}
	return r
}

func dot64(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func norm(v []float64) float64 { return math.Sqrt(dot64(v, v)) }

// Draw writes one unit template drawn from the model into dst (Dim
// values): the mean plus each direction times its deviation times a
// standard normal, normalised; z is scratch of Rank values.
func (g *Gaussian) Draw(r *rand.Rand, dst, z []float32) {
	d := g.Dim
	for j := range z[:g.Rank] {
		z[j] = float32(r.NormFloat64())
	}
	copy(dst[:d], g.mean)
	for j, zj := range z[:g.Rank] {
		axpy(zj, g.factor[j*d:(j+1)*d], dst[:d])
	}
	var s float64
	for _, x := range dst[:d] {
		s += float64(x) * float64(x)
	}
	inv := float32(1 / math.Sqrt(s))
	for i := range dst[:d] {
		dst[i] *= inv
	}
}

// axpyGo adds a*x to y (of equal length).
func axpyGo(a float32, x, y []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += a * v
	}
}

// Profile summarises how a set of templates sits against the model.
type Profile struct {
	Templates int `json:"templates"`
	// ResidualMean and ResidualMax are the mean and largest norm of a
	// template's component outside the span of the model's mean and
	// directions: ~0 for the model's own draws (normalised too), small
	// for templates of the recognizer it was fitted to, large for
	// isotropic random vectors.
	ResidualMean float64 `json:"residual_mean"`
	ResidualMax  float64 `json:"residual_max"`
	// TopShare[i] is the share of the set's variance (about its own mean)
	// along the model's first Tops[i] directions.
	Tops     []int     `json:"top_directions"`
	TopShare []float64 `json:"top_share"`
}

// Profile measures vecs against the model at the given numbers of top
// directions (each at most Rank).
func (g *Gaussian) Profile(vecs [][]float32, tops []int) Profile {
	p := Profile{Templates: len(vecs), Tops: tops, TopShare: make([]float64, len(tops))}
	if len(vecs) == 0 {
		return p
	}
	mean := meanOf(vecs)
	offset := make([]float64, g.Rank) // mean . dir_j: a projection of v less this is one of v - mean
	for j, d := range g.dirs {
		offset[j] = dot64(mean, d)
	}
	along := make([]float64, g.Rank)
	total := 0.0
	x := make([]float64, g.Dim)
	for _, v := range vecs {
		sq := 0.0
		for i, e := range v {
			x[i] = float64(e)
			sq += x[i] * x[i]
			total += (x[i] - mean[i]) * (x[i] - mean[i])
		}
		for j, b := range g.span {
			a := dot64(x, b)
			sq -= a * a
			if j < g.Rank {
				along[j] += (a - offset[j]) * (a - offset[j])
			}
		}
		res := math.Sqrt(max(sq, 0))
		p.ResidualMean += res / float64(len(vecs))
		p.ResidualMax = max(p.ResidualMax, res)
	}
	for i, t := range tops {
		s := 0.0
		for _, a := range along[:min(t, g.Rank)] {
			s += a
		}
		if total > 0 {
			p.TopShare[i] = s / total
		}
	}
	return p
}

// ShareOfTop is the share of the fitted total variance in the first k
// directions.
func (g *Gaussian) ShareOfTop(k int) float64 {
	s, total := 0.0, 0.0
	for i, v := range g.Variances {
		if i < k {
			s += v
		}
		total += v
	}
	if total == 0 {
		return 0
	}
	return s / total
}

// Along returns the variance of vecs (about their own mean) along each of
// the model's directions.
func (g *Gaussian) Along(vecs [][]float32) []float64 {
	mean := meanOf(vecs)
	out := make([]float64, g.Rank)
	x := make([]float64, g.Dim)
	for _, v := range vecs {
		for i := range x {
			x[i] = float64(v[i]) - mean[i]
		}
		for j, d := range g.dirs {
			a := dot64(x, d)
			out[j] += a * a
		}
	}
	for j := range out {
		out[j] /= float64(len(vecs) - 1)
	}
	return out
}
