package liveness

import (
	"math"
	"testing"
)

func TestAPCERAndBPCER(t *testing.T) {
	attack := []float32{0.1, 0.2, 0.6, 0.9}
	bona := []float32{0.3, 0.7, 0.8, 0.95, 0.5}
	for _, c := range []struct {
		thr          float32
		apcer, bpcer float64
	}{
		{0.5, 0.5, 0.2}, // 0.6 and 0.9 accepted; 0.3 rejected (0.5 is accepted: at the threshold)
		{0.95, 0, 0.8},
		{0.05, 1, 0},
	} {
		if a := APCER(attack, c.thr); a != c.apcer {
			t.Errorf("APCER at %g = %g, want %g", c.thr, a, c.apcer)
		}
		if b := BPCER(bona, c.thr); b != c.bpcer {
			t.Errorf("BPCER at %g = %g, want %g", c.thr, b, c.bpcer)
		}
	}
	if !math.IsNaN(APCER(nil, 0.5)) || !math.IsNaN(BPCER(nil, 0.5)) {
		t.Error("an empty set must give NaN, not a rate")
	}
}

func TestThresholdAtBPCER(t *testing.T) {
	bona := make([]float32, 100)
	for i := range bona {
		bona[i] = float32(99-i) / 100 // 0.99 .. 0.00, unsorted order
	}
	for _, target := range []float64{0, 0.05, 0.1, 0.5} {
		thr := ThresholdAtBPCER(bona, target)
		if b := BPCER(bona, thr); b > target+1e-9 {
			t.Errorf("target %g: threshold %g gives BPCER %g", target, thr, b)
		}
		// The threshold is the highest that meets the target: the next
		// bona fide score up would reject one more sample than allowed.
		if b := BPCER(bona, thr+0.011); b <= target {
			t.Errorf("target %g: threshold %g is not the highest (BPCER %g just above)", target, thr, b)
		}
	}
	if got := ThresholdAtBPCER([]float32{0.4}, 0.05); got != 0.4 {
		t.Errorf("one sample: got %g", got)
	}
}

func TestSoftmax(t *testing.T) {
	p := Softmax([]float32{1000, 1000, 0}) // large logits must not overflow
	if math.Abs(float64(p[0])-0.5) > 1e-6 || math.Abs(float64(p[1])-0.5) > 1e-6 || p[2] > 1e-6 {
		t.Fatalf("softmax = %v", p)
	}
	q := Softmax([]float32{0, math.Float32frombits(0x3f800000), 2}) // 0, 1, 2
	var sum float32
	for _, v := range q {
		sum += v
	}
	if math.Abs(float64(sum)-1) > 1e-6 || !(q[0] < q[1] && q[1] < q[2]) {
		t.Fatalf("softmax = %v (sum %g)", q, sum)
	}
}
