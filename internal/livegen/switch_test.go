package livegen

import (
	"math"
	"strings"
	"testing"

	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/liveness/challenge"
)

// TestSwitchPoints: the switched species change person where their names
// say: after the first action's rest, at the peak of the first head
// movement, at the peak of the last action; the truth says who each frame shows.
func TestSwitchPoints(t *testing.T) {
	pose := func(Head) (*face.Image, error) { return face.NewImage(32, 32), nil }
	kinds := []challenge.Kind{challenge.OpenMouth, challenge.TurnLeft, challenge.LookUp}
	for _, c := range []struct {
		species string
		at      int
		peak    string // the action at its peak on the switched frame; "" for rest
	}{
		{Switch, RestFrames + 10 + RestFrames, ""},
		{SwitchPeak, RestFrames + 10 + RestFrames + 4, "turn_left"},
		{SwitchEnd, RestFrames + 2*(10+RestFrames) + 4, "look_up"},
	} {
		s, err := BuildWarp(WarpSpec{Species: c.species, Name: "A", Other: "B", Kinds: kinds, Seed: 3, Pose: pose, OtherPose: pose})
		if err != nil {
			t.Fatal(err)
		}
		tr := s.Truth
		if tr.Live || len(tr.Persons) != 2 {
			t.Fatalf("%s: live %v, persons %v", c.species, tr.Live, tr.Persons)
		}
		for i, f := range tr.Frames {
			if want := i >= c.at; strings.HasSuffix(f.Source, " B") != want {
				t.Fatalf("%s: frame %d shows %q, switch at %d", c.species, i, f.Source, c.at)
			}
		}
		f := tr.Frames[c.at]
		if f.Shows != "rest" && f.Shows != c.peak || c.peak != "" && (f.Shows != c.peak || math.Max(math.Abs(f.Applied[0]), f.Applied[1]) < 25) {
			t.Fatalf("%s: the switched frame shows %s at %v", c.species, f.Shows, f.Applied)
		}
	}
}
