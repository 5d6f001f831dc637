package eval

import (
	"container/heap"
	"math"
	"slices"
	"sync"

	"github.com/mienhq/mien/face"
)

// Impostors is the score distribution of every pair of images of
// different people in a set: scores at or above Cut kept exactly (Top,
// highest first), the rest counted in bins of width 1e-4.
type Impostors struct {
	Total int64
	Cut   float32
	Top   []float32
	// Highest are the highest-scoring pairs, best first (for review: a
	// pair of different names scoring like one person is often the same
	// person under two names, or a mislabelled image).
	Highest []ScoredPair
	below   []int64 // counts of scores under Cut, bin i = [-1+i*1e-4, -1+(i+1)*1e-4)
}

// ScoredPair is one pair of records and its cosine.
type ScoredPair struct {
	A, B  string
	Score float32
}

const binWidth = 1e-4

func bin(s float32) int { return min(max(int((float64(s)+1)/binWidth), 0), int(2/binWidth)) }

// ScoreImpostors scores every pair of records whose identities differ
// (identity maps a record to its person, e.g. through an alias list;
// records without a vector are skipped). keep is how many of the highest
// pairs to return; progress, if not nil, is told each finished row (from
// several goroutines at once).
func ScoreImpostors(recs []Record, identity func(Record) string, cut float32, keep, workers int, progress func()) *Impostors {
	type item struct {
		id, path string
		v        []float32
	}
	var items []item
	for _, r := range recs {
		if r.Vector != nil {
			items = append(items, item{identity(r), r.Path, r.Vector})
		}
	}
	workers = max(workers, 1)
	parts := make([]*Impostors, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			im := &Impostors{Cut: cut, below: make([]int64, bin(1)+1)}
			h := &pairHeap{}
			for i := w; i < len(items); i += workers {
				a := items[i]
				for j := i + 1; j < len(items); j++ {
					b := items[j]
					if a.id == b.id {
						continue
					}
					s := face.Dot(a.v, b.v)
					im.Total++
					if s < cut {
						im.below[bin(s)]++
						continue
					}
					im.Top = append(im.Top, s)
					if h.Len() < keep {
						heap.Push(h, ScoredPair{a.path, b.path, s})
					} else if keep > 0 && s > (*h)[0].Score {
						(*h)[0] = ScoredPair{a.path, b.path, s}
						heap.Fix(h, 0)
					}
				}
				if progress != nil {
					progress()
				}
			}
			im.Highest = *h
			parts[w] = im
		}()
	}
	wg.Wait()
	return mergeImpostors(parts, cut, keep)
}

func mergeImpostors(parts []*Impostors, cut float32, keep int) *Impostors {
	out := &Impostors{Cut: cut, below: make([]int64, bin(1)+1)}
	for _, p := range parts {
		out.Total += p.Total
		out.Top = append(out.Top, p.Top...)
		out.Highest = append(out.Highest, p.Highest...)
		for i, n := range p.below {
			out.below[i] += n
		}
	}
	slices.Sort(out.Top)
	slices.Reverse(out.Top)
	slices.SortFunc(out.Highest, func(a, b ScoredPair) int {
		if a.Score > b.Score {
			return -1
		}
		if a.Score < b.Score {
			return 1
		}
		return 0
	})
	out.Highest = out.Highest[:min(len(out.Highest), keep)]
	return out
}

// ThresholdAtFAR returns the lowest threshold at which at most a fraction
// far of the impostor pairs score at or above it: exact within Top, to the
// bin width below Cut.
func (im *Impostors) ThresholdAtFAR(far float64) float32 {
	k := int64(math.Floor(far * float64(im.Total))) // impostors allowed at or above
	if k < int64(len(im.Top)) {
		return math.Nextafter32(im.Top[k], 2)
	}
	above := int64(len(im.Top))
	for i := len(im.below) - 1; i >= 0; i-- {
		if above+im.below[i] > k {
			return float32(-1 + float64(i+1)*binWidth) // the bin's upper edge
		}
		above += im.below[i]
	}
	return -1
}

// FARAt returns the fraction of impostor pairs scoring at or above thr.
func (im *Impostors) FARAt(thr float32) float64 {
	n := int64(len(im.Top))
	i, _ := slices.BinarySearchFunc(im.Top, thr, func(s, t float32) int {
		if s >= t {
			return -1
		}
		return 1
	})
	if thr >= im.Cut {
		n = int64(i)
	} else {
		for b := bin(thr); b < len(im.below); b++ {
			n += im.below[b]
		}
	}
	return float64(n) / float64(max(im.Total, 1))
}

type pairHeap []ScoredPair

func (h pairHeap) Len() int           { return len(h) }
func (h pairHeap) Less(i, j int) bool { return h[i].Score < h[j].Score }
func (h pairHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *pairHeap) Push(x any)        { *h = append(*h, x.(ScoredPair)) }
func (h *pairHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
