package challenge

import (
	"testing"
)

// BenchmarkSession is the cost of checking and deciding one whole session
// of 3 actions (about 36 frames of 17 landmarks), without the models.
func BenchmarkSession(b *testing.B) {
	a := newActor(1)
	for _, k := range []Kind{TurnLeft, Blink, LookUp} {
		a.do(k)
	}
	b.ReportAllocs()
	for b.Loop() {
		c, _ := session(TurnLeft, Blink, LookUp).NewChecker(Config{SameFace: 0.5})
		for _, f := range a.out {
			if err := c.Add(f); err != nil {
				b.Fatal(err)
			}
		}
		if v, _ := c.Decide("n1", a.at); !v.Live {
			b.Fatal(v.Reasons)
		}
	}
	b.ReportMetric(float64(len(a.out)), "frames/op")
}
