package index

import "sync"

// The cascade of coarse passes over large galleries: one-bit codes
// (code1.go) over everything, two-bit codes (code2.go) over what the
// one-bit pass kept, then int8 and float32 in Search.

// OneBitMin is the gallery size from which a search starts with the one-bit
// pass; smaller galleries start with the two-bit pass (PrefilterMin) or
// the int8 scan. A variable so that tests can exercise the cascade on
// small galleries.
var OneBitMin = 1 << 18

// OneBitCandidates is how many templates the one-bit pass hands to the
// two-bit pass in a gallery of n templates searched for the best k (n when
// the pass is skipped). The margin is measured in TestPrefilterRecall and
// docs/benchmarks.md: over 1M random templates the true top 10 ranked at
// most 90,963 deep in the one-bit order (200 queries; the depth has a heavy
// tail: 37,719 was the deepest of the first 40); the search keeps 250,000.
func OneBitCandidates(n, k int) int {
	if n < OneBitMin {
		return n
	}
	return min(n, max(1<<15, 1024*k, n/4))
}

// oneBit returns the slots (ascending) whose one-bit scores are best for
// query q: at least c of them. The cut-off comes from a histogram of every
// sample-th score (a full histogram costs more than the kernel: most scores
// fall in a few bins), aimed a little low, and is lowered until at least c
// slots pass it.
func (x *Index) oneBit(q []float32, c int) []int {
	nb := code1Bytes(x.opts.Dim)
	lut := query1(q, nb)
	n := len(x.ids)
	blocks := (n + code1Block - 1) / code1Block
	buf := score16Pool.Get().(*[]uint16)
	defer score16Pool.Put(buf)
	if cap(*buf) < blocks*code1Block {
		*buf = make([]uint16, blocks*code1Block)
	}
	scores := (*buf)[:blocks*code1Block]
	// Places past n (the last block's empty ones) score zero: below any cut.
	const shift, sample = 2, 8
	bins := 1<<16>>shift + 1
	workers := min(x.opts.Workers, max(1, blocks/128))
	hists := make([][]int32, workers)
	stride := nb * code1Block
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		lo, hi := blocks*w/workers, blocks*(w+1)/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := make([]int32, bins)
			for b := lo; b < hi; b += 64 { // batches stay in cache for the histogram
				e := min(hi, b+64)
				out := scores[b*code1Block : e*code1Block]
				scores1(x.code1[b*stride:e*stride], nb, lut, out)
				if e*code1Block > n {
					clear(out[n-b*code1Block:])
				}
				for i := 0; i < len(out); i += sample {
					h[out[i]>>shift]++
				}
			}
			hists[w] = h
		}()
	}
	wg.Wait()
	want := c/sample + c/sample/16 + 64 // a little over, so one collection is usually enough
	cut, _ := cutoff(hists, want, 1)
	for {
		slots := x.collect16(scores[:n], uint16(cut<<shift), workers)
		if len(slots) >= c || cut <= 1 {
			return slots
		}
		cut = max(1, cut-max(1, cut/64))
	}
}

// collect16 returns the indices of the scores >= floor, in order, each
// worker collecting its own range.
func (x *Index) collect16(scores []uint16, floor uint16, workers int) []int {
	n := len(scores)
	kept := make([][]int, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		lo, hi := n*w/workers, n*(w+1)/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			var out []int
			for s, sc := range scores[lo:hi] {
				if sc >= floor {
					out = append(out, lo+s)
				}
			}
			kept[w] = out
		}()
	}
	wg.Wait()
	if workers == 1 {
		return kept[0]
	}
	total := 0
	for _, k := range kept {
		total += len(k)
	}
	slots := make([]int, 0, total)
	for _, k := range kept {
		slots = append(slots, k...)
	}
	return slots
}

var score16Pool = sync.Pool{New: func() any { return new([]uint16) }}

// twoBit ranks the given slots by their two-bit scores against the int8
// query qc and returns the best c of them (at least c: ties of the last
// histogram bin kept).
func (x *Index) twoBit(qc []int8, slots []int, c int) []int {
	if len(slots) <= c {
		return slots
	}
	q := query2(qc)
	stride := code2Bytes(x.opts.Dim)
	scores := make([]int32, len(slots))
	off := maxScore2(len(q))
	bins := 2*off>>histShift + 1
	workers := min(x.opts.Workers, max(1, len(slots)/4096))
	hists := make([][]int32, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		lo, hi := len(slots)*w/workers, len(slots)*(w+1)/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := make([]int32, bins)
			for i := lo; i < hi; i++ {
				s := slots[i]
				scores2(x.code2[s*stride:(s+1)*stride], stride, q, scores[i:i+1])
				h[(int(scores[i])+off)>>histShift]++
			}
			hists[w] = h
		}()
	}
	wg.Wait()
	cut, total := cutoff(hists, c, 0)
	kept := make([]int, 0, total)
	for i, s := range slots {
		if (int(scores[i])+off)>>histShift >= cut {
			kept = append(kept, s)
		}
	}
	return kept
}

// cutoff is the highest histogram bin (at least floor) from which the
// histograms together count at least c, and that count.
func cutoff(hists [][]int32, c, floor int) (int, int) {
	cut, total := len(hists[0])-1, 0
	for ; cut > floor; cut-- {
		for _, h := range hists {
			total += int(h[cut])
		}
		if total >= c {
			break
		}
	}
	return cut, total
}
