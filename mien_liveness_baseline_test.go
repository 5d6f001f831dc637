package mien

import (
	"testing"
	"time"

	"github.com/mienhq/mien/liveness/challenge"
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
// the head was turned or raised past the checker's Turn or Up since it was
// last at rest and this frame has come back by ReseedDrop degrees from the
// farthest of it; not while the head holds or deepens the action, nor from
// a small pose change. A look-up counts as a turn does (a rest after one
// read 11-17 degrees of yaw on the tracked crop), and the farthest reading
// counts, not the last one (a turn coming back in steps under ReseedDrop).
// poseTestSession returns a session shell with a real checker (Turn 20,
// Up 15, Neutral 10) asking asked (random actions when nil) and a pose
// reference of yaw 4, pitch -2.
func poseTestSession(t *testing.T, asked []challenge.Kind) *LivenessSession {
	t.Helper()
	s, err := challenge.New(time.Now(), challenge.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if asked != nil {
		s.Challenges = asked
	}
	cfg := MeshChallengeConfig()
	cfg.SameFace = 0.34
	ch, err := s.NewChecker(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ls := &LivenessSession{cfg: MeshChallengeConfig(), checker: ch}
	for range poseRestFrames {
		ls.base.add(4, -2, ls.cfg.Neutral)
	}
	return ls
}

func TestReseedOnTheWayBack(t *testing.T) {
	ls := poseTestSession(t, nil)
	type pose struct{ yaw, pitch float32 } // from the reference
	cases := []struct {
		name   string
		before []pose // the face frames before, as frameSignals notes them
		raw    pose   // this frame's raw reading
		want   bool
	}{
		{"at rest after rest", []pose{{0, 0}}, pose{4, -2}, false},
		{"holding a left turn", []pose{{25, 0}}, pose{30, -2}, false},
		{"turning further", []pose{{25, 0}}, pose{40, -2}, false},
		{"back by 10 from a left turn", []pose{{25, 0}}, pose{19, -2}, true},
		{"back from a right turn to rest", []pose{{-30, 0}}, pose{-6, -2}, true},
		{"back by 6 only", []pose{{-30, 0}}, pose{-20, -2}, false},
		{"to a left turn as deep", []pose{{-30, 0}}, pose{34, -2}, false},
		{"back in steps from the farthest", []pose{{30, 0}, {23, 0}, {21, 0}}, pose{23, -2}, true},
		{"a rest between clears the turn", []pose{{30, 0}, {3, 0}}, pose{-2, -2}, false},
		{"back from a look-up", []pose{{0, 20}, {0, 19}}, pose{4, 6}, true},
		{"holding a look-up", []pose{{0, 20}}, pose{4, 16}, false},
		{"a look-up under Up is no action", []pose{{0, 14}}, pose{4, -2}, false},
		{"a look-up down by 7 only", []pose{{0, 21}}, pose{4, 12}, false},
		{"looking down is not a look-up", []pose{{0, -25}}, pose{4, -2}, false},
	}
	for _, c := range cases {
		ls.turned, ls.raised = 0, 0
		for _, p := range c.before {
			ls.notePeak(p.yaw, p.pitch)
		}
		if got := ls.reseed(mesh.Frame{Pose: mesh.Pose{Yaw: c.raw.yaw, Pitch: c.raw.pitch}}); got != c.want {
			t.Errorf("%s: after %v, a frame at raw (%g, %g) (reference 4, -2): reseed %v, want %v", c.name, c.before, c.raw.yaw, c.raw.pitch, got, c.want)
		}
	}
}

// A tracked frame is meshed afresh from its detection when its pose would
// fail the session as a head action other than the one asked; the action
// asked, looking down, a turn short of Turn or a jaw's pull on the pose
// while an open mouth is asked are not confirmed.
func TestConfirmAnotherHeadAction(t *testing.T) {
	cases := []struct {
		name       string
		asked      challenge.Kind
		yaw, pitch float32 // raw reading (the reference is 4, -2)
		mouth      float32 // raw lip gap (the rest is 0.05)
		want       bool
	}{
		{"rest", challenge.TurnLeft, 6, 0, 0.05, false},
		{"the left turn asked", challenge.TurnLeft, 30, -2, 0.05, false},
		{"a right turn while a left one is asked", challenge.TurnLeft, -20, -2, 0.05, true},
		{"a right turn short of Turn", challenge.TurnLeft, -14, -2, 0.05, false},
		{"a look-up while a left turn is asked", challenge.TurnLeft, 4, 16, 0.05, true},
		{"looking down is no action", challenge.TurnLeft, 4, -30, 0.05, false},
		{"the look-up asked", challenge.LookUp, 4, 20, 0.05, false},
		{"a turn while a look-up is asked", challenge.LookUp, 30, 4, 0.05, true},
		{"a turn, lips shut, while an open mouth is asked", challenge.OpenMouth, 27, -2, 0.05, true},
		{"a jaw's pull on the pose while an open mouth is asked", challenge.OpenMouth, 4, 16, 0.4, false},
		{"an open mouth while a turn is asked is not a head action", challenge.TurnLeft, 4, -2, 0.6, false},
	}
	for _, c := range cases {
		ls := poseTestSession(t, []challenge.Kind{c.asked})
		for range poseRestFrames {
			ls.rest.add(0, 0, ls.cfg.Neutral, [2]float32{0.3, 0.3}, 0.05)
		}
		mf := mesh.Frame{Pose: mesh.Pose{Yaw: c.yaw, Pitch: c.pitch}, Signals: mesh.Signals{MouthOpen: c.mouth}}
		if got := ls.confirm(mf); got != c.want {
			t.Errorf("%s: %s asked, a frame at raw (%g, %g), lips %g: confirm %v, want %v", c.name, c.asked, c.yaw, c.pitch, c.mouth, got, c.want)
		}
	}
}
