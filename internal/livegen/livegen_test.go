package livegen

import (
	"math"
	"slices"
	"testing"

	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/liveness/challenge"
)

func TestPlaneH(t *testing.T) {
	id := PlaneH(0, 0, 0, 1, 0, 0)
	for i, want := range [9]float64{1, 0, 0, 0, 1, 0, 0, 0, 1} {
		if math.Abs(id[i]-want) > 1e-9 {
			t.Fatalf("identity pose: %v", id)
		}
	}
	// scale 0.5 about the centre, moved 10 px right
	h := PlaneH(0, 0, 0, 0.5, 10, 0)
	x, y := apply(h, 0, 0)
	if math.Abs(x-(Side/4+10)) > 1e-6 || math.Abs(y-Side/4) > 1e-6 {
		t.Errorf("corner maps to (%g, %g), want (%d, %d)", x, y, Side/4+10, Side/4)
	}
	// a sheet turned in depth: the side turned away shrinks, the centre stays
	h = PlaneH(30, 0, 0, 1, 0, 0)
	if x, _ := apply(h, Side/2, Side/2); math.Abs(x-Side/2) > 1e-6 {
		t.Errorf("centre moved to %g", x)
	}
	l0, _ := apply(h, 0, Side/2)
	r0, _ := apply(h, Side, Side/2)
	if math.Abs(Side/2-l0) == math.Abs(r0-Side/2) {
		t.Errorf("a turned sheet is foreshortened symmetrically: %g %g", l0, r0)
	}
	inv := h.inverse()
	u, v := apply(inv, 100, 200)
	if x, y := apply(h, u, v); math.Abs(x-100) > 1e-6 || math.Abs(y-200) > 1e-6 {
		t.Errorf("inverse: (100, 200) -> (%g, %g)", x, y)
	}
}

func apply(h H, x, y float64) (float64, float64) {
	w := h[6]*x + h[7]*y + h[8]
	return (h[0]*x + h[1]*y + h[2]) / w, (h[3]*x + h[4]*y + h[5]) / w
}

// TestCloseEyes: the eye region changes, the rest of the canvas does not,
// and the skin above the eye comes down over it.
func TestCloseEyes(t *testing.T) {
	img := face.NewImage(100, 100)
	for y := 0; y < 100; y++ {
		for x := 0; x < 100; x++ {
			v := uint8(200) // skin
			if (x-30)*(x-30)+4*(y-50)*(y-50) < 100 {
				v = 20 // the eye
			}
			img.Pix[3*(y*100+x)], img.Pix[3*(y*100+x)+1], img.Pix[3*(y*100+x)+2] = v, v, v
		}
	}
	var eye [16]face.Point
	eye[0], eye[8] = face.Point{X: 20, Y: 50}, face.Point{X: 40, Y: 50}
	for i := 1; i <= 7; i++ {
		x := 20 + float32(i)*2.5
		eye[i] = face.Point{X: x, Y: 55}
		eye[8+i] = face.Point{X: x, Y: 45}
	}
	out := CloseEyes(img, [2][16]face.Point{eye, eye})
	if out.Pix[3*(50*100+30)] < 150 {
		t.Errorf("the eye's centre is still dark after closing: %d", out.Pix[3*(50*100+30)])
	}
	for _, p := range [][2]int{{5, 5}, {70, 50}, {30, 80}} {
		o := 3 * (p[1]*100 + p[0])
		if out.Pix[o] != img.Pix[o] {
			t.Errorf("pixel %v outside the eye changed", p)
		}
	}
}

