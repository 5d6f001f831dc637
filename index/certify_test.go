package index

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestInt8BoundHolds: for random and nearly parallel unit vectors, the exact
// score never exceeds the int8 pass's bound (certify.go), which is what lets
// a search skip the templates the int8 pass dropped.
func TestInt8BoundHolds(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	const d = 512
	x, _ := New(Options{Dim: d})
	qc := make([]int8, d)
	worst := math.Inf(-1)
	for i := 0; i < 2000; i++ {
		q := randUnit(r, d)
		v := randUnit(r, d)
		if i%2 == 1 { // close to the query: large products, the bound's hard case
			for j := range v {
				v[j] = q[j] + 0.05*v[j]
			}
			v = unit(v)
		}
		if err := x.Add(int64(i), v); err != nil {
			t.Fatal(err)
		}
		qb := queryErr(quantize(qc, q), qc)
		est := float32(dot8Go(qc, x.codes[i*d:(i+1)*d])) * x.scale[i]
		bound := qb.bound(est, x.l1[i], x.scale[i], 0)
		exact := Dot(q, v)
		if bound-exact > 0.05 { // the bound is of use only if it is tight
			t.Fatalf("pair %d: bound %v far above exact %v", i, bound, exact)
		}
		if qb.below(bound, exact) {
			t.Fatalf("pair %d: exact %v above the bound %v", i, exact, bound)
		}
		worst = max(worst, float64(bound-exact))
	}
	t.Logf("largest bound - exact over 2,000 pairs: %.4f", worst)
}

func unit(v []float32) []float32 {
	n := norm(v)
	for i := range v {
		v[i] /= n
	}
	return v
}

// TestWidensWhenBoundFails: in a gallery of near-copies of one template,
// hundreds of scores sit within the int8 error of the 10th, so the bound
// cannot clear it; the search must notice (Cost.Widened), re-score every
// candidate exactly and return the brute-force top 10. Without the check it
// returns whichever near-copies int8 rounding favoured.
func TestWidensWhenBoundFails(t *testing.T) {
	r := rand.New(rand.NewPCG(43, 44))
	const d, n = 512, 3000
	x, _ := New(Options{Dim: d})
	c := randUnit(r, d)
	vs := map[int64][]float32{}
	for i := 0; i < n; i++ {
		e := randUnit(r, d)
		v := make([]float32, d)
		for j := range v {
			v[j] = c[j] + 0.02*e[j]
		}
		vs[int64(i)] = unit(v)
		if err := x.Add(int64(i), vs[int64(i)]); err != nil {
			t.Fatal(err)
		}
	}
	widened := 0
	for trial := 0; trial < 20; trial++ {
		e := randUnit(r, d)
		q := make([]float32, d)
		for j := range q {
			q[j] = c[j] + 0.05*e[j]
		}
		q = unit(q)
		got, cost, err := x.SearchCost(q, 10)
		if err != nil {
			t.Fatal(err)
		}
		if cost.Widened {
			widened++
			if cost.FloatRows < n {
				t.Fatalf("widened search re-scored %d rows of %d", cost.FloatRows, n)
			}
		}
		want := brute(vs, q, 10)
		for i := range want {
			if got[i].ID != want[i].ID {
				t.Fatalf("trial %d rank %d: got %+v, want %+v", trial, i, got[i], want[i])
			}
		}
	}
	if widened != 20 {
		t.Fatalf("%d of 20 searches widened; near-copies should defeat the bound every time", widened)
	}
}

// TestReserveKeepsContents: Reserve on a non-empty index keeps what it
// holds and searches as before.
func TestReserveKeepsContents(t *testing.T) {
	r := rand.New(rand.NewPCG(45, 46))
	x, _ := New(Options{Dim: 64})
	vs := map[int64][]float32{}
	for i := int64(0); i < 100; i++ {
		if i == 50 {
			x.Reserve(1000)
		}
		vs[i] = randUnit(r, 64)
		if err := x.Add(i, vs[i]); err != nil {
			t.Fatal(err)
		}
	}
	x.Reserve(0)
	q := randUnit(r, 64)
	got, _ := x.Search(q, 5)
	want := brute(vs, q, 5)
	if x.Len() != 100 || len(got) != 5 {
		t.Fatalf("len %d, %d results", x.Len(), len(got))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("rank %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
}
