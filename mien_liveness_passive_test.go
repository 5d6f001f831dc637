package mien

import "testing"

// TestPassiveIsTheUpperQuartile: the session's passive score is the upper
// quartile of every scored frame's score (interpolated between ranks),
// whatever the order they came in; the JPEG quality and the lack of colour
// are read over the same frames.
func TestPassiveIsTheUpperQuartile(t *testing.T) {
	ls := &LivenessSession{opts: LivenessSessionOptions{PassiveFrames: 5}, passiveThr: 0.42}
	// scores sorted: 0.0 0.01 0.02 0.3 0.5 0.6 0.7 0.9; position 0.75*7 = 5.25: 0.6 + 0.25*(0.7-0.6)
	for _, f := range []passiveScore{{0.6, 80, false}, {0.01, 20, true}, {0.3, 70, true}, {0.9, 0, false}, {0.02, 20, true}, {0.7, 90, true}, {0.5, 75, false}, {0.0, 20, true}} {
		ls.scored = append(ls.scored, f)
	}
	if s, thr := ls.passive(); s < 0.6249 || s > 0.6251 || thr != 0.42 {
		t.Errorf("passive %.4f (threshold %.3f), want the upper quartile 0.625 of the eight (0.42)", s, thr)
	}
	// half of the frames scoring as an attack does not fail the session; three quarters do
	ls.scored = []passiveScore{{0.9, 0, false}, {0.05, 0, false}, {0.8, 0, false}, {0.1, 0, false}}
	if s, _ := ls.passive(); s < 0.42 {
		t.Errorf("passive %.3f with two live frames of four, want at least the threshold", s)
	}
	ls.scored = []passiveScore{{0.9, 0, false}, {0.05, 0, false}, {0.02, 0, false}, {0.1, 0, false}, {0.2, 0, false}}
	if s, _ := ls.passive(); s > 0.2001 || s < 0.1999 {
		t.Errorf("passive %.3f with one live frame of five, want 0.2 (the fourth of five)", s)
	}
	ls.scored = []passiveScore{{0.3, 0, false}}
	if s, _ := ls.passive(); s != 0.3 {
		t.Errorf("passive %.3f of one frame, want its own 0.3", s)
	}
	// JPEG quality: the median of the known ones (70, 75, 80, 90 and three 20s; 0 is not known)
	ls.scored = []passiveScore{{0.6, 80, false}, {0.01, 20, true}, {0.3, 70, true}, {0.9, 0, false}, {0.02, 20, false}, {0.7, 90, true}, {0.5, 75, false}, {0.0, 20, false}}
	if q := ls.jpegQuality(); q != 70 {
		t.Errorf("JPEG quality %d, want 70, the median of the seven known", q)
	}
	// no colour: 3 of 8 are grey, not most; two more make it
	if ls.greyscale() {
		t.Error("greyscale with 3 grey frames of 8")
	}
	ls.scored[0].grey, ls.scored[3].grey = true, true
	if !ls.greyscale() {
		t.Error("not greyscale with 5 grey frames of 8")
	}
	ls.scored = nil
	if q := ls.jpegQuality(); q != 0 {
		t.Errorf("JPEG quality %d with no frame scored, want 0 (not known)", q)
	}
	if s, _ := ls.passive(); s >= 0 {
		t.Errorf("passive %.3f with no frame scored, want negative", s)
	}
}