// TestBuildTruth: each species' ground truth says what its frames do.
func TestBuildTruth(t *testing.T) {
	ph := func(f string, yaw float32) Photo { return Photo{Person: "A", File: f, Yaw: yaw} }
	p := Person{Name: "A", Rest: ph("r", 0), Actions: map[challenge.Kind]Photo{
		challenge.TurnLeft: ph("l", 30), challenge.TurnRight: ph("l", 30).Mirrored(), challenge.Blink: ph("b", 0)}}
	q := p
	q.Name = "B"
	load := func(Photo) (*face.Image, error) { return face.NewImage(Side, Side), nil }
	kinds := []challenge.Kind{challenge.TurnLeft, challenge.Blink, challenge.TurnRight}
	other := []challenge.Kind{challenge.TurnRight, challenge.Blink, challenge.TurnLeft}
	for _, sp := range []string{Replay, Switch, Expired} {
		s, err := Build(Spec{Species: sp, Person: p, Other: q, Kinds: kinds, Asked: other, Seed: 1}, load)
		if err != nil {
			t.Fatal(err)
		}
		tr := s.Truth
		if len(s.Frames) != len(tr.Frames) || len(tr.Frames) != 4*RestFrames+5+2+5 {
			t.Fatalf("%s: %d frames, %d in the truth", sp, len(s.Frames), len(tr.Frames))
		}
		if tr.Live != (sp == BonaFide) {
			t.Errorf("%s: expected live %v", sp, tr.Live)
		}
		switch sp {
		case Replay:
			if !slices.Equal(tr.Challenges, other) || !slices.Equal(tr.Performed, kinds) {
				t.Errorf("replay: asked %v, performed %v", tr.Challenges, tr.Performed)
			}
		case Switch:
			if len(tr.Persons) != 2 || tr.Frames[2*RestFrames+5].Shows != "blink" {
				t.Errorf("switch: persons %v, frames %+v", tr.Persons, tr.Frames)
			}
		case Expired:
			last := 3*RestFrames + 5 + 2
			lastStart := tr.Frames[last].MS
			if !(tr.DeadlineMS < lastStart && tr.DeadlineMS > tr.Frames[last-1].MS) {
				t.Errorf("expired: deadline %d ms, last action starts at %d ms", tr.DeadlineMS, lastStart)
			}
		}
	}
}

// TestBuildSyntheticBlink: a synthetic blink (the rest photo's file with
// its eyelids closed) is drawn from its own canvas, not from the rest
// photo's, which has the same file; so is a photo shown shifted.
func TestBuildSyntheticBlink(t *testing.T) {
	rest := Photo{Person: "A", File: "r"}
	blink := rest
	blink.Closed = &[2][16]face.Point{}
	turn := Photo{Person: "A", File: "l", Yaw: 30, Shift: [2]float32{4, -2}}
	p := Person{Name: "A", Rest: rest, Actions: map[challenge.Kind]Photo{challenge.Blink: blink, challenge.TurnLeft: turn, challenge.TurnRight: turn.Mirrored()}}
	loads := map[string]int{}
	load := func(ph Photo) (*face.Image, error) {
		loads[ph.canvasKey()]++
		img := face.NewImage(Side, Side)
		if ph.Closed != nil {
			for i := range img.Pix {
				img.Pix[i] = 255 // the closed-eyed canvas is white, the others black
			}
		}
		return img, nil
	}
	s, err := Build(Spec{Species: BonaFide, Person: p, Kinds: []challenge.Kind{challenge.TurnLeft, challenge.Blink, challenge.TurnRight}, Seed: 1}, load)
	if err != nil {
		t.Fatal(err)
	}
	if len(loads) != 4 {
		t.Errorf("canvases loaded %v, want 4 (rest, blink, turn, mirrored turn)", loads)
	}
	for i, f := range s.Truth.Frames {
		c := s.Frames[i].Pix[3*(Side/2*Side+Side/2)]
		if bright := c > 128; bright != (f.Shows == "blink") {
			t.Errorf("frame %s shows %s with the centre pixel %d", f.File, f.Shows, c)
		}
	}
}

// TestRestPhotoMouth: the rest photo is the most frontal, least open-mouthed
// photo with open eyes; a mouth open wide (a shout) is never a rest, so a
// person whose only frontal photo shows one gives no rest photo.
func TestRestPhotoMouth(t *testing.T) {
	open := [2]float32{0.3, 0.3}
	ph := func(f string, yaw, mouth float32) Photo {
		return Photo{Person: "A", File: f, Yaw: yaw, EyeOpen: open, Mouth: mouth}
	}
	r, ok := RestPhoto([]Photo{ph("talking", 1, 0.2), ph("closed", 2, 0.02), ph("turned", 30, 0)})
	if !ok || r.File != "closed" {
		t.Errorf("rest %q (%v), want the closed mouth", r.File, ok)
	}
	if r, ok := RestPhoto([]Photo{ph("shout", 0, 0.55), ph("turned", 25, 0.01)}); ok {
		t.Errorf("rest %q from a shout and a turned photo, want none", r.File)
	}
	if r, ok := RestPhoto([]Photo{ph("smile", 3, 0.38)}); !ok || r.File != "smile" {
		t.Errorf("a smile showing teeth (0.38) must still be a rest (CloseLips closes it), got %q %v", r.File, ok)
	}
}
