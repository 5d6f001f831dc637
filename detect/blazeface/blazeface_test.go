package blazeface

import "testing"

func TestAnchors(t *testing.T) {
	a := append(grid(16, 2), grid(8, 6)...)
	if len(a) != 896 {
		t.Fatalf("%d anchors, want 896", len(a))
	}
	if a[0].X != 1.0/32 || a[1] != a[0] || a[2].X != 3.0/32 || a[512].X != 1.0/16 {
		t.Fatalf("anchor layout: %v %v %v %v", a[0], a[1], a[2], a[512])
	}
}
