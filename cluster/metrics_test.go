package cluster

import (
	"math"
	"testing"
)

func TestEvaluate(t *testing.T) {
	tests := []struct {
		name        string
		pred, truth []int
		pp, pr      float64 // pairwise precision, recall
		bp, br      float64 // BCubed precision, recall
	}{
		{"perfect", []int{0, 0, 1, 1, 2}, []int{5, 5, 6, 6, 7}, 1, 1, 1, 1},
		{"all singletons", []int{0, 1, 2, 3}, []int{0, 0, 1, 1}, 1, 0, 1, 0.5},
		{"one cluster", []int{0, 0, 0, 0}, []int{0, 0, 1, 1}, 2.0 / 6, 1, 0.5, 1},
		// truth {a,a,a,b,b}; pred {0,0,1,1,1}: clusters {a,a} and {a,b,b}.
		// Pairs: predicted 1+3=4, true 3+1=4, true positives 1 (a,a) + 1 (b,b) = 2.
		// BCubed precision: a,a in {a,a}: 1 each; a in {a,b,b}: 1/3; b,b: 2/3 each -> (1+1+1/3+2/3+2/3)/5 = 11/15.
		// BCubed recall: a,a: 2/3 each; a: 1/3; b,b: 1 each -> (2/3+2/3+1/3+1+1)/5 = 11/15.
		{"mixed", []int{0, 0, 1, 1, 1}, []int{0, 0, 0, 1, 1}, 0.5, 0.5, 11.0 / 15, 11.0 / 15},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Evaluate(tc.pred, tc.truth)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				what      string
				got, want float64
			}{{"pair precision", s.PairPrecision, tc.pp}, {"pair recall", s.PairRecall, tc.pr},
				{"BCubed precision", s.BCubedPrecision, tc.bp}, {"BCubed recall", s.BCubedRecall, tc.br},
				{"pair F1", s.PairF1, f1(tc.pp, tc.pr)}, {"BCubed F1", s.BCubedF1, f1(tc.bp, tc.br)}} {
				if math.Abs(c.got-c.want) > 1e-12 {
					t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
				}
			}
		})
	}
	if _, err := Evaluate([]int{1}, []string{"a", "b"}); err == nil {
		t.Error("length mismatch accepted")
	}
}
