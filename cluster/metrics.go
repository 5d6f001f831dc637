package cluster

import "fmt"

// Scores are agreement measures between a predicted clustering and the
// truth, each in [0, 1].
type Scores struct {
	// Pairwise counts pairs of items: precision is the share of predicted
	// same-cluster pairs that are truly the same, recall the share of true
	// same pairs that were put together.
	PairPrecision, PairRecall, PairF1 float64
	// BCubed averages per item: precision is the share of an item's
	// predicted cluster that shares its true label, recall the share of its
	// true class that shares its predicted cluster (Bagga and Baldwin 1998).
	BCubedPrecision, BCubedRecall, BCubedF1 float64
	// Items, Clusters and Classes count what was compared.
	Items, Clusters, Classes int
}

func (s Scores) String() string {
	return fmt.Sprintf("pairwise P %.4f R %.4f F1 %.4f; BCubed P %.4f R %.4f F1 %.4f (%d items, %d clusters, %d classes)",
		s.PairPrecision, s.PairRecall, s.PairF1, s.BCubedPrecision, s.BCubedRecall, s.BCubedF1, s.Items, s.Clusters, s.Classes)
}

// Evaluate compares predicted labels with true labels (same length, any
// comparable label values). A pairwise measure with no pairs to count
// (e.g. precision when every cluster is a singleton) is 1.
func Evaluate[P, T comparable](pred []P, truth []T) (Scores, error) {
	if len(pred) != len(truth) {
		return Scores{}, fmt.Errorf("cluster: %d predicted labels for %d true ones", len(pred), len(truth))
	}
	type cell struct {
		p P
		t T
	}
	joint, pc, tc := map[cell]int{}, map[P]int{}, map[T]int{}
	for i := range pred {
		joint[cell{pred[i], truth[i]}]++
		pc[pred[i]]++
		tc[truth[i]]++
	}
	s := Scores{Items: len(pred), Clusters: len(pc), Classes: len(tc)}
	if s.Items == 0 {
		return s, nil
	}
	pairs := func(n int) float64 { return float64(n) * float64(n-1) / 2 }
	var tp, predPairs, truePairs float64
	var bp, br float64
	for c, n := range joint {
		tp += pairs(n)
		// every item of this cell has n items agreeing in both labelings
		bp += float64(n) * float64(n) / float64(pc[c.p])
		br += float64(n) * float64(n) / float64(tc[c.t])
	}
	for _, n := range pc {
		predPairs += pairs(n)
	}
	for _, n := range tc {
		truePairs += pairs(n)
	}
	s.PairPrecision, s.PairRecall = ratio(tp, predPairs), ratio(tp, truePairs)
	s.PairF1 = f1(s.PairPrecision, s.PairRecall)
	s.BCubedPrecision, s.BCubedRecall = bp/float64(s.Items), br/float64(s.Items)
	s.BCubedF1 = f1(s.BCubedPrecision, s.BCubedRecall)
	return s, nil
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 1
	}
	return a / b
}

func f1(p, r float64) float64 {
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}
