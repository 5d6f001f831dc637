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

// poseRestFrames is how many rest frames at the start of a session make its
// pose reference.
const poseRestFrames = 5

// poseBase is a session's pose reference: the per-axis median pose of its
// first rest frames (up to poseRestFrames face frames within the neutral
// angle of the first), so that yaw and pitch are read from where this
// person holds their head, not from one frame. One frame's estimate is off
// by a few degrees (the mesh's noise on a low-resolution or compressed
// face), and every turn and look-up of the session was read against that
// error: a look-up 3 degrees short, or a turn read in a raised head.
type poseBase struct {
	yaw, pitch []float32
}

// add records a face frame's raw pose while the reference is still being
// learnt; frames away from the first one's pose (the head already moving)
// do not teach it.
func (p *poseBase) add(yaw, pitch, neutral float32) {
	if len(p.yaw) >= poseRestFrames {
		return
	}
	if len(p.yaw) > 0 && (abs32(yaw-p.yaw[0]) >= neutral || abs32(pitch-p.pitch[0]) >= neutral) {
		return
	}
	p.yaw = append(p.yaw, yaw)
	p.pitch = append(p.pitch, pitch)
}

// ref is the reference pose so far (the median of the rest frames seen; 0
// before any face frame).
func (p *poseBase) ref() (yaw, pitch float32) {
	return median32(p.yaw), median32(p.pitch)
}

// median32 is the median of v (the mean of the middle two for an even
// count); 0 when v is empty.
func median32(v []float32) float32 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float32(nil), v...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
