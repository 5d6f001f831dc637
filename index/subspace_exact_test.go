package index

import (
	"math/rand/v2"
	"sync"
	"testing"
)

// fill adds n templates drawn by draw under ids from base on, into x and vs.
func fill(t *testing.T, x *Index, vs map[int64][]float32, base int64, n int, draw func() []float32) [][]float32 {
	t.Helper()
	var held [][]float32
	for i := int64(0); i < int64(n); i++ {
		v := draw()
		if err := x.Add(base+i, v); err != nil {
			t.Fatal(err)
		}
		vs[base+i] = v
		held = append(held, v)
	}
	return held
}

// TestSubspaceLowRankExact (a): a gallery from a 176-dimensional subspace
// with the recognizer's decaying spectrum and noise of norm 1e-3 is
// searched in a learnt 192-dimensional subspace (64-byte two-bit codes,
// 192-byte int8 rows, nothing on the side list), and every answer equals
// brute force.
func TestSubspaceLowRankExact(t *testing.T) {
	r := rand.New(rand.NewPCG(71, 72))
	g := newLowRank(r, 512, 176, 1e-3)
	x := newSmall(512, 4096, 4096)
	vs := map[int64][]float32{}
	held := fill(t, x, vs, 0, 12000, func() []float32 { return g.draw(r) })
	if rank, side := x.Subspace(); rank != 192 || side != 0 {
		t.Fatalf("learnt rank %d with %d on the side list, want 192 and 0", rank, side)
	}
	if b := x.BytesPerTemplate(); b != 4*512+192+8+64+24+4 {
		t.Fatalf("%d bytes a template", b)
	}
	qs := queries(r, g, held, 45)
	widened := checkExact(t, x, vs, qs, 10)
	_, cost, _ := x.SearchCost(qs[0], 10)
	if cost.CodeRows != 12000 || cost.Int8Rows >= 12000 || cost.SideRows != 0 {
		t.Fatalf("cost %+v: want the two-bit pass over all, int8 over its candidates", cost)
	}
	t.Logf("45 queries exact, %d widened", widened)
}

// TestSubspaceMixedExact (b): 2% of the gallery are isotropic outliers
// (another recognizer's templates): they land on the side list, are scored
// exactly, and queries near them find them.
func TestSubspaceMixedExact(t *testing.T) {
	r := rand.New(rand.NewPCG(73, 74))
	g := newLowRank(r, 512, 176, 1e-3)
	x := newSmall(512, 4096, 4096)
	vs := map[int64][]float32{}
	var outliers [][]float32
	held := fill(t, x, vs, 0, 10000, func() []float32 {
		if r.IntN(50) == 0 {
			v := randUnit(r, 512)
			outliers = append(outliers, v)
			return v
		}
		return g.draw(r)
	})
	rank, side := x.Subspace()
	if rank == 0 || side != len(outliers) {
		t.Fatalf("rank %d, %d on the side list, want a subspace and the %d outliers", rank, side, len(outliers))
	}
	qs := queries(r, g, held, 30)
	for i := 0; i < 10; i++ { // an outlier's own template, and a noisy copy of one
		o := outliers[r.IntN(len(outliers))]
		qs = append(qs, o, unit(addScaled(randUnit(r, 512), o, 2)))
	}
	checkExact(t, x, vs, qs, 10)
	_, cost, _ := x.SearchCost(qs[0], 10)
	if cost.SideRows != len(outliers) {
		t.Fatalf("side rows %d, want %d", cost.SideRows, len(outliers))
	}
}

func addScaled(a, b []float32, s float32) []float32 {
	out := make([]float32, len(a))
	for i := range a {
		out[i] = a[i] + s*b[i]
	}
	return out
}

// TestSubspaceIsotropicFallsBack (c): random 512-d templates fit no
// subspace: the index keeps its 512-d tiers and answers exactly.
func TestSubspaceIsotropicFallsBack(t *testing.T) {
	r := rand.New(rand.NewPCG(75, 76))
	g := newLowRank(r, 512, 176, 1e-3)
	x := newSmall(512, 4096, 4096)
	vs := map[int64][]float32{}
	held := fill(t, x, vs, 0, 6000, func() []float32 { return randUnit(r, 512) })
	if rank, _ := x.Subspace(); rank != 0 || x.tdim != 512 || !x.tried {
		t.Fatalf("isotropic gallery: rank %d, tier dim %d, tried %v", rank, x.tdim, x.tried)
	}
	checkExact(t, x, vs, queries(r, g, held, 21), 10)
}

// outside returns a unit vector orthogonal to x's learnt subspace.
func outside(r *rand.Rand, x *Index) []float32 {
	w := randUnit(r, x.opts.Dim)
	p := make([]float32, x.sub.r)
	x.sub.split(p, w)
	d := x.opts.Dim
	for j, pj := range p {
		for k := range w {
			w[k] -= pj * x.sub.u[j*d+k]
		}
	}
	return unit(w)
}

