// Package index is an in-memory exact nearest-template search over unit
// vectors (cosine similarity = dot product). The server keeps one Index per
// collection, loaded at start-up and kept in step with the store.
//
// Each template is kept three times, contiguously: as float32 (exact
// scores), as int8 with a per-vector scale, and as a two-bit code
// (code2.go). A search of a gallery of PrefilterMin templates or more first
// scores every two-bit code against the int8 query on all Workers, with an
// AVX-512 VNNI kernel where the CPU has one (four templates a loop), AVX2
// otherwise, and keeps the best PrefilterCandidates; smaller galleries skip
// that pass. The int8 pass (AVX2; pure Go elsewhere or with -tags purego)
// then ranks those candidates, prefetching their scattered rows ahead,
// split into shards over Workers goroutines, keeps the best max(32k, 256) a
// shard, and re-scores them exactly in float32. The int8 -> float32 step is
// certified (certify.go): when a dropped template might still beat the k-th
// exact score, every int8 candidate is re-scored. The two-bit pass is not
// certified: the result is the exact top k unless a true top-k template
// ranks below the kept candidates there, which TestPrefilterRecall,
// TestNearDuplicatesExact and the subspace tests bound against brute force
// (and `mien eval search` on the open-set evaluation's real queries).
//
// The learnt subspace (subspace.go). When a gallery reaches PrefilterMin
// templates the index learns, from a sample of them, the subspace they lie
// in (a recognizer's templates fill ~180 of 512 dimensions) and from then
// on holds the int8 tier in its r ≤ 256 coordinates and the two-bit tier in
// those coordinates centred, whitened and rotated: a 64-byte two-bit code
// instead of 128, an r-byte int8 row instead of 512, so the first pass
// reads half the bytes. The certificate gains the exact
// bound of what the subspace misses (‖q⊥‖·e_t), templates outside it go to
// a side list scored exactly, and the final step stays exact float32 over
// all 512 values, so the answers are still brute force's. Isotropic
// galleries (random vectors) fit no subspace and keep the 512-d tiers and
// their figures; Options.FullDim keeps them always. SearchCost reports
// what each pass read.
//
// Index is safe for concurrent use: searches share a read lock, Add and
// Remove take the write lock (Add projects onto the subspace before taking
// it). The Add that brings the gallery to PrefilterMin learns the subspace
// and re-encodes the gallery under the lock: a one-time pause (7-21 s for
// 65,536 templates on two shared cores, docs/benchmarks.md).
package index

import (
	"container/heap"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"

	"github.com/mienhq/mien/face"
)

// Match is one search result.
type Match struct {
	ID    int64   `json:"id"`
	Score float32 `json:"score"` // cosine similarity in [-1, 1]
}

// Options configure an Index.
type Options struct {
	Dim     int // vector length (required)
	Workers int // goroutines per search (0 = GOMAXPROCS)
	// FullDim keeps the coarse tiers in all Dim dimensions: the index
	// never learns a subspace (subspace.go). For comparisons.
	FullDim bool
}

// Errors callers act on.
var (
	ErrDuplicate = errors.New("index: id already present")
	ErrDim       = errors.New("index: wrong vector length")
)

// Index is an exact search index.
type Index struct {
	opts  Options
	mu    sync.RWMutex
	data  []float32     // Len*Dim values, exact
	tdim  int           // values a template has in the coarse tiers: Dim, or r in a subspace
	codes []int8        // Len*tdim values, quantised
	scale []float32     // per slot: tier vector ~ scale * codes
	l1    []float32     // per slot: Σ|tier vector| (the int8 error bound, certify.go)
	code2 []byte        // per slot: two-bit code of the tier vector (code2.go)
	ids   []int64       // slot -> id
	slot  map[int64]int // id -> slot

	sub     *subspace // the learnt subspace (subspace.go); nil: the tiers hold all Dim values
	resid   []float32 // per slot, with sub: e_t, the norm outside the subspace
	side    []int     // with sub: the slots whose e_t is above sideCut, scored exactly
	tried   bool      // a subspace was tried (learnt or not): it is tried once
	learnAt int       // gallery size at which the subspace is learnt (PrefilterMin; smaller in tests)
	prefMin int       // gallery size from which the two-bit pass runs (PrefilterMin; smaller in tests)
}

