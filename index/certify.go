package index

import "math"

// Certifying the int8 pass. A template t and the query q are held in int8
// as t ≈ st·T and q ≈ sq·Q with every value rounded to the nearest step, so
//
//	q·t − sq·st·(Q·T) = Σ (q_i − sq·Q_i)·t_i + Σ sq·Q_i·(t_i − st·T_i)
//	                 ≤ sq/2·Σ|t_i| + sq·st/2·Σ|Q_i|.
//
// The int8 pass keeps the best candidates of each shard by st·(Q·T) and
// remembers, over those it drops, the largest sq·(st·(Q·T) + Σ|t_i|/2 +
// st·Σ|Q_i|/2): that (plus float32 rounding) bounds the exact score of
// every dropped template. With a learnt subspace (subspace.go) t and q
// stand for U·t and U·q there, and q·t = (Uq)·(Ut) + q⊥·t⊥ with
// |q⊥·t⊥| ≤ ‖q⊥‖·e_t, so each dropped template's bound gains ‖q⊥‖·e_t.
// When the k-th exact score of the kept ones is above it, no dropped
// template can enter the top k; otherwise the search re-scores every int8
// candidate exactly. This makes the int8 -> float32
// step exact by construction; the two-bit pass before it has no such bound
// (its outer levels' error is unbounded), and its depth margin is measured
// (PrefilterCandidates).

// queryBound is what the bound needs of the query.
type queryBound struct {
	scale float32 // sq
	l1    float32 // Σ|Q_i|
	perp  float32 // ‖q⊥‖, the query's norm outside the learnt subspace (0 without one)
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

// bound is the largest exact score a template of int8 score est (without
// the query's scale), Σ|t_i| l1t, scale st and residual e can have.
func (qb queryBound) bound(est, l1t, st, e float32) float32 {
	return qb.scale*(est+l1t/2+st*qb.l1/2) + qb.perp*e
}

// below reports whether every template whose bound is at most rejected
// scores below kth exactly.
func (qb queryBound) below(rejected, kth float32) bool {
	if math.IsInf(float64(rejected), -1) {
		return true
	}
	return rejected+roundSlack*(1+abs32(kth)) < kth
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
// the query's scale) and the largest bound of those it dropped.
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
		var e float32
		if x.resid != nil {
			e = x.resid[s]
		}
		sh.rejected = max(sh.rejected, qb.bound(lose.Score, x.l1[s], x.scale[s], e))
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
	for _, s := range slots {
		if x.isSide(s) {
			continue // offerSide scores it
		}
		cost.FloatRows++
		best.offer(Match{ID: x.ids[s], Score: Dot(q, x.data[s*d:(s+1)*d])}, k)
	}
	x.offerSide(q, k, &best, cost)
	return best
}
