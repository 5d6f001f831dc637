package landmark

import (
	"testing"

	"github.com/mienhq/mien/face"
)

func TestFive(t *testing.T) {
	var p Points68
	for i := range p {
		p[i] = face.Point{X: float32(i), Y: float32(2 * i)}
	}
	f := p.Five()
	want := face.Landmarks5{{X: 38.5, Y: 77}, {X: 44.5, Y: 89}, {X: 30, Y: 60}, {X: 48, Y: 96}, {X: 54, Y: 108}}
	if f != want {
		t.Fatalf("got %v, want %v", f, want)
	}
}
