package main

import "testing"

// TestBlinkClosed: a synthetic blink stands for one when the wider-open eye
// reads at most SyntheticBlinkMax of its own rest openness, each eye
// against its own rest (as the session reads eyes: a wink, one eye open, is
// no blink), whatever the eyes' absolute size.
func TestBlinkClosed(t *testing.T) {
	for _, c := range []struct {
		eyes, rest [2]float32
		want       bool
	}{
		{[2]float32{0.141, 0.137}, [2]float32{0.30, 0.30}, true},    // under half of rest: closed
		{[2]float32{0.12, 0.12}, [2]float32{0.20, 0.20}, false},     // 0.6 of narrow eyes' rest: the session's own bound, no margin
		{[2]float32{0.10, 0.10}, [2]float32{0.20, 0.20}, true},      // half of narrow eyes' rest
		{[2]float32{0.05, 0.30}, [2]float32{0.30, 0.30}, false},     // a wink
		{[2]float32{0.232, 0.173}, [2]float32{0.235, 0.283}, false}, // a painted blink the mesh reads open
		{[2]float32{0.1, 0.1}, [2]float32{0, 0.3}, false},           // no rest reading
	} {
		if got := blinkClosed(c.eyes, c.rest); got != c.want {
			t.Errorf("eyes %v at rest %v: closed %v, want %v", c.eyes, c.rest, got, c.want)
		}
	}
}
