package index

import (
	"fmt"
	"math"
	"math/bits"
	"sort"
	"sync"
)

// tierQuery is the query in the coarse tiers' coordinates, quantised: for
// the int8 pass (with what its certificate needs) and for the two-bit pass
// (with a subspace: folded with the whitening; else the same).
func (x *Index) tierQuery(q []float32) (qc, q2 []int8, qe queryBound) {
	qv, perp := q, float32(0)
	if x.sub != nil {
		qv = make([]float32, x.sub.r)
		perp = x.sub.split(qv, q)
	}
	qc = make([]int8, len(qv))
	qe = queryErr(quantize(qc, qv), qc)
	qe.perp = perp
	if x.sub == nil {
		return qc, qc, qe
	}
	q2 = make([]int8, x.sub.rr)
	quantize(q2, x.sub.fold(make([]float32, x.sub.rr), qv))
	return qc, q2, qe
}

func (x *Index) search(q []float32, k int, cost *Cost) ([]Match, error) {
	if err := x.check(q); err != nil {
		return nil, err
	}
	if k <= 0 {
		return nil, fmt.Errorf("index: k = %d must be positive", k)
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	n := len(x.ids)
	if n == 0 {
		return nil, nil
	}
	defer x.countBytes(cost)
	cand := max(32*k, 256)
	qc, q2, qe := x.tierQuery(q)
	var parts []shard
	var slots []int // the two-bit pass's candidates (nil: every slot)
	if c := x.candidates(n, k); c < n {
		// Large gallery: the two-bit pass picks c slots, the int8 pass ranks them.
		slots = x.prefilter(q2, c)
		cost.CodeRows, cost.Int8Rows = n, len(slots)
		parts = parallel(x.opts.Workers, len(slots), func(lo, hi int) shard { return x.scanSlots(qc, qe, slots[lo:hi], cand) })
	} else {
		cost.Int8Rows = n
		parts = parallel(x.opts.Workers, n, func(lo, hi int) shard { return x.scan(qc, qe, lo, hi, cand) })
	}
	// Re-score the candidates exactly (their IDs hold slots here), and the
	// side list, which the int8 pass skips.
	d := x.opts.Dim
	best := make(topK, 0, k+1)
	rejected := float32(math.Inf(-1))
	for _, p := range parts {
		cost.FloatRows += len(p.t)
		rejected = max(rejected, p.rejected)
		for _, m := range p.t {
			s := int(m.ID)
			best.offer(Match{ID: x.ids[s], Score: Dot(q, x.data[s*d:(s+1)*d])}, k)
		}
	}
	x.offerSide(q, k, &best, cost)
	if len(best) == k && !qe.below(rejected, best[0].Score) {
		// A template the int8 pass dropped might still beat the k-th: re-score
		// every int8 candidate exactly (rare; certify.go).
		best = x.rescoreAll(q, k, slots, cost)
	}
	out := []Match(best)
	sort.Slice(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// offerSide scores the side list exactly into best.
func (x *Index) offerSide(q []float32, k int, best *topK, cost *Cost) {
	d := x.opts.Dim
	for _, s := range x.side {
		best.offer(Match{ID: x.ids[s], Score: Dot(q, x.data[s*d:(s+1)*d])}, k)
	}
	cost.SideRows += len(x.side)
	cost.FloatRows += len(x.side)
}

// countBytes fills cost.Bytes: what each pass read, plus U with a subspace.
func (x *Index) countBytes(cost *Cost) {
	d, td := int64(x.opts.Dim), int64(x.tdim)
	cost.Bytes = int64(cost.CodeRows)*int64(code2Bytes(x.tdim)) + int64(cost.Int8Rows)*(td+4) + int64(cost.FloatRows)*4*d
	if x.sub != nil {
		cost.Bytes += int64(cost.Int8Rows)*4 + 4*td*d // e_t of each int8 row; U
	}
}

// PrefilterMin is the gallery size from which a search starts with the
// two-bit pass; smaller galleries are scanned in int8 directly.
const PrefilterMin = 1 << 16

// PrefilterCandidates is how many templates the two-bit pass hands to the
// int8 pass in a gallery of n templates searched for the best k (n when
// the gallery is scanned in int8 directly). The margin is measured in
// TestPrefilterRecall and docs/benchmarks.md: the true top 10 of 1M
// templates ranked at most a few hundred deep in the two-bit order.
func PrefilterCandidates(n, k int) int {
	if n < PrefilterMin {
		return n
	}
	return min(n, max(4096, 256*k, n/64))
}

// candidates is PrefilterCandidates with the index's own threshold.
func (x *Index) candidates(n, k int) int {
	if n < x.prefMin {
		return n
	}
	return min(n, max(4096, 256*k, n/64))
}

// parallel runs f over shards of [0, n) on up to workers goroutines.
func parallel[T any](workers, n int, f func(lo, hi int) T) []T {
	workers = min(workers, max(1, n/4096))
	parts := make([]T, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		lo, hi := n*w/workers, n*(w+1)/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			parts[w] = f(lo, hi)
		}()
	}
	wg.Wait()
	return parts
}

// prefilter returns the slots whose two-bit codes score best against the
// int8 query qc: at least c of them (ties of the last histogram bin kept).
// Each worker scores its share of the gallery into a buffer and a
// histogram; the cut-off comes from the summed histograms, and each worker
// then collects its own share's slots above it, so selection needs no heap
// and no pass over the gallery on one core.
func (x *Index) prefilter(qc []int8, c int) []int {
	q := query2(qc)
	qv := queryVNNI(q)
	stride := code2Bytes(x.tdim)
	n := len(x.ids)
	buf := scorePool.Get().(*[]int32)
	defer scorePool.Put(buf)
	if cap(*buf) < n {
		*buf = make([]int32, n)
	}
	scores := (*buf)[:n]
	off, histShift := histogram(q)
	bins := 2*off>>histShift + 1
	workers := min(x.opts.Workers, max(1, n/4096))
	hists := make([][]int32, workers)
	found := make([][]int, workers)
	cutc := make(chan int, workers)
	var scored, wg sync.WaitGroup
	scored.Add(workers)
	wg.Add(workers)
	for wk := 0; wk < workers; wk++ {
		lo, hi := n*wk/workers, n*(wk+1)/workers
		go func() {
			defer wg.Done()
			h := make([]int32, bins)
			for b := lo; b < hi; b += 1024 { // batches stay in cache for the histogram
				e := min(hi, b+1024)
				scores2(x.code2[b*stride:e*stride], stride, q, qv, scores[b:e])
				for _, sc := range scores[b:e] {
					h[(int(sc)+off)>>histShift]++
				}
			}
			hists[wk] = h
			scored.Done()
			cut := <-cutc
			var mine []int
			for s := lo; s < hi; s++ {
				if (int(scores[s])+off)>>histShift >= cut {
					mine = append(mine, s)
				}
			}
			found[wk] = mine
		}()
	}
	scored.Wait()
	cut, total := bins-1, 0
	for ; cut > 0; cut-- {
		for _, h := range hists {
			total += int(h[cut])
		}
		if total >= c {
			break
		}
	}
	for range workers {
		cutc <- cut
	}
	wg.Wait()
	slots := make([]int, 0, total)
	for _, f := range found {
		slots = append(slots, f...)
	}
	return slots
}

// histogram returns the bound off on |Σ q_i·u_i| for the padded query q
// (levels u are 0..3) and the shift that coarsens scores into histogram
// bins of 1/32 to 1/64 of sqrt(Σ q_i²), the scale of the scores' spread: a
// bin small enough that the cut keeps few more than c, whatever the
// query's magnitude (a whitened query in a subspace has a smaller one).
func histogram(q []int8) (off, shift int) {
	var l1, l2 int
	for _, v := range q {
		l1 += max(int(v), -int(v))
		l2 += int(v) * int(v)
	}
	return 3 * l1, max(0, bits.Len(uint(math.Sqrt(float64(l2))))-6)
}

var scorePool = sync.Pool{New: func() any { return new([]int32) }}

// scan ranks slots [lo, hi) by their int8 score and returns the best c,
// with slot numbers in Match.ID, and the bound of those it dropped.
func (x *Index) scan(qc []int8, qe queryBound, lo, hi, c int) shard {
	d := x.tdim
	sh := shard{t: make(topK, 0, c+1), rejected: float32(math.Inf(-1))}
	for s := lo; s < hi; s++ {
		if x.isSide(s) {
			continue // scored exactly (offerSide)
		}
		sh.offer(x, qe, Match{ID: int64(s), Score: float32(dot8(qc, x.codes[s*d:(s+1)*d])) * x.scale[s]}, c)
	}
	return sh
}

// scanSlots is scan over a list of slots (in batches, so the kernel can
// prefetch the scattered rows ahead).
func (x *Index) scanSlots(qc []int8, qe queryBound, slots []int, c int) shard {
	sh := shard{t: make(topK, 0, c+1), rejected: float32(math.Inf(-1))}
	var out [256]int32
	for b := 0; b < len(slots); b += len(out) {
		batch := slots[b:min(len(slots), b+len(out))]
		dot8Rows(qc, x.codes, batch, out[:len(batch)])
		for i, s := range batch {
			if x.isSide(s) {
				continue // scored exactly (offerSide)
			}
			sh.offer(x, qe, Match{ID: int64(s), Score: float32(out[i]) * x.scale[s]}, c)
		}
	}
	return sh
}
