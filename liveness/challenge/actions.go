package challenge

import (
	"math"

	"github.com/mienhq/mien/face"
)

// challenge advances the current challenge's state machine with one frame:
// each action must start from its resting state (a frontal head, open eyes,
// a closed mouth) and be seen after the previous action; another action
// than the one asked for fails the session (a replayed recording of a
// different sequence does them all); coming back from the action just done
// is not another action. Blinks are involuntary and never count
// as unexpected.
func (c *Checker) challenge(f Frame) {
	if c.step >= len(c.s.Challenges) {
		return
	}
	want := c.s.Challenges[c.step]
	if got := c.unexpected(f); got != "" {
		c.fail("%s while %s was asked", got, want)
		return
	}
	cfg := c.cfg
	switch want {
	case TurnLeft, TurnRight, LookUp:
		if c.phase == 0 && abs(f.Yaw) < cfg.Neutral && abs(f.Pitch) < cfg.Neutral {
			c.phase = 1
		} else if c.phase == 1 && c.pose(f) == want {
			c.next()
		}
	case Blink:
		switch {
		case c.phase == 0 && f.EyeOpen >= cfg.EyesOpen:
			c.phase = 1
		case c.phase == 1 && f.EyeOpen <= cfg.EyesClosed:
			c.phase = 2
		case c.phase == 2 && f.EyeOpen >= cfg.EyesOpen:
			c.next()
		}
	case OpenMouth:
		if c.phase == 0 && f.Mouth <= cfg.MouthClosed {
			c.phase = 1
		} else if c.phase == 1 && f.Mouth >= cfg.MouthOpen && mouthReadable(f, cfg) {
			c.next()
		}
	}
}

// mouthReadable says whether a frame's lip gap can stand for an open mouth:
// the head is not turned beyond the jaw margin of a turn (JawMargin times
// Turn). A turned head foreshortens the mouth's width, so its gap over
// width rises with no jaw moving, and a head turned further than a jaw's
// pull on the pose is a turn, not an open mouth (a synthetic head's turn
// read at 45 degrees completed an asked open mouth with its lips a little
// apart, and the session then failed on the turn it was still holding).
// A raised or lowered head only foreshortens the gap, so pitch is free.
func mouthReadable(f Frame, cfg Config) bool {
	return abs(f.Yaw) < JawMargin*cfg.Turn
}

func (c *Checker) next() { c.step, c.phase = c.step+1, 0 }

// JawMargin is the factor by which a head pose must exceed its threshold
// to count as another action in a frame whose lips are apart while an open
// mouth is asked or just done: a jaw opened wide moves the points the head
// pose is fitted to (the chin drops, the cheeks stretch): on 40 synthetic
// heads held still with the jaw fully open, the pose read moved a median
// 4.8 and at most 11 degrees (docs/benchmarks.md, "Liveness: pose
// reference, jaw margin, passive of 9, the lips' own line"); a real jaw
// with a head already turned or raised a little adds that to a pose near
// its threshold.
// A real turn or look-up of a recording replayed in that step still fails
// beyond it; the action asked must still be seen on its own terms.
const JawMargin = 1.5

// jawCrossTalk says whether the head pose got of frame f is within the jaw
// margin of an open mouth: lips apart, an open mouth asked or just done,
// and no pose beyond JawMargin times its threshold.
func (c *Checker) jawCrossTalk(f Frame, want, got Kind) bool {
	jaw := want == OpenMouth || (c.step > 0 && c.s.Challenges[c.step-1] == OpenMouth)
	if !jaw || got == OpenMouth || f.Mouth <= c.cfg.MouthClosed {
		return false
	}
	return mouthReadable(f, c.cfg) && f.Pitch < JawMargin*c.cfg.Up
}

// action returns the deliberate action a frame shows, if any: the head
// pose whose signal exceeds its threshold by the most, else an open mouth,
// which counts only while the head is frontal (a raised or turned head
// foreshortens the lips, so their gap is not read there).
func (c *Checker) action(f Frame) (Kind, bool) {
	if k := c.pose(f); k != "" {
		return k, true
	}
	if f.Mouth >= c.cfg.MouthOpen && abs(f.Yaw) < c.cfg.Neutral && abs(f.Pitch) < c.cfg.Neutral {
		return OpenMouth, true
	}
	return "", false
}

