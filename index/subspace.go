package index

import (
	"math"
	"sync"

	"github.com/mienhq/mien/internal/linalg"
)

// The learnt subspace. A recognizer's templates are not isotropic: the
// templates of mien's recognizer lie, to ~1e-3 in norm, in a subspace of
// ~180 of their 512 dimensions (docs/benchmarks.md). When a gallery reaches
// learnAt templates (PrefilterMin by default) the index takes a sample of
// them, finds the eigenvectors of their second-moment matrix and keeps the
// smallest r (a multiple of 64, at most dim/2 and 256) of the top ones
// that leave at most fitTol of norm outside their span for 90% of the
// sample: the rows of U (r × dim, orthonormal). Each template t is then
// held in the int8 tier as p = U·t (r bytes) and in the two-bit tier as
// z = p/σ, whitened by the spread σ_j = sqrt(λ_j) of each coordinate (so
// every value of z has about unit spread, which is what the four-level
// quantiser assumes); the query is U·q for the int8 pass and q' = σ·(U·q)
// for the two-bit pass, so that q'·z = (Uq)·(Ut). The int8 tier stays
// unwhitened because its certificate's error term grows with Σ|values|,
// which whitening inflates (a whitened int8 tier widened 10 of 60 searches
// of the 1M low-rank gallery). With r ≤ 256 the two-bit code is 64 bytes,
// half of the 512-d code. What U misses is bounded exactly:
//
//	q·t = (Uq)·(Ut) + q⊥·t⊥,   |q⊥·t⊥| ≤ ‖q⊥‖·e_t,   e_t = ‖t − UᵀUt‖,
//
// so the int8 certificate (certify.go) adds ‖q⊥‖·e_t to each template's
// bound. Templates with e_t above sideCut (outside the subspace: another
// recognizer's template, an outlier) are kept on a side list and scored
// exactly in float32 on every search. When the sample does not fit a
// subspace (isotropic templates), or the side list would exceed 1/sideMax
// of the gallery, the index keeps (or returns to) the 512-d tiers.

const (
	learnSample = 4096    // templates sampled to learn U
	fitTol      = 0.01    // residual norm 90% of the sample must be within, in the chosen r
	sideCut     = 0.05    // e_t above this: the template goes to the side list
	sideMax     = 32      // the side list may hold at most 1/sideMax of the gallery
	maxRank     = 256     // two-bit codes of up to 256 values are 64 bytes
	residSlack  = 1e-4    // covers float32 rounding of e_t and of U's orthonormality
	sigmaFloor  = 1. / 32 // whitening spreads are at least this times the largest
)

// subspace is U with its whitening; immutable once learnt.
type subspace struct {
	dim, r int
	u      []float32 // r rows of dim values, orthonormal
	mu     []float32 // μ_j: the sample's mean of (Ut)_j
	sig    []float32 // σ_j: the sample's spread of (Ut)_j about μ_j
	inv    []float32 // 1/σ_j
	signs  []float32 // the random signs D of the rotation H·D (rr values)
	rr     int       // values a two-bit code holds: r padded to whole 128-value blocks
}

// learnSubspace learns U from the sample (rows of dim values), or returns
// nil when the sample does not lie in a subspace of at most maxR
// dimensions to fitTol.
func learnSubspace(sample []float32, dim int) *subspace {
	maxR := min(maxRank, dim/2) / 64 * 64
	m := len(sample) / dim
	if maxR < 64 || m < 2*maxR {
		return nil
	}
	_, vecs := linalg.SymEigen(secondMoment(sample, dim), dim)
	r := chooseRank(sample, dim, vecs[:maxR])
	if r == 0 {
		return nil
	}
	s := &subspace{dim: dim, r: r, u: make([]float32, r*dim), rr: code2Bytes(r) * 4}
	for j := 0; j < r; j++ {
		for k, v := range vecs[j] {
			s.u[j*dim+k] = float32(v)
		}
	}
	s.spread(sample)
	s.signs = make([]float32, s.rr)
	seed := uint32(2463534242)
	for i := range s.signs { // xorshift: fixed signs, the same in every index
		seed ^= seed << 13
		seed ^= seed >> 17
		seed ^= seed << 5
		s.signs[i] = float32(1 - 2*int(seed&1))
	}
	return s
}

// spread sets μ and σ (floored at sigmaFloor of the largest) of the
// sample's projected coordinates.
func (s *subspace) spread(sample []float32) {
	m := len(sample) / s.dim
	sum, sq := make([]float64, s.r), make([]float64, s.r)
	p := make([]float32, s.r)
	for i := 0; i < m; i++ {
		s.split(p, sample[i*s.dim:(i+1)*s.dim])
		for j, v := range p {
			sum[j] += float64(v)
			sq[j] += float64(v) * float64(v)
		}
	}
	s.mu, s.sig, s.inv = make([]float32, s.r), make([]float32, s.r), make([]float32, s.r)
	var top float64
	sd := make([]float64, s.r)
	for j := range sd {
		mean := sum[j] / float64(m)
		sd[j] = math.Sqrt(max(sq[j]/float64(m)-mean*mean, 0))
		s.mu[j] = float32(mean)
		top = max(top, sd[j])
	}
	for j, v := range sd {
		v = max(v, top*sigmaFloor)
		s.sig[j], s.inv[j] = float32(v), float32(1/v)
	}
}