// New returns an empty index.
func New(opts Options) (*Index, error) {
	if opts.Dim <= 0 {
		return nil, fmt.Errorf("index: dimension %d must be positive", opts.Dim)
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	return &Index{opts: opts, tdim: opts.Dim, slot: map[int64]int{}, learnAt: PrefilterMin, prefMin: PrefilterMin}, nil
}

func (x *Index) check(v []float32) error {
	if len(v) != x.opts.Dim {
		return fmt.Errorf("%w: %d values, index holds %d", ErrDim, len(v), x.opts.Dim)
	}
	for _, f := range v {
		if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
			return errors.New("index: vector holds a NaN or infinite value")
		}
	}
	return nil
}

// Add inserts a template under id. With a learnt subspace the template is
// projected before the write lock is taken, so Adds from several
// goroutines project in parallel.
func (x *Index) Add(id int64, v []float32) error {
	if err := x.check(v); err != nil {
		return err
	}
	for {
		x.mu.RLock()
		sub := x.sub
		x.mu.RUnlock()
		var z []float32
		var e float32
		if sub != nil {
			z = make([]float32, sub.r)
			e = sub.split(z, v)
		}
		x.mu.Lock()
		if x.sub == sub { // else the subspace changed meanwhile: project again
			err := x.add(id, v, z, e)
			x.mu.Unlock()
			return err
		}
		x.mu.Unlock()
	}
}

// add inserts v (z, e: its projection U·v and residual with x.sub).
func (x *Index) add(id int64, v, z []float32, e float32) error {
	if _, ok := x.slot[id]; ok {
		return fmt.Errorf("%w: %d", ErrDuplicate, id)
	}
	s := len(x.ids)
	x.slot[id] = s
	x.ids = append(x.ids, id)
	x.data = append(x.data, v...)
	if x.sub == nil {
		x.appendTier(v, v)
	} else {
		x.appendTier(z, x.sub.whiten(make([]float32, x.sub.rr), z))
		x.resid = append(x.resid, e)
		if e > sideCut {
			x.side = append(x.side, s)
		}
	}
	x.adapt()
	return nil
}

// appendTier appends the int8 code of v and the two-bit code of v2 (with a
// subspace: U·t, and its whitened z).
func (x *Index) appendTier(v, v2 []float32) {
	n := len(x.codes)
	x.codes = append(x.codes, make([]int8, len(v))...)
	x.scale = append(x.scale, quantize(x.codes[n:], v))
	x.l1 = append(x.l1, l1(v))
	m := len(x.code2)
	x.code2 = append(x.code2, make([]byte, code2Bytes(len(v)))...)
	encode2(x.code2[m:], v2)
}

// Reserve makes room for n more templates, so that loading a large gallery
// does not copy its tiers over and over as they grow.
func (x *Index) Reserve(n int) {
	if n <= 0 {
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	d, td, m := x.opts.Dim, x.tdim, len(x.ids)+n
	x.data = slices.Grow(x.data, n*d)
	x.codes = slices.Grow(x.codes, n*td)
	x.scale = slices.Grow(x.scale, n)
	x.l1 = slices.Grow(x.l1, n)
	x.code2 = slices.Grow(x.code2, n*code2Bytes(td))
	x.ids = slices.Grow(x.ids, n)
	if x.sub != nil {
		x.resid = slices.Grow(x.resid, n)
	}
	if len(x.slot) == 0 {
		x.slot = make(map[int64]int, m)
	}
}

// Remove deletes id (moving the last template into its slot) and reports
// whether it was present.
func (x *Index) Remove(id int64) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	s, ok := x.slot[id]
	if !ok {
		return false
	}
	last := len(x.ids) - 1
	if x.sub != nil {
		x.removeSide(s, last)
	}
	d, td, w2 := x.opts.Dim, x.tdim, code2Bytes(x.tdim)
	if s != last {
		copy(x.data[s*d:(s+1)*d], x.data[last*d:(last+1)*d])
		copy(x.codes[s*td:(s+1)*td], x.codes[last*td:(last+1)*td])
		x.scale[s] = x.scale[last]
		x.l1[s] = x.l1[last]
		copy(x.code2[s*w2:(s+1)*w2], x.code2[last*w2:(last+1)*w2])
		x.ids[s] = x.ids[last]
		x.slot[x.ids[s]] = s
	}
	// Zero the freed tail so no template outlives its removal in memory.
	clear(x.data[last*d : (last+1)*d])
	clear(x.codes[last*td : (last+1)*td])
	clear(x.code2[last*w2 : (last+1)*w2])
	x.data = x.data[:last*d]
	x.codes = x.codes[:last*td]
	x.code2 = x.code2[:last*w2]
	x.scale = x.scale[:last]
	x.l1 = x.l1[:last]
	x.ids = x.ids[:last]
	delete(x.slot, id)
	return true
}