// TestSubspaceResidualBound (d): templates whose small residual (e_t ≈
// 0.045, under the side-list cut) points along a query that lies almost
// wholly outside the subspace score high exactly but unremarkably in the
// subspace, so the int8 pass drops most of them. Only the ‖q⊥‖·e_t term
// of the certificate notices: the search must widen and return the brute-
// force top 10; without the term it returns subspace-ranked templates.
func TestSubspaceResidualBound(t *testing.T) {
	r := rand.New(rand.NewPCG(77, 78))
	g := newLowRank(r, 512, 176, 1e-3)
	x := newSmall(512, 2048, PrefilterMin) // learns early; no two-bit pass: the int8 certificate alone
	vs := map[int64][]float32{}
	fill(t, x, vs, 0, 6000, func() []float32 { return g.draw(r) })
	if rank, _ := x.Subspace(); rank == 0 {
		t.Fatal("no subspace learnt")
	}
	var ws [][]float32
	for trial := 0; trial < 5; trial++ {
		w := outside(r, x)
		ws = append(ws, w)
		fill(t, x, vs, int64(10000+100*trial), 20, func() []float32 { return unit(addScaled(g.draw(r), w, 0.045)) })
	}
	if _, side := x.Subspace(); side != 0 {
		t.Fatalf("%d templates on the side list; the aligned ones should stay under the cut", side)
	}
	for i, w := range ws {
		q := unit(addScaled(w, g.draw(r), 0.1))
		_, cost, _ := x.SearchCost(q, 10)
		if !cost.Widened {
			t.Fatalf("query %d: the certificate cleared the 10th score; the residual term should have stopped it", i)
		}
		checkExact(t, x, vs, [][]float32{q}, 10)
	}
}

// TestSubspaceAddRemoveAfterLearning (e): templates added after the basis
// was learnt (outliers among them) and removals that move slots around keep
// the side list and every answer exact; when outliers grow past 1/sideMax
// of the gallery the index returns to its 512-d tiers, still exact.
func TestSubspaceAddRemoveAfterLearning(t *testing.T) {
	r := rand.New(rand.NewPCG(79, 80))
	g := newLowRank(r, 512, 176, 1e-3)
	x := newSmall(512, 4096, 4096)
	vs := map[int64][]float32{}
	held := fill(t, x, vs, 0, 6000, func() []float32 { return g.draw(r) })
	out := fill(t, x, vs, 20000, 120, func() []float32 { return randUnit(r, 512) })
	held = append(held, fill(t, x, vs, 30000, 500, func() []float32 { return g.draw(r) })...)
	outHeld := len(out)
	for id := range vs {
		if r.IntN(4) == 0 {
			if !x.Remove(id) {
				t.Fatalf("remove %d", id)
			}
			delete(vs, id)
			if id >= 20000 && id < 30000 {
				outHeld--
			}
		}
	}
	rank, side := x.Subspace()
	if rank == 0 || side != outHeld || x.Len() != len(vs) {
		t.Fatalf("rank %d, side list %d, want %d outliers; Len %d of %d", rank, side, outHeld, x.Len(), len(vs))
	}
	for _, s := range x.side {
		if id := x.ids[s]; id < 20000 || id >= 30000 {
			t.Fatalf("slot %d (id %d) on the side list", s, id)
		}
	}
	qs := queries(r, g, held, 24)
	for _, o := range out[:8] {
		qs = append(qs, o)
	}
	checkExact(t, x, vs, qs, 10)
	fill(t, x, vs, 40000, 400, func() []float32 { return randUnit(r, 512) })
	if rank, _ := x.Subspace(); rank != 0 || x.tdim != 512 {
		t.Fatalf("side list past 1/%d of the gallery: rank %d, tier dim %d, want the 512-d tiers", sideMax, rank, x.tdim)
	}
	checkExact(t, x, vs, qs, 10)
}

// TestSubspaceConcurrent: Adds from several goroutines (projecting outside
// the lock, retrying when the subspace is learnt meanwhile) and searches
// run together across the learning; the result holds every template once
// and answers exactly.
func TestSubspaceConcurrent(t *testing.T) {
	g := newLowRank(rand.New(rand.NewPCG(81, 82)), 512, 176, 1e-3)
	x := newSmall(512, 3000, 3000)
	vs := make([]map[int64][]float32, 2)
	var wg sync.WaitGroup
	for w := 0; w < 2; w++ {
		vs[w] = map[int64][]float32{}
		wg.Add(2)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 83))
			for i := 0; i < 2500; i++ {
				id := int64(w*10000 + i)
				vs[w][id] = g.draw(r)
				if err := x.Add(id, vs[w][id]); err != nil {
					t.Error(err)
				}
			}
		}()
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 84))
			for i := 0; i < 40; i++ {
				if _, err := x.Search(g.draw(r), 5); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	all := map[int64][]float32{}
	for _, m := range vs {
		for id, v := range m {
			all[id] = v
		}
	}
	if rank, _ := x.Subspace(); rank == 0 || x.Len() != len(all) {
		t.Fatalf("rank %d, Len %d of %d", rank, x.Len(), len(all))
	}
	r := rand.New(rand.NewPCG(85, 86))
	checkExact(t, x, all, [][]float32{g.draw(r), g.draw(r), randUnit(r, 512)}, 10)
}
