// Package linalg holds the small dense linear algebra that more than one
// package needs (the search index learns its subspace with it, the
// evaluations fit a Gaussian to templates). Pure Go, float64.
package linalg

import "math"

// SymEigen returns the eigenvalues (descending) and eigenvectors of the
// symmetric n×n matrix a (row-major, overwritten): vecs[i] is the unit
// eigenvector of vals[i]. It is the Householder reduction to tridiagonal
// form and the implicit QL iteration of EISPACK's tred2 and tql2 (as in
// the public-domain JAMA), in float64: O(n³), ~0.5 s for n = 512.
func SymEigen(a []float64, n int) (vals []float64, vecs [][]float64) {
	v := make([][]float64, n)
	for i := range v {
		v[i] = a[i*n : (i+1)*n]
	}
	d, e := make([]float64, n), make([]float64, n)
	tred2(v, d, e)
	tql2(v, d, e)
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	// Descending eigenvalues; the eigenvectors are the columns of v.
	sortDesc(order, d)
	vals = make([]float64, n)
	vecs = make([][]float64, n)
	for j, c := range order {
		vals[j] = d[c]
		vecs[j] = make([]float64, n)
		for k := 0; k < n; k++ {
			vecs[j][k] = v[k][c]
		}
	}
	return vals, vecs
}

func sortDesc(order []int, d []float64) {
	for i := 1; i < len(order); i++ { // insertion sort: n is a few hundred
		for j := i; j > 0 && d[order[j]] > d[order[j-1]]; j-- {
			order[j], order[j-1] = order[j-1], order[j]
		}
	}
}

// tred2 reduces v (symmetric) to tridiagonal form by Householder
// reflections: d gets the diagonal, e the subdiagonal (e[0] = 0), and v
// the accumulated orthogonal transformation.
func tred2(v [][]float64, d, e []float64) {
	n := len(v)
	copy(d, v[n-1])
	for i := n - 1; i > 0; i-- {
		var scale, h float64
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
		householder(v, d, e, i, h)
		d[i] = h
	}
	accumulate(v, d)
	for j := 0; j < n; j++ {
		d[j] = v[n-1][j]
		v[n-1][j] = 0
	}
	v[n-1][n-1] = 1
	e[0] = 0
}

// householder applies the reflection of step i of tred2 to v[0:i][0:i].
func householder(v [][]float64, d, e []float64, i int, h float64) {
	for j := 0; j < i; j++ {
		e[j] = 0
	}
	for j := 0; j < i; j++ {
		f := d[j]
		v[j][i] = f
		g := e[j] + v[j][j]*f
		for k := j + 1; k <= i-1; k++ {
			g += v[k][j] * d[k]
			e[k] += v[k][j] * f
		}
		e[j] = g
	}
	var f float64
	for j := 0; j < i; j++ {
		e[j] /= h
		f += e[j] * d[j]
	}
	hh := f / (h + h)
	for j := 0; j < i; j++ {
		e[j] -= hh * d[j]
	}
	for j := 0; j < i; j++ {
		f, g := d[j], e[j]
		for k := j; k <= i-1; k++ {
			v[k][j] -= f*e[k] + g*d[k]
		}
		d[j] = v[i-1][j]
		v[i][j] = 0
	}
}

// accumulate builds the orthogonal transformation of tred2 in v.
func accumulate(v [][]float64, d []float64) {
	n := len(v)
	for i := 0; i < n-1; i++ {
		v[n-1][i] = v[i][i]
		v[i][i] = 1
		h := d[i+1]
		if h != 0 {
			for k := 0; k <= i; k++ {
				d[k] = v[k][i+1] / h
			}
			for j := 0; j <= i; j++ {
				var g float64
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
}

// tql2 diagonalises the tridiagonal (d, e) by the implicit QL method,
// applying the rotations to v: d gets the eigenvalues, v's columns the
// eigenvectors.
func tql2(v [][]float64, d, e []float64) {
	n := len(v)
	for i := 1; i < n; i++ {
		e[i-1] = e[i]
	}
	e[n-1] = 0
	var f, tst1 float64
	eps := math.Pow(2, -52)
	for l := 0; l < n; l++ {
		tst1 = max(tst1, math.Abs(d[l])+math.Abs(e[l]))
		m := l
		for m < n-1 && math.Abs(e[m]) > eps*tst1 {
			m++
		}
		if m > l {
			for iter := 0; iter < 64; iter++ {
				f += qlStep(v, d, e, l, m)
				if math.Abs(e[l]) <= eps*tst1 {
					break
				}
			}
		}
		d[l] += f
		e[l] = 0
	}
}

// qlStep is one implicit-shift QL sweep over d[l..m], e[l..m]; it returns
// the shift applied to d[l+2:].
func qlStep(v [][]float64, d, e []float64, l, m int) float64 {
	n := len(v)
	g := d[l]
	p := (d[l+1] - g) / (2 * e[l])
	r := math.Hypot(p, 1)
	if p < 0 {
		r = -r
	}
	d[l] = e[l] / (p + r)
	d[l+1] = e[l] * (p + r)
	dl1 := d[l+1]
	h := g - d[l]
	for i := l + 2; i < n; i++ {
		d[i] -= h
	}
	p = d[m]
	c, c2, c3 := 1.0, 1.0, 1.0
	el1 := e[l+1]
	var s, s2 float64
	for i := m - 1; i >= l; i-- {
		c3, c2, s2 = c2, c, s
		g = c * e[i]
		hh := c * p
		r = math.Hypot(p, e[i])
		e[i+1] = s * r
		s, c = e[i]/r, p/r
		p = c*d[i] - s*g
		d[i+1] = hh + s*(c*g+s*d[i])
		for k := 0; k < n; k++ {
			t := v[k][i+1]
			v[k][i+1] = s*v[k][i] + c*t
			v[k][i] = c*v[k][i] - s*t
		}
	}
	p = -s * s2 * c3 * el1 * e[l] / dl1
	e[l] = s * p
	d[l] = c * p
	return h
}
