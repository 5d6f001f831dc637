package cluster

import (
	"context"
	"math"
	"runtime"
	"slices"
	"sync"

	"github.com/mienhq/mien/face"
)

// Neighbour is one entry of a point's neighbour list.
type Neighbour struct {
	Index int32
	Sim   float32
}

// IndexOptions tune the inverted-file index used to find neighbours.
type IndexOptions struct {
	// Lists is the number of k-means cells (0 = about sqrt(n); 1 = exact
	// brute force).
	Lists int
	// Probe is the number of cells searched per query (0 = 12).
	Probe int
	// Workers is the number of goroutines (0 = GOMAXPROCS).
	Workers int
}

// ivf is an inverted-file index: spherical k-means cells, each holding the
// points nearest its centroid. A query scans the Probe nearest cells, so a
// neighbour search costs about (Lists + Probe*n/Lists) dot products instead
// of n.
type ivf struct {
	data  [][]float32
	cents [][]float32
	lists [][]int32
	probe int
	// flat holds the vectors of each cell contiguously (cell by cell, in
	// lists order) so a scan streams through memory; start[c] is cell c's
	// first row.
	flat  []float32
	start []int
	dim   int
	cell  []int32 // each point's cell
}

func (o IndexOptions) withDefaults(n int) IndexOptions {
	if o.Lists <= 0 {
		o.Lists = int(math.Sqrt(float64(n)))
		if n < 4000 {
			o.Lists = 1
		}
	}
	o.Lists = max(1, min(o.Lists, n))
	if o.Probe <= 0 {
		o.Probe = 12
	}
	o.Probe = min(o.Probe, o.Lists)
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	return o
}

// parallel runs f(i) for i in [0, n) on w goroutines, stopping early when
// ctx is cancelled.
func parallel(ctx context.Context, n, w int, f func(i int)) error {
	var wg sync.WaitGroup
	next := make(chan int, 256)
	for range max(1, w) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				f(i)
			}
		}()
	}
	var err error
	for i := 0; i < n; i++ {
		if i%1024 == 0 {
			if err = ctx.Err(); err != nil {
				break
			}
		}
		next <- i
	}
	close(next)
	wg.Wait()
	return err
}

// nearestCentroid returns the index of the centroid most similar to v.
func nearestCentroid(cents [][]float32, v []float32) int {
	best, bs := 0, float32(-2)
	for c, cv := range cents {
		if s := face.Dot(cv, v); s > bs {
			best, bs = c, s
		}
	}
	return best
}

// buildIVF trains spherical k-means on an evenly spaced sample of data and
// files every point under its nearest centroid. It is deterministic.
func buildIVF(ctx context.Context, data [][]float32, o IndexOptions) (*ivf, error) {
	x := &ivf{data: data, probe: o.Probe}
	n := len(data)
	if o.Lists == 1 {
		all := make([]int32, n)
		for i := range all {
			all[i] = int32(i)
		}
		x.cents, x.lists = [][]float32{nil}, [][]int32{all}
		x.pack()
		return x, nil
	}
	sample := make([][]float32, 0, min(n, 48*o.Lists))
	step := float64(n) / float64(cap(sample))
	for i := range cap(sample) {
		sample = append(sample, data[int(float64(i)*step)])
	}
	dim := len(data[0])
	x.cents = make([][]float32, o.Lists)
	for c := range x.cents {
		x.cents[c] = slices.Clone(sample[c*len(sample)/o.Lists])
	}
	assign := make([]int, len(sample))
	for range 6 {
		if err := parallel(ctx, len(sample), o.Workers, func(i int) { assign[i] = nearestCentroid(x.cents, sample[i]) }); err != nil {
			return nil, err
		}
		sums := make([][]float32, o.Lists)
		for c := range sums {
			sums[c] = make([]float32, dim)
		}
		for i, c := range assign {
			addTo(sums[c], sample[i])
		}
		for c, s := range sums {
			if face.Dot(s, s) > 0 { // an empty cell keeps its centroid
				normalize(s)
				x.cents[c] = s
			}
		}
	}
	all := make([]int, n)
	if err := parallel(ctx, n, o.Workers, func(i int) { all[i] = nearestCentroid(x.cents, data[i]) }); err != nil {
		return nil, err
	}
	x.lists = make([][]int32, o.Lists)
	for i, c := range all {
		x.lists[c] = append(x.lists[c], int32(i))
	}
	x.pack()
	return x, nil
}

