package livegen

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/liveness/challenge"
)

// Species of the sequences.
const (
	BonaFide  = "bona_fide"
	Static    = "static_photo" // the rest photo held still
	Tilt      = "tilted_photo" // the rest photo tilted as a plane in time with the challenges
	Moved     = "moved_photo"  // the rest photo moved, rolled, scaled and tilted as a plane
	PrintFlip = "print_flip"   // prints of the person's photos of each asked action, held up in turn
	// PrintFlipLowQ is PrintFlip re-encoded hard (LowQualityReencode), as
	// an attacker's own client can send it: the smoothing hides the print's
	// texture from the anti-spoof models.
	PrintFlipLowQ = "print_flip_low_quality"
	ScreenReplay  = "screen_replay"   // a recorded pass for another session, shown on a screen
	Replay        = "replay"          // a recorded pass for another session, injected as frames
	Switch        = "person_switched" // another person's photos take over after the first action
	Expired       = "expired"         // a pass whose last action comes after the deadline
)

// Species lists every kind, bona fide first.
var Species = []string{BonaFide, BonaFideWarp, Static, Tilt, Moved, PrintFlip, PrintFlipLowQ, ScreenReplay, Replay, Switch, SwitchPeak, SwitchEnd, Expired}

// WarpOnly reports whether a species is made only from the synthetic head
// (BuildWarp), not from stitched photos (Build).
func WarpOnly(species string) bool {
	return species == BonaFideWarp || species == SwitchPeak || species == SwitchEnd
}

// Quality is the JPEG quality frames are written at.
const Quality = 92

// LowQualityReencode is how PrintFlipLowQ's frames are re-encoded: ffmpeg's
// MJPEG encoder at -q:v 10 (about quality 50 on libjpeg's scale by its
// tables, 30 in the low frequencies). The anti-spoof ensemble scores prints
// re-encoded so as live far more often than Go's encoder at the same
// quality does (docs/benchmarks.md, "Liveness: frames too compressed to judge").
var LowQualityReencode = []string{"-q:v", "10"}

// Loader returns a photo on its Side x Side canvas (mirrored when the photo says so).
type Loader func(Photo) (*face.Image, error)

// Frame timing: the first frame comes StartMS after the session's
// creation, then one every 1000/FPS ms.
const StartMS = 500

// step is a stretch of frames showing one photo in one state.
type step struct {
	photo Photo
	shows string
	n     int
}

// script is the timeline of a person performing kinds: rest, then each
// action followed by a return to rest.
func script(p Person, kinds []challenge.Kind, lead int) []step {
	s := []step{{p.Rest, "rest", RestFrames + lead}}
	for _, k := range kinds {
		n := 5
		switch k {
		case challenge.Blink:
			n = 2
		case challenge.OpenMouth:
			n = 4
		}
		s = append(s, step{p.Actions[k], string(k), n}, step{p.Rest, "rest", RestFrames})
	}
	return s
}

// RestFrames is how long a subject rests before and after each action
// (0.6 s); head actions last 5 frames, an open mouth 4 and a blink 2.
const RestFrames = 6

// Sequence is one generated session: frames and their ground truth.
type Sequence struct {
	Truth  Truth
	Frames []*face.Image
}

// Spec says what sequence Build makes.
type Spec struct {
	Species string
	// Person performs Kinds; Other is the switched-in person for Switch.
	Person, Other Person
	Kinds         []challenge.Kind
	// Asked are the other session's challenges, for the replays.
	Asked []challenge.Kind
	// Seed makes the camera noise and hand motion.
	Seed uint64
	// LeadIn and Tail add rest frames before the first action and after the
	// last (for camera clips, which start playing before a session does).
	LeadIn, Tail int
	// Printed shows every photo as a halftone print (PrintFlip always does).
	Printed bool
}

