package face

import (
	"encoding/json"
	"math"
	"testing"
)

func TestRectGeometry(t *testing.T) {
	a, b := R(0, 0, 10, 10), R(5, 5, 15, 15)
	if got := a.IoU(b); math.Abs(float64(got)-25.0/175) > 1e-6 {
		t.Fatalf("IoU %v", got)
	}
	if a.IoU(R(20, 20, 30, 30)) != 0 || a.IoU(a) != 1 {
		t.Fatal("IoU of disjoint / identical boxes")
	}
	if got := a.Scale(2); got != R(-5, -5, 15, 15) {
		t.Fatalf("Scale %v", got)
	}
	if got := R(0, 0, 10, 4).Square(); got != R(0, -3, 10, 7) {
		t.Fatalf("Square %v", got)
	}
	if got := R(-5, -5, 20, 8).Clamp(10, 10); got != R(0, 0, 10, 8) {
		t.Fatalf("Clamp %v", got)
	}
	if !R(5, 5, 5, 9).Empty() || R(5, 5, 5, 9).Area() != 0 {
		t.Fatal("empty rect")
	}
}

func TestRectJSONRoundTrip(t *testing.T) {
	r := R(1.5, 2, 11.5, 22)
	b, _ := json.Marshal(r)
	if string(b) != `{"x":1.5,"y":2,"width":10,"height":20}` {
		t.Fatalf("json %s", b)
	}
	var back Rect
	if err := json.Unmarshal(b, &back); err != nil || back != r {
		t.Fatalf("round trip %v %v", back, err)
	}
}

func TestCosineRefusesMismatch(t *testing.T) {
	a := Embedding{Model: "m1", Vector: []float32{1, 0}}
	b := Embedding{Model: "m2", Vector: []float32{1, 0}}
	if _, err := Cosine(a, b); err == nil {
		t.Fatal("different models: want an error")
	}
	if _, err := Cosine(a, Embedding{Model: "m1", Vector: []float32{1, 0, 0}}); err == nil {
		t.Fatal("different lengths: want an error")
	}
	v := []float32{3, 4, 0, 0, 0}
	if n := Normalize(v); n != 5 || math.Abs(float64(Dot(v, v))-1) > 1e-6 {
		t.Fatalf("Normalize: %v %v", n, v)
	}
}
