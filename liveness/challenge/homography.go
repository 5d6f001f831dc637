package challenge

import (
	"errors"
	"math"

	"github.com/mienhq/mien/face"
)

// errDegenerate is returned when points cannot determine a homography.
var errDegenerate = errors.New("challenge: landmarks are degenerate (too few or collinear)")

// Homography is a 3x3 projective transform, row-major, H[8] = 1.
type Homography [9]float64

// Apply maps p through h.
func (h Homography) Apply(p face.Point) (x, y float64) {
	px, py := float64(p.X), float64(p.Y)
	w := h[6]*px + h[7]*py + h[8]
	return (h[0]*px + h[1]*py + h[2]) / w, (h[3]*px + h[4]*py + h[5]) / w
}

// FitHomography fits the homography mapping src[i] to dst[i] by least
// squares (the normalised direct linear transform with h33 = 1), and
// returns it with the root-mean-square reprojection residual in dst units.
// It needs at least 4 points; with exactly 4 the residual is 0.
func FitHomography(src, dst []face.Point) (Homography, float64, error) {
	n := len(src)
	if n < 4 || len(dst) != n {
		return Homography{}, 0, errDegenerate
	}
	ts, ss := normaliser(src)
	td, sd := normaliser(dst)
	// Normal equations A^T A h = A^T b for the 8 unknowns.
	var ata [8][8]float64
	var atb [8]float64
	for i := range src {
		x, y := (float64(src[i].X)-ts[0])*ss, (float64(src[i].Y)-ts[1])*ss
		u, v := (float64(dst[i].X)-td[0])*sd, (float64(dst[i].Y)-td[1])*sd
		rows := [2][8]float64{{x, y, 1, 0, 0, 0, -u * x, -u * y}, {0, 0, 0, x, y, 1, -v * x, -v * y}}
		rhs := [2]float64{u, v}
		for r := range rows {
			for j := 0; j < 8; j++ {
				atb[j] += rows[r][j] * rhs[r]
				for k := 0; k < 8; k++ {
					ata[j][k] += rows[r][j] * rows[r][k]
				}
			}
		}
	}
	hn, ok := solve8(ata, atb)
	if !ok {
		return Homography{}, 0, errDegenerate
	}
	// Undo the normalisations: H = Td^-1 * Hn * Ts.
	Hn := [9]float64{hn[0], hn[1], hn[2], hn[3], hn[4], hn[5], hn[6], hn[7], 1}
	Ts := [9]float64{ss, 0, -ss * ts[0], 0, ss, -ss * ts[1], 0, 0, 1}
	TdInv := [9]float64{1 / sd, 0, td[0], 0, 1 / sd, td[1], 0, 0, 1}
	H := mul3(TdInv, mul3(Hn, Ts))
	if H[8] == 0 {
		return Homography{}, 0, errDegenerate
	}
	for i := range H {
		H[i] /= H[8]
	}
	h := Homography(H)
	var sum float64
	for i := range src {
		x, y := h.Apply(src[i])
		dx, dy := x-float64(dst[i].X), y-float64(dst[i].Y)
		sum += dx*dx + dy*dy
	}
	return h, math.Sqrt(sum / float64(n)), nil
}

// normaliser returns the centroid and the scale that makes the mean
// distance from it sqrt(2) (Hartley's normalisation).
func normaliser(p []face.Point) ([2]float64, float64) {
	var c [2]float64
	for _, q := range p {
		c[0] += float64(q.X)
		c[1] += float64(q.Y)
	}
	c[0] /= float64(len(p))
	c[1] /= float64(len(p))
	var d float64
	for _, q := range p {
		d += math.Hypot(float64(q.X)-c[0], float64(q.Y)-c[1])
	}
	d /= float64(len(p))
	if d == 0 {
		return c, 1
	}
	return c, math.Sqrt2 / d
}

func mul3(a, b [9]float64) [9]float64 {
	var m [9]float64
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			for k := 0; k < 3; k++ {
				m[3*i+j] += a[3*i+k] * b[3*k+j]
			}
		}
	}
	return m
}

// solve8 solves a x = b by Gaussian elimination with partial pivoting.
func solve8(a [8][8]float64, b [8]float64) ([8]float64, bool) {
	const n = 8
	for c := 0; c < n; c++ {
		p := c
		for r := c + 1; r < n; r++ {
			if math.Abs(a[r][c]) > math.Abs(a[p][c]) {
				p = r
			}
		}
		if math.Abs(a[p][c]) < 1e-12 {
			return b, false
		}
		a[c], a[p] = a[p], a[c]
		b[c], b[p] = b[p], b[c]
		for r := c + 1; r < n; r++ {
			f := a[r][c] / a[c][c]
			for k := c; k < n; k++ {
				a[r][k] -= f * a[c][k]
			}
			b[r] -= f * b[c]
		}
	}
	var x [8]float64
	for r := n - 1; r >= 0; r-- {
		s := b[r]
		for k := r + 1; k < n; k++ {
			s -= a[r][k] * x[k]
		}
		x[r] = s / a[r][r]
	}
	return x, true
}
