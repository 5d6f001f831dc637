package models

import "math"

// similarityScale anchors a 0..100 Similarity (the scale of AWS
// Rekognition's FaceMatchThreshold) to the per-comparison false-match rate,
// linear in log10(FAR) between anchors: Similarity 80 is FAR 1e-6, so a
// search at FaceMatchThreshold 80 of a stranger against N stored faces
// expects N*1e-6 false hits (1% at 10,000 faces).
var similarityScale = [...]struct{ sim, log10FAR float64 }{
	{0, 0}, {80, -6}, {90, -7}, {100, -8},
}

// SimilarityForFAR maps a per-comparison false-match rate to Similarity
// (0..100; 100 for FARs at or below the scale's end).
func SimilarityForFAR(far float64) float32 {
	if math.IsNaN(far) {
		return 0
	}
	s := similarityScale
	if far <= 0 {
		return 100
	}
	l := math.Log10(far)
	if l >= s[0].log10FAR {
		return 0
	}
	for i := 1; i < len(s); i++ {
		if l >= s[i].log10FAR {
			return float32(lerp(l, s[i-1].log10FAR, s[i].log10FAR, s[i-1].sim, s[i].sim))
		}
	}
	return 100
}

// FARForSimilarity is SimilarityForFAR's inverse (sim clamped to 0..100).
func FARForSimilarity(sim float32) float64 {
	s := similarityScale
	x := math.Max(0, math.Min(100, float64(sim)))
	for i := 1; i < len(s); i++ {
		if x <= s[i].sim {
			return math.Pow(10, lerp(x, s[i-1].sim, s[i].sim, s[i-1].log10FAR, s[i].log10FAR))
		}
	}
	return math.Pow(10, s[len(s)-1].log10FAR)
}