// chooseRank is the smallest multiple of 64 of rows of vecs (the top
// eigenvectors) that leaves at most fitTol of norm outside their span for
// 90% of the sample's templates (the rest may be outliers, bound for the
// side list), or 0 when none does.
func chooseRank(sample []float32, dim int, vecs [][]float64) int {
	m := len(sample) / dim
	var fits [maxRank/64 + 1]int
	for s := 0; s < m; s++ {
		t := sample[s*dim : (s+1)*dim]
		var left float64
		for _, v := range t {
			left += float64(v) * float64(v)
		}
		for j, u := range vecs {
			var p float64
			for k, v := range t {
				p += u[k] * float64(v)
			}
			left -= p * p
			if (j+1)%64 == 0 && left <= fitTol*fitTol {
				fits[(j+1)/64]++
			}
		}
	}
	for c := 1; c*64 <= len(vecs); c++ {
		if fits[c]*10 >= m*9 {
			return c * 64
		}
	}
	return 0
}

// secondMoment is (1/m)·Σ t·tᵀ over the sample's rows, dim × dim.
func secondMoment(sample []float32, dim int) []float64 {
	m := len(sample) / dim
	a := make([]float64, dim*dim)
	row := make([]float64, dim)
	for s := 0; s < m; s++ {
		for i, v := range sample[s*dim : (s+1)*dim] {
			row[i] = float64(v)
		}
		for i := 0; i < dim; i++ {
			ri, ai := row[i], a[i*dim:i*dim+i+1]
			for j := range ai {
				ai[j] += ri * row[j]
			}
		}
	}
	for i := 0; i < dim; i++ {
		for j := 0; j <= i; j++ {
			a[i*dim+j] /= float64(m)
			a[j*dim+i] = a[i*dim+j]
		}
	}
	return a
}

// split writes p = U·v into p (r values) and returns e = ‖v − Uᵀp‖, the
// residual outside the subspace, plus residSlack.
func (s *subspace) split(p, v []float32) float32 {
	d := s.dim
	res := make([]float32, d)
	copy(res, v)
	for j := 0; j < s.r; j++ {
		row := s.u[j*d : (j+1)*d]
		pj := Dot(row, v)
		p[j] = pj
		axpy(res, row, -pj)
	}
	var ss float64
	for _, x := range res {
		ss += float64(x) * float64(x)
	}
	return float32(math.Sqrt(ss)) + residSlack
}

// whiten writes a template's two-bit coordinates z = H·D·((p − μ)/σ)
// into dst (rr values; p = U·t padded with zeros, rotated).
func (s *subspace) whiten(dst, p []float32) []float32 {
	dst = dst[:s.rr]
	clear(dst)
	for j, v := range p[:s.r] {
		dst[j] = (v - s.mu[j]) * s.inv[j]
	}
	return s.rotate(dst)
}

// fold writes a query's two-bit coordinates q' = H·D·(σ·p) into dst, so
// that q'·z = (Uq)·(Ut − μ): the order of (Uq)·(Ut).
func (s *subspace) fold(dst, p []float32) []float32 {
	dst = dst[:s.rr]
	clear(dst)
	for j, v := range p[:s.r] {
		dst[j] = v * s.sig[j]
	}
	return s.rotate(dst)
}

// rotate applies the orthogonal H·D (random signs, then the normalised
// Walsh-Hadamard transform) to v in place: it spreads the few coordinates
// that carry most of a score over all rr values of the code, so that no
// single coordinate's clipping by the outer two-bit levels decides a rank.
func (s *subspace) rotate(v []float32) []float32 {
	for i := range v {
		v[i] *= s.signs[i]
	}
	for h := 1; h < len(v); h *= 2 {
		for i := 0; i < len(v); i += 2 * h {
			a, b := v[i:i+h], v[i+h:i+2*h]
			for j := range a {
				a[j], b[j] = a[j]+b[j], a[j]-b[j]
			}
		}
	}
	k := float32(1 / math.Sqrt(float64(len(v))))
	for i := range v {
		v[i] *= k
	}
	return v
}

// projectAll computes p = U·t and e_t of n templates (rows of data) on up
// to workers goroutines.
func (s *subspace) projectAll(data []float32, n, workers int) (z, e []float32) {
	z, e = make([]float32, n*s.r), make([]float32, n)
	var wg sync.WaitGroup
	workers = max(1, min(workers, n/256))
	for w := 0; w < workers; w++ {
		lo, hi := n*w/workers, n*(w+1)/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := lo; i < hi; i++ {
				e[i] = s.split(z[i*s.r:(i+1)*s.r], data[i*s.dim:(i+1)*s.dim])
			}
		}()
	}
	wg.Wait()
	return z, e
}

// axpy adds a·x to y (equal lengths; 4-way unrolled).
func axpy(y, x []float32, a float32) {
	x = x[:len(y)]
	i := 0
	for ; i+4 <= len(y); i += 4 {
		yy, xx := y[i:i+4:i+4], x[i:i+4:i+4]
		yy[0] += a * xx[0]
		yy[1] += a * xx[1]
		yy[2] += a * xx[2]
		yy[3] += a * xx[3]
	}
	for ; i < len(y); i++ {
		y[i] += a * x[i]
	}
}
