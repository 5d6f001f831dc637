package liveness

import (
	"math"
	"sort"
)

// Error rates in the terms of ISO/IEC 30107-3, for a score where higher
// means more likely live and a sample is accepted as bona fide when its
// score is at or above the threshold.

// APCER is the attack presentation classification error rate: the share of
// attack presentations (of one attack species) accepted as bona fide.
// It is NaN for an empty set.
func APCER(attack []float32, threshold float32) float64 {
	n := 0
	for _, s := range attack {
		if s >= threshold {
			n++
		}
	}
	return rate(n, len(attack))
}

// BPCER is the bona fide presentation classification error rate: the share
// of bona fide presentations rejected as attacks. It is NaN for an empty set.
func BPCER(bona []float32, threshold float32) float64 {
	n := 0
	for _, s := range bona {
		if s < threshold {
			n++
		}
	}
	return rate(n, len(bona))
}

func rate(n, of int) float64 {
	if of == 0 {
		return math.NaN()
	}
	return float64(n) / float64(of)
}

// ThresholdAtBPCER returns the highest threshold that rejects at most a
// share target of the bona fide scores (so that APCER is as low as that
// BPCER allows). It returns NaN for an empty set.
func ThresholdAtBPCER(bona []float32, target float64) float32 {
	if len(bona) == 0 {
		return float32(math.NaN())
	}
	s := append([]float32(nil), bona...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	// Rejecting the k lowest scores: threshold = s[k] rejects exactly the
	// scores below s[k], which are at most k.
	k := int(math.Floor(target * float64(len(s))))
	k = min(max(k, 0), len(s)-1)
	return s[k]
}
