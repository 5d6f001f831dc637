// Package cluster groups face embeddings (unit vectors) into people.
//
// The default method is average-linkage agglomerative clustering restricted
// to a k-nearest-neighbour graph: every face is linked to its K most similar
// faces (found through an inverted-file index, so neither time nor memory is
// quadratic), and clusters joined by an edge are merged, most similar first,
// while the average cosine similarity between their members stays at or
// above Threshold. For unit vectors the average pairwise similarity of two
// clusters is the dot product of their mean vectors, so each cluster keeps
// only a running sum and a linkage costs one dot product.
//
// Clustering is deterministic: the same vectors, options and constraints
// give the same labels regardless of the number of workers.
//
// Constraints carry a user's curation: must-link groups (a merge, a move,
// a confirmed person) always end in one cluster, cannot-link pairs (a split,
// "not this person") never do, and with Constraints.Separate existing people
// never merge with each other, which is how new faces join existing people
// incrementally.
package cluster

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/mienhq/mien/face"
)

// Method is a clustering algorithm.
type Method int

const (
	// AverageLinkage merges kNN-connected clusters while their average
	// similarity is >= Threshold (the default; chosen by measurement on LFW,
	// see docs/benchmarks.md).
	AverageLinkage Method = iota
	// SingleLinkage joins faces linked by a kNN edge of similarity >=
	// Threshold (connected components of the thresholded graph); with
	// Options.Mutual only mutual neighbours are linked.
	SingleLinkage
	// NearestCentroid visits faces in order and adds each to the existing
	// cluster with the most similar mean (among the clusters of its kNN
	// neighbours) when that similarity is >= Threshold, else starts a new one.
	NearestCentroid
)

func (m Method) String() string {
	switch m {
	case AverageLinkage:
		return "average-linkage"
	case SingleLinkage:
		return "single-linkage"
	case NearestCentroid:
		return "nearest-centroid"
	}
	return fmt.Sprintf("Method(%d)", int(m))
}

// ParseMethod reads a Method's String form.
func ParseMethod(s string) (Method, error) {
	for _, m := range []Method{AverageLinkage, SingleLinkage, NearestCentroid} {
		if m.String() == s {
			return m, nil
		}
	}
	return 0, fmt.Errorf("cluster: unknown method %q (average-linkage, single-linkage, nearest-centroid)", s)
}

// DefaultThreshold is the average-linkage cosine threshold chosen on LFW for
// the standard pack's recognizer (see docs/benchmarks.md).
const DefaultThreshold = 0.46

// Options configure Cluster.
type Options struct {
	Method Method
	// Threshold is the cosine similarity at or above which faces (or, for
	// average linkage, clusters) are joined (0 = DefaultThreshold).
	Threshold float32
	// K is the number of neighbours per face in the candidate graph (0 = 24).
	K int
	// Mutual keeps only mutual kNN edges (SingleLinkage only).
	Mutual bool
	// Index tunes the neighbour search.
	Index IndexOptions
}

func (o Options) withDefaults() Options {
	if o.Threshold == 0 {
		o.Threshold = DefaultThreshold
	}
	if o.K <= 0 {
		o.K = 24
	}
	return o
}

// Constraints are the user's curation, in point indices.
type Constraints struct {
	// MustLink lists groups of points that must share a cluster.
	MustLink [][]int
	// CannotLink lists pairs of points that must not share a cluster.
	CannotLink [][2]int
	// Separate forbids merging two MustLink groups with each other: each
	// group is an existing person that new points may join.
	Separate bool
}

// ErrConflict is returned when the constraints contradict each other.
var ErrConflict = errors.New("cluster: a cannot-link pair lies inside a must-link group")

// Cluster assigns each vector a cluster label in [0, number of clusters),
// numbered in order of each cluster's first point. Vectors must be unit
// length and of one dimension; it is safe to call concurrently.
func Cluster(ctx context.Context, vecs [][]float32, o Options, c Constraints) ([]int, error) {
	o = o.withDefaults()
	if len(vecs) == 0 {
		return nil, nil
	}
	if err := checkVectors(vecs); err != nil {
		return nil, err
	}
	s, err := newState(vecs, c)
	if err != nil {
		return nil, err
	}
	minSim := o.Threshold
	if o.Method == AverageLinkage {
		// An average can reach the threshold through edges below it.
		minSim = o.Threshold - 0.15
	}
	nb, err := KNN(ctx, vecs, o.K, minSim, o.Index)
	if err != nil {
		return nil, err
	}
	switch o.Method {
	case AverageLinkage:
		err = s.average(ctx, nb, o.Threshold)
	case SingleLinkage:
		s.single(nb, o.Threshold, o.Mutual)
	case NearestCentroid:
		s.nearestCentroid(nb, o.Threshold)
	default:
		return nil, fmt.Errorf("cluster: unknown method %d", o.Method)
	}
	if err != nil {
		return nil, err
	}
	return s.labels(), nil
}

