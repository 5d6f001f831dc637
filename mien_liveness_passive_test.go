package mien

import "testing"

// TestPassiveIsTheMedianOfTheMostFrontal: the session's passive score is
// the median of the PassiveFrames most frontal frames' scores, whatever the
// order they came in; a less frontal frame does not displace them, and an
// even count takes the mean of the middle two.
func TestPassiveIsTheMedianOfTheMostFrontal(t *testing.T) {
	ls := &LivenessSession{opts: LivenessSessionOptions{PassiveFrames: 5}, passiveThr: 0.42}
	// (frontality, passive): the five most frontal score 0.3, 0.5, 0.6, 0.7, 0.9
	for _, f := range []frontalScore{{-3, 0.6, 80, false}, {-30, 0.01, 20, true}, {-1, 0.3, 70, true}, {-2, 0.9, 0, false}, {-25, 0.02, 20, true}, {-4, 0.7, 90, true}, {-0.5, 0.5, 75, false}, {-40, 0.0, 20, true}} {
		if len(ls.frontal) < ls.opts.PassiveFrames || f.score > ls.frontal[len(ls.frontal)-1].score {
			ls.frontal = insertFrontal(ls.frontal, f, ls.opts.PassiveFrames)
		}
	}
	if len(ls.frontal) != 5 {
		t.Fatalf("kept %d frames, want 5", len(ls.frontal))
	}
	for i := 1; i < len(ls.frontal); i++ {
		if ls.frontal[i-1].score < ls.frontal[i].score {
			t.Fatalf("not ranked: %v", ls.frontal)
		}
	}
	if s, thr := ls.passive(); s != 0.6 || thr != 0.42 {
		t.Errorf("passive %.3f (threshold %.3f), want the median 0.6 of the five most frontal (0.42)", s, thr)
	}
	// JPEG quality: the median of the known ones among the five (70, 75, 80, 90; 0 is not known), the lower middle one
	if q := ls.jpegQuality(); q != 75 {
		t.Errorf("JPEG quality %d, want 75, the lower median of the four known among the five most frontal", q)
	}
	// no colour: 2 of the five (-1 and -4) are grey, not most; a third makes it
	if ls.greyscale() {
		t.Error("greyscale with 2 grey frames of 5")
	}
	ls.frontal[0].grey = true
	if !ls.greyscale() {
		t.Error("not greyscale with 3 grey frames of 5")
	}
	ls.frontal[0].grey = false
	ls.frontal = ls.frontal[:4] // 0.5, 0.3, 0.9, 0.6 by rank
	if s, _ := ls.passive(); s < 0.549 || s > 0.551 {
		t.Errorf("passive %.3f of four, want the mean of the middle two, 0.55", s)
	}
	ls.frontal = nil
	if q := ls.jpegQuality(); q != 0 {
		t.Errorf("JPEG quality %d with no frame scored, want 0 (not known)", q)
	}
	if s, _ := ls.passive(); s >= 0 {
		t.Errorf("passive %.3f with no frame scored, want negative", s)
	}
}
