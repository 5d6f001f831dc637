package eval

import (
	"math"
	"sort"
)

// symEigen returns the eigenvalues of the symmetric matrix a, largest
// first, and the matching unit eigenvectors as the columns of v. It is the
// Householder tridiagonalisation and implicit QL iteration of JAMA's
// EigenvalueDecomposition (public domain); a is not changed.
func symEigen(a [][]float64) (vals []float64, v [][]float64) {
	n := len(a)
	v = make([][]float64, n)
	for i := range v {
		v[i] = append([]float64(nil), a[i]...)
	}
	d, e := make([]float64, n), make([]float64, n)
	if n == 0 {
		return d, v
	}
	tred2(v, d, e)
	tql2(v, d, e)
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool { return d[order[i]] > d[order[j]] })
	vals = make([]float64, n)
	sorted := make([][]float64, n)
	for i := range sorted {
		sorted[i] = make([]float64, n)
	}
	for c, o := range order {
		vals[c] = d[o]
		for r := 0; r < n; r++ {
			sorted[r][c] = v[r][o]
		}
	}
	return vals, sorted
}

// tred2 reduces v (holding a) to tridiagonal form: d the diagonal, e the
// sub-diagonal, v the accumulated orthogonal transform.
func tred2(v [][]float64, d, e []float64) {
	n := len(d)
	copy(d, v[n-1])
	for i := n - 1; i > 0; i-- {
		scale, h := 0.0, 0.0
		for k := 0; k < i; k++ {
			scale += math.Abs(d[k])
		}
		if scale == 0 {
			e[i] = d[i-1]
			for j := 0; j < i; j++ {
				d[j] = v[i-1][j]
				v[i][j], v[j][i] = 0, 0
			}
			d[i] = h
			continue
		}
		for k := 0; k < i; k++ {
			d[k] /= scale
			h += d[k] * d[k]
		}
		f := d[i-1]
		g := math.Sqrt(h)
		if f > 0 {
			g = -g
		}
		e[i] = scale * g
		h -= f * g
		d[i-1] = f - g
		for j := 0; j < i; j++ {
			e[j] = 0
		}
		for j := 0; j < i; j++ {
			f = d[j]
			v[j][i] = f
			g = e[j] + v[j][j]*f
			for k := j + 1; k <= i-1; k++ {
				g += v[k][j] * d[k]
				e[k] += v[k][j] * f
			}
			e[j] = g
		}
		f = 0
		for j := 0; j < i; j++ {
			e[j] /= h
			f += e[j] * d[j]
		}
		hh := f / (h + h)
		for j := 0; j < i; j++ {
			e[j] -= hh * d[j]
		}
		for j := 0; j < i; j++ {
			f, g = d[j], e[j]
			for k := j; k <= i-1; k++ {
				v[k][j] -= f*e[k] + g*d[k]
			}
			d[j] = v[i-1][j]
			v[i][j] = 0
		}
		d[i] = h
	}
	accumulate(v, d)
	e[0] = 0
}

// accumulate turns the Householder vectors left in v by tred2 into the
// orthogonal transform.
func accumulate(v [][]float64, d []float64) {
	n := len(d)
	for i := 0; i < n-1; i++ {
		v[n-1][i] = v[i][i]
		v[i][i] = 1
		if h := d[i+1]; h != 0 {
			for k := 0; k <= i; k++ {
				d[k] = v[k][i+1] / h
			}
			for j := 0; j <= i; j++ {
				g := 0.0
				for k := 0; k <= i; k++ {
					g += v[k][i+1] * v[k][j]
				}
				for k := 0; k <= i; k++ {
					v[k][j] -= g * d[k]
				}
			}
		}
		for k := 0; k <= i; k++ {
			v[k][i+1] = 0
		}
	}
	for j := 0; j < n; j++ {
		d[j] = v[n-1][j]
		v[n-1][j] = 0
	}
	v[n-1][n-1] = 1
}

// tql2 diagonalises the tridiagonal matrix (d, e) by implicit QL steps,
// applying each rotation to v; d ends as the eigenvalues.
func tql2(v [][]float64, d, e []float64) {
	n := len(d)
	for i := 1; i < n; i++ {
		e[i-1] = e[i]
	}
	e[n-1] = 0
	f, tst1 := 0.0, 0.0
	eps := math.Pow(2, -52)
	for l := 0; l < n; l++ {
		tst1 = math.Max(tst1, math.Abs(d[l])+math.Abs(e[l]))
		m := l
		for m < n-1 && math.Abs(e[m]) > eps*tst1 {
			m++
		}
		for iter := 0; m > l && iter < 100; iter++ {
			f += qlStep(v, d, e, l, m)
			if math.Abs(e[l]) <= eps*tst1 {
				break
			}
		}
		d[l] += f
		e[l] = 0
	}
}

// qlStep is one implicit shifted QL step on rows l..m; it returns the shift.
func qlStep(v [][]float64, d, e []float64, l, m int) float64 {
	n := len(d)
	g := d[l]
	p := (d[l+1] - g) / (2 * e[l])
	r := math.Hypot(p, 1)
	if p < 0 {
		r = -r
	}
	d[l] = e[l] / (p + r)
	d[l+1] = e[l] * (p + r)
	dl1 := d[l+1]
	shift := g - d[l]
	for i := l + 2; i < n; i++ {
		d[i] -= shift
	}
	p = d[m]
	c, c2, c3 := 1.0, 1.0, 1.0
	el1 := e[l+1]
	s, s2, h := 0.0, 0.0, 0.0
	for i := m - 1; i >= l; i-- {
		c3, c2, s2 = c2, c, s
		g = c * e[i]
		h = c * p
		r = math.Hypot(p, e[i])
		e[i+1] = s * r
		s = e[i] / r
		c = p / r
		p = c*d[i] - s*g
		d[i+1] = h + s*(c*g+s*d[i])
		for k := 0; k < n; k++ {
			h = v[k][i+1]
			v[k][i+1] = s*v[k][i] + c*h
			v[k][i] = c*v[k][i] - s*h
		}
	}
	p = -s * s2 * c3 * el1 * e[l] / dl1
	e[l] = s * p
	d[l] = c * p
	return shift
}