func checkVectors(vecs [][]float32) error {
	d := len(vecs[0])
	if d == 0 {
		return errors.New("cluster: empty vector")
	}
	for i, v := range vecs {
		if len(v) != d {
			return fmt.Errorf("cluster: vector %d has %d dimensions, want %d", i, len(v), d)
		}
	}
	return nil
}

// state is a union-find over points with per-cluster sums and constraints.
type state struct {
	vecs    [][]float32
	parent  []int32
	size    []int32
	sum     [][]float32 // per root; nil until the cluster has two points
	sealed  []bool      // per root: an existing person (Separate)
	cannot  [][]int32   // per root: points this cluster must not join
	version []int32     // per root: bumped on every merge
}

func newState(vecs [][]float32, c Constraints) (*state, error) {
	n := len(vecs)
	s := &state{vecs: vecs, parent: make([]int32, n), size: make([]int32, n), sealed: make([]bool, n),
		sum: make([][]float32, n), cannot: make([][]int32, n), version: make([]int32, n)}
	for i := range s.parent {
		s.parent[i], s.size[i] = int32(i), 1
	}
	for _, p := range c.CannotLink {
		a, b := p[0], p[1]
		if a < 0 || b < 0 || a >= n || b >= n {
			return nil, fmt.Errorf("cluster: cannot-link pair %v out of range", p)
		}
		s.cannot[a] = append(s.cannot[a], int32(b))
		s.cannot[b] = append(s.cannot[b], int32(a))
	}
	for _, g := range c.MustLink {
		for _, p := range g {
			if p < 0 || p >= n {
				return nil, fmt.Errorf("cluster: must-link point %d out of range", p)
			}
			if !s.union(s.find(g[0]), s.find(p)) {
				return nil, ErrConflict
			}
		}
		if c.Separate && len(g) > 0 {
			s.sealed[s.find(g[0])] = true
		}
	}
	return s, nil
}

func (s *state) find(i int) int {
	for s.parent[i] != int32(i) {
		s.parent[i] = s.parent[s.parent[i]]
		i = int(s.parent[i])
	}
	return i
}

// allowed reports whether roots a and b may merge.
func (s *state) allowed(a, b int) bool {
	if a == b {
		return false
	}
	if s.sealed[a] && s.sealed[b] {
		return false
	}
	x, y := a, b
	if len(s.cannot[x]) > len(s.cannot[y]) {
		x, y = y, x
	}
	for _, p := range s.cannot[x] {
		if s.find(int(p)) == y {
			return false
		}
	}
	return true
}

// union merges roots a and b when allowed; it reports whether they are one
// cluster afterwards.
func (s *state) union(a, b int) bool {
	if a == b {
		return true
	}
	if !s.allowed(a, b) {
		return false
	}
	if s.size[a] < s.size[b] || (s.size[a] == s.size[b] && a > b) {
		a, b = b, a
	}
	s.sum[a] = s.sumOf(a)
	if s.sum[b] != nil {
		addTo(s.sum[a], s.sum[b])
	} else {
		addTo(s.sum[a], s.vecs[b])
	}
	s.parent[b] = int32(a)
	s.size[a] += s.size[b]
	s.sealed[a] = s.sealed[a] || s.sealed[b]
	s.cannot[a] = append(s.cannot[a], s.cannot[b]...)
	s.sum[b], s.cannot[b] = nil, nil
	s.version[a]++
	return true
}

// sumOf returns root r's sum vector, allocating it for a singleton.
func (s *state) sumOf(r int) []float32 {
	if s.sum[r] == nil {
		s.sum[r] = slices.Clone(s.vecs[r])
	}
	return s.sum[r]
}

// linkage is the average similarity of roots a and b's members.
func (s *state) linkage(a, b int) float32 {
	va, vb := s.vecs[a], s.vecs[b]
	if s.sum[a] != nil {
		va = s.sum[a]
	}
	if s.sum[b] != nil {
		vb = s.sum[b]
	}
	return face.Dot(va, vb) / float32(s.size[a]*s.size[b])
}

// labels numbers clusters in order of their first point.
func (s *state) labels() []int {
	out := make([]int, len(s.parent))
	ids := map[int]int{}
	for i := range out {
		r := s.find(i)
		id, ok := ids[r]
		if !ok {
			id = len(ids)
			ids[r] = id
		}
		out[i] = id
	}
	return out
}

