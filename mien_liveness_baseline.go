package mien

import "sort"

// restBaseline is a session's own neutral state, learnt from its frontal
// frames (head within the neutral angle of the first face frame): how
// open each eye is at rest and how far apart the lips are at rest. Eyes
// and mouth are judged against it, not against fixed values: people's
// eyes differ in openness, and lips apart at rest (or a smile showing
// teeth) are not an open mouth. Turned or raised frames do not teach it:
// the pose foreshortens the eyes and lips.
type restBaseline struct {
	eyes  [2][]float32
	mouth []float32
}

// add records a frame's signals when the head is frontal.
func (b *restBaseline) add(yaw, pitch, neutral float32, eyes [2]float32, mouth float32) {
	if abs32(yaw) >= neutral || abs32(pitch) >= neutral {
		return
	}
	for i := range eyes {
		b.eyes[i] = append(b.eyes[i], eyes[i])
	}
	b.mouth = append(b.mouth, mouth)
}

// eyeOpen is the more open eye's openness relative to its rest openness
// (the median of the frontal frames: blinks are brief), so 1 is as open as
// at rest; with no frontal frame yet, 1.
func (b *restBaseline) eyeOpen(eyes [2]float32) float32 {
	var out float32
	for i := range eyes {
		rest := quantile32(b.eyes[i], 0.5)
		if rest <= 0 {
			return 1
		}
		out = max(out, eyes[i]/rest)
	}
	return out
}

// mouthOpen is the lips' gap above their rest gap (the lower quartile of
// the frontal frames: an asked open mouth lasts a fraction of them); the
// gap itself with no frontal frame yet.
func (b *restBaseline) mouthOpen(mouth float32) float32 {
	if len(b.mouth) == 0 {
		return mouth
	}
	return mouth - quantile32(b.mouth, 0.25)
}

// quantile32 is the q-quantile (nearest rank) of v; 0 when v is empty.
func quantile32(v []float32, q float64) float32 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float32(nil), v...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[min(len(s)-1, int(q*float64(len(s))))]
}