// Build makes one sequence.
func Build(sp Spec, load Loader) (Sequence, error) {
	species, p, other, kinds, asked := sp.Species, sp.Person, sp.Other, sp.Kinds, sp.Asked
	rng := rand.New(rand.NewPCG(sp.Seed, 12))
	steps := script(p, kinds, sp.LeadIn)
	steps[len(steps)-1].n += sp.Tail
	t := Truth{Species: species, Live: species == BonaFide, Challenges: kinds, Performed: kinds, Persons: []string{p.Name},
		Nonce: fmt.Sprintf("%032x", sp.Seed), DeadlineMS: 30_000}
	switch species {
	case Static, Tilt, Moved:
		for i := range steps {
			steps[i].photo = p.Rest
		}
	case Replay, ScreenReplay:
		t.Challenges = asked
	case Switch:
		q := script(other, kinds, 0)
		steps = append(steps[:2], q[2:]...)
		t.Persons = append(t.Persons, other.Name)
	case Expired:
		last := 0
		for i := range steps[:len(steps)-1] {
			last += steps[i].n
		}
		t.DeadlineMS = StartMS + int64(last-steps[len(steps)-2].n)*1000/FPS - 50 // the last action starts after the deadline
	}
	var seq Sequence
	i := 0
	canv := map[string]*face.Image{}
	for _, st := range steps {
		key := st.photo.canvasKey()
		if canv[key] == nil {
			c, err := load(st.photo)
			if err != nil {
				return seq, err
			}
			if species == PrintFlip || species == PrintFlipLowQ || sp.Printed {
				c = PrintSheet(c, rng)
			}
			if species == ScreenReplay {
				c = ScreenSheet(c, rng) // the recording on the screen: one frame per photo
			}
			canv[key] = c
		}
		for k := range st.n {
			ramp := min(1, float64(k+1)/3, float64(st.n-k)/2)
			img := render(species, canv[key], st.shows, i, ramp, rng)
			src := st.photo.File
			if st.photo.Mirror {
				src += " (mirrored)"
			}
			seq.Frames = append(seq.Frames, img)
			t.Frames = append(t.Frames, FrameTruth{File: fmt.Sprintf("%03d.jpg", i), MS: StartMS + int64(i)*1000/FPS, Source: src, Shows: st.shows})
			i++
		}
	}
	if species == PrintFlipLowQ {
		t.Reencode = append([]string(nil), LowQualityReencode...)
	}
	t.Note = notes[species]
	seq.Truth = t
	return seq, nil
}

// render draws frame i of a species showing state shows; ramp (0..1) is
// how far into its stretch the frame is, for the tilted photo.
func render(species string, c *face.Image, shows string, i int, ramp float64, rng *rand.Rand) *face.Image {
	// hand tremor: a slow drift of a few pixels and degrees
	ph := float64(i) * 2 * math.Pi / 23
	hand := func() H {
		return PlaneH(3*math.Sin(ph), 2*math.Sin(1.3*ph+1), 1.5*math.Sin(0.7*ph+2), 0.97, 5*math.Sin(0.9*ph), 4*math.Sin(1.1*ph+0.5))
	}
	switch species {
	case Tilt:
		// the sheet turns in depth only once the action is asked for (a
		// subject would start turning then); ramped over the frames
		yaw, pitch := 0.0, 0.0
		switch challenge.Kind(shows) {
		case challenge.TurnLeft: // the sheet turned so that the pose reads as the asked turn
			yaw = -35
		case challenge.TurnRight:
			yaw = 35
		case challenge.LookUp:
			pitch = 25
		}
		return Scene(c, PlaneH(ramp*yaw+rng.NormFloat64(), ramp*pitch+rng.NormFloat64(), rng.NormFloat64()*0.5, 0.97, 0, 0), 2, rng)
	case Moved:
		return Scene(c, PlaneH(25*math.Sin(ph), 15*math.Sin(1.7*ph+1), 12*math.Sin(0.6*ph+2), 0.9+0.1*math.Sin(1.2*ph), 40*math.Sin(0.8*ph), 30*math.Sin(1.4*ph+0.3)), 2, rng)
	case PrintFlip, PrintFlipLowQ:
		return Scene(c, hand(), 3, rng)
	case ScreenReplay:
		return Scene(c, hand(), 3, rng)
	}
	return Live(c, rng)
}

var notes = map[string]string{
	BonaFide:      "real LFW photos of one person: a frontal rest photo and one photo per asked action (a head turn may be a mirrored photo of the other turn), each held for a few frames at 10 fps with camera shake and sensor noise; the person changes photo, not pose, between frames (no intermediate poses)",
	Static:        "the rest photo held still for as long as a pass takes",
	Tilt:          "the rest photo, unprinted, turned 35 degrees in depth as a flat sheet (or 25 up) while each head action is asked",
	Moved:         "the rest photo moved, rolled, scaled and turned in depth as a flat sheet throughout",
	PrintFlip:     "halftone prints of the bona fide sequence's photos, each held up in turn with hand tremor: the right pose for each action, but flat and printed",
	PrintFlipLowQ: "the print flip, each frame re-encoded by ffmpeg's MJPEG encoder at -q:v 10 (an attacker's own client: the smoothing hides the print's texture from the anti-spoof models)",
	ScreenReplay:  "a bona fide pass recorded for another session, shown on a screen (sub-pixel stripes, bezel, glare) into a session with other challenges",
	Replay:        "a bona fide pass recorded for another session, injected frame for frame into a session with other challenges",
	Switch:        "a bona fide start; after the first action another person's photos (rest and actions) take over",
	Expired:       "a bona fide pass whose last action starts after the session's deadline",
}

// canvasKey names what a photo's canvas is made of: the file, mirrored or
// not, shifted, and with its eyelids closed or not (a synthetic blink is the
// rest photo's file with Closed set: keyed by the file and mirror alone, its
// frames reused the rest photo's open-eyed canvas, so no session could read
// the blink).
func (p Photo) canvasKey() string {
	return fmt.Sprintf("%s|%v|%v|%v", p.File, p.Mirror, p.Shift, p.Closed != nil)
}
