package index

import "math"

// Certifying the int8 pass. A template t and the query q are held in int8
// as t ≈ st·T and q ≈ sq·Q with every value rounded to the nearest step, so
//
//	q·t − sq·st·(Q·T) = Σ (q_i − sq·Q_i)·t_i + Σ sq·Q_i·(t_i − st·T_i)
//	                 ≤ sq/2·Σ|t_i| + sq·st/2·Σ|Q_i|.
//
// The int8 pass keeps the best candidates of each shard by st·(Q·T) and
// remembers, over those it drops, the largest st·(Q·T) + Σ|t_i|/2 +
// st·Σ|Q_i|/2: sq times that (plus float32 rounding) bounds the exact score
// of every dropped template. When the k-th exact score of the kept ones is
// above it, no dropped template can enter the top k; otherwise the search
// re-scores every int8 candidate exactly. This makes the int8 -> float32
// step exact by construction; the two-bit pass before it has no such bound
// (its outer levels' error is unbounded), and its depth margin is measured
// (PrefilterCandidates).

// queryBound is what the bound needs of the query.
type queryBound struct {
	scale float32 // sq
	l1    float32 // Σ|Q_i|
}

func queryErr(scale float32, qc []int8) queryBound {
	var s int
	for _, v := range qc {
		s += max(int(v), -int(v))
	}
	return queryBound{scale: scale, l1: float32(s)}
}

// roundSlack covers the float32 rounding of the exact and int8 scores of
// unit vectors (512 products: ~3e-5 at most).
const roundSlack = 1e-4

// below reports whether every template whose bound term is at most rejected
// scores below kth exactly.
func (qb queryBound) below(rejected, kth float32) bool {
	if math.IsInf(float64(rejected), -1) {
		return true
	}
	return qb.scale*rejected+roundSlack*(1+abs32(kth)) < kth
}

func abs32(v float32) float32 { return max(v, -v) }

func l1(v []float32) float32 {
	var s float32
	for _, x := range v {
		s += abs32(x)
	}
	return s
}

// shard is one worker's int8 candidates (slots in Match.ID, scores without
// the query's scale) and the largest bound term of those it dropped.
type shard struct {
	t        topK
	rejected float32
}

// offer keeps m among the best c, and folds whichever match loses into the
// bound of the dropped.
func (sh *shard) offer(x *Index, qb queryBound, m Match, c int) {
	if len(sh.t) == c {
		lose := m
		if sh.t[0].Score < m.Score || (sh.t[0].Score == m.Score && m.ID < sh.t[0].ID) {
			lose = sh.t[0]
		}
		s := int(lose.ID)
		sh.rejected = max(sh.rejected, lose.Score+x.l1[s]/2+x.scale[s]*qb.l1/2)
	}
	sh.t.offer(m, c)
}

// rescoreAll is the exact top k over the given slots (nil: every slot).
func (x *Index) rescoreAll(q []float32, k int, slots []int, cost *Cost) topK {
	d := x.opts.Dim
	best := make(topK, 0, k+1)
	cost.Widened = true
	if slots == nil {
		cost.FloatRows += len(x.ids)
		for s := range x.ids {
			best.offer(Match{ID: x.ids[s], Score: Dot(q, x.data[s*d:(s+1)*d])}, k)
		}
		return best
	}
	cost.FloatRows += len(slots)
	for _, s := range slots {
		best.offer(Match{ID: x.ids[s], Score: Dot(q, x.data[s*d:(s+1)*d])}, k)
	}
	return best
}