// Unexpected returns the action frame f would fail the session on as
// another action than the one asked, or "" when it would not (or the
// session has already failed or has every action done). It changes
// nothing: a caller may measure such a frame again before adding it.
func (c *Checker) Unexpected(f Frame) Kind {
	if len(c.reasons) > 0 || c.step >= len(c.s.Challenges) {
		return ""
	}
	return c.unexpected(f)
}

// unexpected is Unexpected's rule for the current step: an action other
// than the one asked, other than the one just done, and not a jaw's pull
// on the pose (jawCrossTalk).
func (c *Checker) unexpected(f Frame) Kind {
	want := c.s.Challenges[c.step]
	got, ok := c.action(f)
	if !ok || got == want || c.step > 0 && got == c.s.Challenges[c.step-1] || c.jawCrossTalk(f, want, got) {
		return ""
	}
	return got
}

// pose returns the head action a frame shows: the angle that exceeds its
// threshold by the largest factor (a head raised 30 degrees and turned 21
// is looking up, not turning).
func (c *Checker) pose(f Frame) Kind {
	yaw, up := abs(f.Yaw)/c.cfg.Turn, f.Pitch/c.cfg.Up
	switch {
	case yaw >= 1 && yaw >= up && f.Yaw > 0:
		return TurnLeft
	case yaw >= 1 && yaw >= up:
		return TurnRight
	case up >= 1:
		return LookUp
	}
	return ""
}

// Effort says how far frame f goes towards the awaited action, from 0 to 1
// (1: far enough to count): a turn's yaw in the asked direction over Turn,
// a look-up's pitch over Up, the mouth's opening over MouthOpen, and for a
// blink how far the eyes have closed from open (1) towards EyesClosed. It
// is 0 when nothing is awaited or the frame does not show exactly one face.
// It is for a client's guidance ("a little further", "wider"); the checker
// decides nothing by it: an action still counts only from rest, in order,
// with none other between.
func (c *Checker) Effort(f Frame) float32 {
	if c.step >= len(c.s.Challenges) || f.Faces != 1 {
		return 0
	}
	var e float32
	switch c.s.Challenges[c.step] {
	case TurnLeft:
		e = f.Yaw / c.cfg.Turn
	case TurnRight:
		e = -f.Yaw / c.cfg.Turn
	case LookUp:
		e = f.Pitch / c.cfg.Up
	case OpenMouth:
		if mouthReadable(f, c.cfg) {
			e = f.Mouth / c.cfg.MouthOpen
		}
	case Blink:
		e = (1 - f.EyeOpen) / (1 - c.cfg.EyesClosed)
	}
	if e != e { // a NaN signal (no reading) is no way towards anything
		return 0
	}
	return min(1, max(0, e))
}

func abs(v float32) float32 { return float32(math.Abs(float64(v))) }

func centroid(p []face.Point) [2]float64 {
	var c [2]float64
	for _, q := range p {
		c[0] += float64(q.X)
		c[1] += float64(q.Y)
	}
	n := float64(max(len(p), 1))
	return [2]float64{c[0] / n, c[1] / n}
}

// scale is the RMS distance of the points from their centre: the face size
// motion and residuals are measured in.
func scale(p []face.Point) float64 {
	c := centroid(p)
	var s float64
	for _, q := range p {
		dx, dy := float64(q.X)-c[0], float64(q.Y)-c[1]
		s += dx*dx + dy*dy
	}
	return max(math.Sqrt(s/float64(max(len(p), 1))), 1e-9)
}

// motionOf is the RMS motion of the points from a to b once the move of
// their centre is taken out.
func motionOf(a, b []face.Point) float64 {
	ca, cb := centroid(a), centroid(b)
	var s float64
	for i := range a {
		dx := float64(b[i].X) - cb[0] - (float64(a[i].X) - ca[0])
		dy := float64(b[i].Y) - cb[1] - (float64(a[i].Y) - ca[1])
		s += dx*dx + dy*dy
	}
	return math.Sqrt(s / float64(max(len(a), 1)))
}