// Score returns the exact cosine similarity of q to the template stored
// under id, and false when id is not in the index.
func (x *Index) Score(q []float32, id int64) (float32, bool, error) {
	if err := x.check(q); err != nil {
		return 0, false, err
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	s, ok := x.slot[id]
	if !ok {
		return 0, false, nil
	}
	d := x.opts.Dim
	return Dot(q, x.data[s*d:(s+1)*d]), true, nil
}

// Vector copies the template stored under id into dst (grown as needed)
// and returns it, or false when id is not in the index. The copy is the
// caller's: it does not outlive a later Remove in the index's memory.
func (x *Index) Vector(dst []float32, id int64) ([]float32, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	s, ok := x.slot[id]
	if !ok {
		return dst[:0], false
	}
	d := x.opts.Dim
	return append(dst[:0], x.data[s*d:(s+1)*d]...), true
}

// Len returns the number of templates.
func (x *Index) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.ids)
}

// BytesPerTemplate is the memory one template takes (vector, id and map entry, approximately).
func (x *Index) BytesPerTemplate() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	b := 4*x.opts.Dim + x.tdim + 4 + 4 + code2Bytes(x.tdim) + 8 + 16 // float32, int8, scale, l1, two-bit, id, map entry
	if x.sub != nil {
		b += 4 // e_t
	}
	return b
}

// Subspace reports the dimension of the learnt subspace the coarse tiers
// work in, 0 when they hold all Dim values, and the size of the side list
// (templates outside it, scored exactly on every search).
func (x *Index) Subspace() (rank, side int) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.sub == nil {
		return 0, 0
	}
	return x.sub.r, len(x.side)
}

// Cost is the work one search did, independent of the machine's load:
// what each pass read.
type Cost struct {
	CodeRows  int  // two-bit codes scored (the whole gallery, or none below PrefilterMin)
	Int8Rows  int  // int8 rows scored
	FloatRows int  // float32 rows re-scored exactly (the side list's included)
	SideRows  int  // templates outside the learnt subspace, scored exactly
	Widened   bool // the int8 bound did not clear the k-th score: every int8 candidate was re-scored exactly
	Bytes     int64
}

// Search returns the k templates most similar to q, best first.
func (x *Index) Search(q []float32, k int) ([]Match, error) {
	m, _, err := x.SearchCost(q, k)
	return m, err
}

// SearchCost is Search that also reports the search's Cost.
func (x *Index) SearchCost(q []float32, k int) ([]Match, Cost, error) {
	var cost Cost
	m, err := x.search(q, k, &cost)
	return m, cost, err
}

// topK is a min-heap of the best matches seen.
type topK []Match

func (t topK) Len() int { return len(t) }
func (t topK) Less(i, j int) bool {
	if t[i].Score != t[j].Score {
		return t[i].Score < t[j].Score
	}
	return t[i].ID > t[j].ID
}
func (t topK) Swap(i, j int) { t[i], t[j] = t[j], t[i] }
func (t *topK) Push(v any)   { *t = append(*t, v.(Match)) }
func (t *topK) Pop() any {
	old := *t
	v := old[len(old)-1]
	*t = old[:len(old)-1]
	return v
}

func (t *topK) offer(m Match, k int) {
	if len(*t) < k {
		heap.Push(t, m)
		return
	}
	if (*t)[0].Score < m.Score || ((*t)[0].Score == m.Score && m.ID < (*t)[0].ID) {
		(*t)[0] = m
		heap.Fix(t, 0)
	}
}

// Dot returns the dot product of two equal-length vectors (face.Dot, the
// one the whole product scores with).
func Dot(a, b []float32) float32 { return face.Dot(a, b) }