// candidate is a pair of clusters and their linkage when it was computed.
type candidate struct {
	sim      float32
	a, b     int32
	va, vb   int32
	computed bool
}

type candHeap []candidate

func (h candHeap) Len() int { return len(h) }
func (h candHeap) Less(i, j int) bool {
	if h[i].sim != h[j].sim {
		return h[i].sim > h[j].sim
	}
	if h[i].a != h[j].a {
		return h[i].a < h[j].a
	}
	return h[i].b < h[j].b
}
func (h candHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *candHeap) Push(x any)   { *h = append(*h, x.(candidate)) }
func (h *candHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// average runs graph-restricted average-linkage agglomeration. Candidate
// pairs come from kNN edges; a popped pair whose clusters changed since its
// linkage was computed is recomputed and pushed back, so every merge uses
// the exact current linkage.
func (s *state) average(ctx context.Context, nb [][]Neighbour, thr float32) error {
	h := candHeap{}
	for i, list := range nb {
		for _, n := range list {
			j := int(n.Index)
			if j < i && containsIndex(nb[j], int32(i)) {
				continue // the pair is already queued from j
			}
			a, b := min(i, j), max(i, j)
			// a pair of untouched singletons' linkage is the edge itself
			single := s.find(a) == a && s.find(b) == b && s.size[a] == 1 && s.size[b] == 1
			h = append(h, candidate{sim: n.Sim, a: int32(a), b: int32(b), computed: single})
		}
	}
	heap.Init(&h)
	for steps := 0; h.Len() > 0; steps++ {
		if steps%65536 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		c := heap.Pop(&h).(candidate)
		if c.sim < thr {
			break
		}
		ra, rb := s.find(int(c.a)), s.find(int(c.b))
		if ra == rb || !s.allowed(ra, rb) {
			continue
		}
		fresh := c.computed && int32(ra) == c.a && int32(rb) == c.b && s.version[ra] == c.va && s.version[rb] == c.vb
		if !fresh {
			if ra > rb {
				ra, rb = rb, ra
			}
			l := s.linkage(ra, rb)
			if l >= thr {
				heap.Push(&h, candidate{sim: l, a: int32(ra), b: int32(rb), va: s.version[ra], vb: s.version[rb], computed: true})
			}
			continue
		}
		s.union(ra, rb)
	}
	return nil
}

func containsIndex(list []Neighbour, i int32) bool {
	for _, n := range list {
		if n.Index == i {
			return true
		}
	}
	return false
}

// single joins the endpoints of every kNN edge of similarity >= thr, most
// similar first, skipping joins the constraints forbid.
func (s *state) single(nb [][]Neighbour, thr float32, mutual bool) {
	var edges []candidate
	for i, list := range nb {
		for _, n := range list {
			j := int(n.Index)
			if n.Sim < thr || (mutual && !containsIndex(nb[j], int32(i))) {
				continue
			}
			if j < i && containsIndex(nb[j], int32(i)) {
				continue
			}
			edges = append(edges, candidate{sim: n.Sim, a: int32(min(i, j)), b: int32(max(i, j))})
		}
	}
	slices.SortFunc(edges, func(x, y candidate) int {
		if (candHeap{x, y}).Less(0, 1) {
			return -1
		}
		return 1
	})
	for _, e := range edges {
		s.union(s.find(int(e.a)), s.find(int(e.b)))
	}
}

// nearestCentroid visits points in index order; each joins the cluster
// (among those of its already-visited neighbours) whose mean is most
// similar, when that similarity is >= thr.
func (s *state) nearestCentroid(nb [][]Neighbour, thr float32) {
	visited := make([]bool, len(s.vecs))
	for i := range s.vecs {
		visited[i] = true
		ri := s.find(i)
		best, bestSim := -1, thr
		for _, n := range nb[i] {
			if !visited[n.Index] {
				continue
			}
			r := s.find(int(n.Index))
			if r == ri || !s.allowed(ri, r) {
				continue
			}
			sum := s.vecs[r]
			if s.sum[r] != nil {
				sum = s.sum[r]
			}
			var sim float32 // similarity to the normalised mean
			if norm := face.Dot(sum, sum); norm > 0 {
				sim = face.Dot(sum, s.vecs[i]) / sqrt32(norm)
			}
			if sim >= bestSim {
				best, bestSim = r, sim
			}
		}
		if best >= 0 {
			s.union(ri, best)
		}
	}
}
