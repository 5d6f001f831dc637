package ultraface

import "testing"

func TestPriorsMatchTheModelsOutputCount(t *testing.T) {
	p := priors(320, 240)
	if len(p) != 4420 {
		t.Fatalf("%d priors, want 4420 (40x30x3 + 20x15x2 + 10x8x2 + 5x4x3)", len(p))
	}
	first, last := p[0], p[len(p)-1]
	if first.Min.X != 4.0/320 || first.Min.Y != 4.0/240 || first.Max.X != 10.0/320 {
		t.Fatalf("first prior %+v", first)
	}
	if last.Max.X != 256.0/320 {
		t.Fatalf("last prior %+v", last)
	}
}
