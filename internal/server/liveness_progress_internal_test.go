package server

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/liveness/challenge"
)

// A pose or signal the engine could not read (NaN, Inf) goes out as 0:
// encoding/json refuses NaN, and a progress message that fails to encode
// would reach the client empty.
func TestProgressIsValidJSON(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	p := mien.LivenessProgress{Progress: challenge.Progress{Current: challenge.TurnLeft, Done: []challenge.Kind{challenge.Blink}},
		Measure: mien.LivenessMeasure{Faces: 1, Yaw: nan, Pitch: inf}, Effort: nan}
	out := progressOf(p)
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatalf("progress %+v does not encode: %v", out, err)
	}
	if out.Yaw != 0 || out.Pitch != 0 || out.Effort != 0 || out.Completed != 1 || out.Challenge != "turn_left" || out.Faces != 1 {
		t.Errorf("progress %s, want the unreadable numbers 0 and the rest kept", b)
	}
	p.Measure.Yaw, p.Measure.Pitch, p.Effort = -12.5, 3, 0.6
	if out := progressOf(p); out.Yaw != -12.5 || out.Pitch != 3 || out.Effort != 0.6 {
		t.Errorf("finite numbers changed: %+v", out)
	}
}