// pack copies the vectors into flat, cell by cell.
func (x *ivf) pack() {
	x.dim = len(x.data[0])
	x.flat = make([]float32, 0, len(x.data)*x.dim)
	x.start = make([]int, len(x.lists)+1)
	x.cell = make([]int32, len(x.data))
	for c, l := range x.lists {
		x.start[c] = len(x.flat) / x.dim
		for _, i := range l {
			x.flat = append(x.flat, x.data[i]...)
			x.cell[i] = int32(c)
		}
	}
	x.start[len(x.lists)] = len(x.data)
}

// search returns up to k neighbours of q with similarity >= minSim, most
// similar first, leaving out skip (the query's own index, or -1).
func (x *ivf) search(q []float32, k int, minSim float32, skip int32, out []Neighbour) []Neighbour {
	out = out[:0]
	cells := []int{0}
	if len(x.cents) > 1 {
		cells = x.nearestCells(q)
	}
	d := x.dim
	for _, c := range cells {
		row := x.start[c]
		for k2, j := range x.lists[c] {
			if j == skip {
				continue
			}
			r := (row + k2) * d
			s := face.Dot(q, x.flat[r:r+d:r+d])
			if s < minSim || (len(out) == k && s <= out[k-1].Sim) {
				continue
			}
			out = insertTop(out, Neighbour{j, s}, k)
		}
	}
	return out
}

// nearestCells returns the probe cells whose centroids are most similar to q.
func (x *ivf) nearestCells(q []float32) []int {
	top := make([]Neighbour, 0, x.probe)
	for c, cv := range x.cents {
		s := face.Dot(cv, q)
		if len(top) < x.probe || s > top[len(top)-1].Sim {
			top = insertTop(top, Neighbour{int32(c), s}, x.probe)
		}
	}
	cells := make([]int, len(top))
	for i, t := range top {
		cells[i] = int(t.Index)
	}
	return cells
}

// insertTop inserts nb into the descending list top, keeping at most k
// entries; ties keep the lower index first so results are deterministic.
func insertTop(top []Neighbour, nb Neighbour, k int) []Neighbour {
	i := len(top)
	for i > 0 && (top[i-1].Sim < nb.Sim || (top[i-1].Sim == nb.Sim && top[i-1].Index > nb.Index)) {
		i--
	}
	if i >= k {
		return top
	}
	if len(top) < k {
		top = append(top, Neighbour{})
	}
	copy(top[i+1:], top[i:len(top)-1])
	top[i] = nb
	return top
}

// KNN returns, for every vector, up to k most similar other vectors with
// cosine >= minSim, found through an inverted-file index (approximate when
// o.Lists > 1). Vectors must be unit length. It is deterministic.
func KNN(ctx context.Context, data [][]float32, k int, minSim float32, o IndexOptions) ([][]Neighbour, error) {
	if len(data) == 0 {
		return nil, nil
	}
	o = o.withDefaults(len(data))
	x, err := buildIVF(ctx, data, o)
	if err != nil {
		return nil, err
	}
	out := make([][]Neighbour, len(data))
	// Queries run cell by cell: neighbouring queries probe mostly the same
	// cells, which then stay in cache.
	order := make([]int32, 0, len(data))
	for _, l := range x.lists {
		order = append(order, l...)
	}
	err = parallel(ctx, len(data), o.Workers, func(n int) {
		i := order[n]
		nb := x.search(data[i], k, minSim, i, make([]Neighbour, 0, k))
		out[i] = slices.Clip(nb)
	})
	return out, err
}
