// Package eval implements face-verification evaluation: the LFW pairs
// protocol (10-fold cross-validated accuracy), true-accept rates at fixed
// false-accept rates, threshold calibration from impostor scores, and an
// ROC plot.
package eval

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Pair is one verification pair: two image paths relative to the image
// directory, and whether they show the same person.
type Pair struct {
	A, B string
	Same bool
	Fold int
}

// ParsePairs reads pairs in the form `A/A_0001.jpg B/B_0004.jpg 1|0`, one per
// line (lines 1-3000 positives, 3001-6000 negatives, 300 per fold in fold
// order), or the original LFW `name n1 n2` / `name1 n1 name2 n2` form with a
// header line. folds is the number of folds (10 for LFW).
func ParsePairs(r io.Reader, folds int) ([]Pair, error) {
	var pairs []Pair
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 0:
			continue
		case len(f) == 3 && (f[2] == "0" || f[2] == "1"):
			pairs = append(pairs, Pair{A: f[0], B: f[1], Same: f[2] == "1"})
		case len(f) == 3:
			n1, e1 := strconv.Atoi(f[1])
			n2, e2 := strconv.Atoi(f[2])
			if e1 != nil || e2 != nil {
				return nil, fmt.Errorf("eval: pairs line %d: cannot read %q", line, sc.Text())
			}
			pairs = append(pairs, Pair{A: lfwPath(f[0], n1), B: lfwPath(f[0], n2), Same: true})
		case len(f) == 4:
			n1, e1 := strconv.Atoi(f[1])
			n2, e2 := strconv.Atoi(f[3])
			if e1 != nil || e2 != nil {
				return nil, fmt.Errorf("eval: pairs line %d: cannot read %q", line, sc.Text())
			}
			pairs = append(pairs, Pair{A: lfwPath(f[0], n1), B: lfwPath(f[2], n2), Same: false})
		case len(f) == 2 && line == 1:
			continue // original header: folds and pairs per fold
		default:
			return nil, fmt.Errorf("eval: pairs line %d: cannot read %q", line, sc.Text())
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("eval: reading pairs: %w", err)
	}
	if len(pairs) == 0 {
		return nil, fmt.Errorf("eval: no pairs found")
	}
	assignFolds(pairs, folds)
	return pairs, nil
}

func lfwPath(name string, n int) string { return fmt.Sprintf("%s/%s_%04d.jpg", name, name, n) }

// assignFolds numbers folds as the standard LFW order does: within the
// positives and within the negatives, consecutive blocks of equal size.
func assignFolds(pairs []Pair, folds int) {
	var pos, neg []int
	for i, p := range pairs {
		if p.Same {
			pos = append(pos, i)
		} else {
			neg = append(neg, i)
		}
	}
	for _, group := range [][]int{pos, neg} {
		per := (len(group) + folds - 1) / folds
		for k, i := range group {
			pairs[i].Fold = k / max(per, 1)
		}
	}
}

// Scored is a pair's similarity.
type Scored struct {
	Score float32
	Same  bool
	Fold  int
}

// FoldResult is one fold of cross-validation.
type FoldResult struct {
	Threshold float32
	Accuracy  float64
}

// CrossValidate chooses, for each fold, the accuracy-maximising threshold on
// the other folds and measures accuracy on the fold.
func CrossValidate(s []Scored, folds int) []FoldResult {
	out := make([]FoldResult, folds)
	for k := 0; k < folds; k++ {
		var train, test []Scored
		for _, x := range s {
			if x.Fold == k {
				test = append(test, x)
			} else {
				train = append(train, x)
			}
		}
		if len(train) == 0 {
			train = test
		}
		thr := BestThreshold(train)
		out[k] = FoldResult{Threshold: thr, Accuracy: Accuracy(test, thr)}
	}
	return out
}

// BestThreshold returns the threshold that maximises accuracy on s (the
// midpoint between the two scores where the best split falls).
func BestThreshold(s []Scored) float32 {
	sorted := append([]Scored(nil), s...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Score < sorted[j].Score })
	// Threshold below index i: everything at i.. is accepted.
	pos := 0
	for _, x := range sorted {
		if x.Same {
			pos++
		}
	}
	correct := pos // threshold below everything: all accepted
	best, bestI := correct, 0
	for i, x := range sorted {
		if x.Same {
			correct--
		} else {
			correct++
		}
		if correct > best && (i+1 == len(sorted) || sorted[i+1].Score != x.Score) {
			best, bestI = correct, i+1
		}
	}
	switch {
	case len(sorted) == 0:
		return 0
	case bestI == 0:
		return sorted[0].Score - 1e-6
	case bestI == len(sorted):
		return sorted[len(sorted)-1].Score + 1e-6
	}
	return (sorted[bestI-1].Score + sorted[bestI].Score) / 2
}

// Accuracy is the fraction of pairs decided correctly at thr (same when score >= thr).
func Accuracy(s []Scored, thr float32) float64 {
	if len(s) == 0 {
		return 0
	}
	ok := 0
	for _, x := range s {
		if (x.Score >= thr) == x.Same {
			ok++
		}
	}
	return float64(ok) / float64(len(s))
}

// MeanStd returns the mean and (population) standard deviation.
func MeanStd(v []float64) (float64, float64) {
	var m float64
	for _, x := range v {
		m += x
	}
	m /= float64(len(v))
	var s float64
	for _, x := range v {
		s += (x - m) * (x - m)
	}
	return m, math.Sqrt(s / float64(len(v)))
}

// ThresholdAtFAR returns the lowest threshold at which at most far of the
// impostor scores are accepted (score >= threshold).
func ThresholdAtFAR(impostors []float32, far float64) float32 {
	if len(impostors) == 0 {
		return 1
	}
	s := append([]float32(nil), impostors...)
	sort.Slice(s, func(i, j int) bool { return s[i] > s[j] })
	k := int(math.Floor(far * float64(len(s)))) // impostors allowed above
	if k >= len(s) {
		return s[len(s)-1]
	}
	// Accept strictly above s[k]: at most k impostors pass.
	return math.Nextafter32(s[k], 2)
}

// TAR returns the fraction of genuine scores accepted at thr.
func TAR(genuine []float32, thr float32) float64 {
	if len(genuine) == 0 {
		return 0
	}
	n := 0
	for _, g := range genuine {
		if g >= thr {
			n++
		}
	}
	return float64(n) / float64(len(genuine))
}

// ROCPoint is one point of an ROC curve.
type ROCPoint struct{ FAR, TAR float64 }

// ROC returns the curve at logarithmically spaced false-accept rates from
// minFAR to 1.
func ROC(genuine, impostors []float32, minFAR float64) []ROCPoint {
	var pts []ROCPoint
	for e := math.Log10(minFAR); e <= 0.0001; e += 0.05 {
		far := math.Pow(10, e)
		pts = append(pts, ROCPoint{FAR: far, TAR: TAR(genuine, ThresholdAtFAR(impostors, far))})
	}
	return pts
}
