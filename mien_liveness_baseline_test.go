package mien

import (
	"testing"

	"github.com/mienhq/mien/mesh"
)

// TestRestBaselineMouth: a raised head foreshortens the lips (a look-up
// photo of Arnold Schwarzenegger read 0.012 against 0.14-0.23 at rest); the
// rest gap must come from the frontal frames only, or the rest frames after
// it read as an open mouth (the session failed "open_mouth while turn_left
// was asked" when the rest gap was the least gap seen).
func TestRestBaselineMouth(t *testing.T) {
	var b restBaseline
	open := [2]float32{0.26, 0.26}
	for _, m := range []float32{0.144, 0.210, 0.205, 0.185, 0.171, 0.201} {
		b.add(-2, 0, 10, open, m)
	}
	b.add(-3, 20, 10, open, 0.012) // looking up
	b.add(-2, 1, 10, open, 0.221)
	cfg := MeshChallengeConfig()
	if got := b.mouthOpen(0.221); got >= cfg.MouthOpen {
		t.Errorf("rest lips after a look-up read %.3f above rest, an open mouth (>= %.2f)", got, cfg.MouthOpen)
	}
	if got := b.mouthOpen(0.55); got < cfg.MouthOpen {
		t.Errorf("a wide-open mouth reads %.3f above rest", got)
	}
}

// TestRestBaselineEyes: eyes are judged against their own rest openness;
// a synthetic blink of wide eyes read 0.11 and 0.19 (the fixed 0.15 needed
// both below it), a rest of 0.29-0.34.
func TestRestBaselineEyes(t *testing.T) {
	var b restBaseline
	for _, e := range [][2]float32{{0.29, 0.34}, {0.31, 0.33}, {0.30, 0.34}, {0.29, 0.33}} {
		b.add(1, 0, 10, e, 0.1)
	}
	cfg := MeshChallengeConfig()
	if got := b.eyeOpen([2]float32{0.114, 0.187}); got > cfg.EyesClosed {
		t.Errorf("closed eyes read %.2f of rest, want <= %.2f", got, cfg.EyesClosed)
	}
	if got := b.eyeOpen([2]float32{0.11, 0.33}); got < cfg.EyesOpen {
		t.Errorf("a wink reads %.2f of rest: the open eye must keep it open (>= %.2f)", got, cfg.EyesOpen)
	}
	if got := b.eyeOpen([2]float32{0.30, 0.33}); got < cfg.EyesOpen {
		t.Errorf("open eyes read %.2f of rest", got)
	}
	var empty restBaseline
	if got := empty.eyeOpen([2]float32{0.1, 0.1}); got != 1 {
		t.Errorf("with no rest yet eyes read %.2f, want 1", got)
	}
	b.add(25, 0, 10, [2]float32{0.05, 0.05}, 0.1) // turned: not learnt
	if got := b.eyeOpen([2]float32{0.30, 0.33}); got < 0.95 {
		t.Errorf("a turned frame moved the rest: open eyes read %.2f", got)
	}
}

// TestPoseReferenceIsNotOneFrame: the pose reference is the median of the
// first rest frames, so one frame's error (here the first, 4 degrees off in
// yaw and pitch) does not shift every angle of the session; frames already
// turned do not teach it, and it stops learning after poseRestFrames.
func TestPoseReferenceIsNotOneFrame(t *testing.T) {
	var p poseBase
	for _, f := range [][2]float32{{4, -4}, {0.5, 0.2}, {-0.3, -0.1}, {25, 0}, {0.1, 0.4}, {0, 0}, {-0.2, 0.1}, {3, 3}} {
		p.add(f[0], f[1], 10)
	}
	yaw, pitch := p.ref()
	if abs32(yaw) > 0.5 || abs32(pitch) > 0.5 {
		t.Errorf("reference (%.2f, %.2f), want within 0.5 degrees of the rest frames' (0, 0)", yaw, pitch)
	}
	if len(p.yaw) != poseRestFrames {
		t.Errorf("learnt from %d frames, want %d (the turned frame left out, none after the first %d rest frames)", len(p.yaw), poseRestFrames, poseRestFrames)
	}
	for i, y := range p.yaw {
		if y == 25 {
			t.Errorf("frame %d turned 25 degrees taught the reference", i)
		}
	}
	var empty poseBase
	if y, pt := empty.ref(); y != 0 || pt != 0 {
		t.Errorf("empty reference (%v, %v), want (0, 0)", y, pt)
	}
}

// TestReseedOnTheWayBack: a frame is meshed again from its detection when
// the frame before was a turn (its yaw from the reference at least the
// turn's threshold) and this one has come back by ReseedDrop degrees; not
// while the head holds or deepens the turn, nor from a small pose change.
func TestReseedOnTheWayBack(t *testing.T) {
	ls := &LivenessSession{cfg: MeshChallengeConfig()}
	for range poseRestFrames {
		ls.base.add(4, -2, ls.cfg.Neutral) // the reference: yaw 4
	}
	frame := func(yaw float32) mesh.Frame { return mesh.Frame{Pose: mesh.Pose{Yaw: yaw}} }
	cases := []struct {
		turned, yaw float32 // the last frame's yaw from the reference (0: not a turn); this frame's raw yaw
		want        bool
	}{
		{0, 4, false},     // at rest after rest
		{25, 30, false},   // holding a left turn (21 + 4 raw = 25 from the reference... still 26)
		{25, 40, false},   // turning further
		{25, 19, true},    // back by 10 (15 from the reference)
		{-30, -6, true},   // back from a right turn to rest
		{-30, -20, false}, // back by 6 only
		{-30, 34, false},  // to a left turn as deep: not on the way back
	}
	for _, c := range cases {
		ls.turned = c.turned
		if got := ls.reseed(frame(c.yaw)); got != c.want {
			t.Errorf("after a frame turned %g, a frame at raw yaw %g (reference 4): reseed %v, want %v", c.turned, c.yaw, got, c.want)
		}
	}
}
