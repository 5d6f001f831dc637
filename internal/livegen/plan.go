package livegen

import (
	"math/rand/v2"
	"sort"

	"github.com/mienhq/mien/liveness/challenge"
)

// Margins are how clearly a photo must show an action, relative to the
// person's rest photo, to be chosen for it: beyond the session's
// thresholds (mien.MeshChallengeConfig and challenge.Config's defaults:
// turn 20, up 15 degrees, eyes closed at 0.15, mouth open 0.15 above rest),
// as a subject asked to act would.
type Margins struct {
	Turn, Up   float32 // degrees from the rest photo (default 25, 18)
	EyesClosed float32 // the wider-open eye at most (default 0.12)
	Mouth      float32 // opening above the rest photo's (default 0.25)
	// Still bounds the other angles while acting (default 10 degrees).
	Still float32
}

// DefaultMargins returns the default margins.
func DefaultMargins() Margins { return Margins{}.withDefaults() }

func (m Margins) withDefaults() Margins {
	d := func(v *float32, x float32) {
		if *v == 0 {
			*v = x
		}
	}
	d(&m.Turn, 25)
	d(&m.Up, 18)
	d(&m.EyesClosed, 0.12)
	d(&m.Mouth, 0.25)
	d(&m.Still, 10)
	return m
}

// Person is one person's photos chosen for a sequence: a rest photo
// (frontal, eyes open, mouth closed) and one photo per action they show.
type Person struct {
	Name    string
	Rest    Photo
	Actions map[challenge.Kind]Photo
}

// Kinds returns the actions the person's photos show, in challenge.Kinds order.
func (p Person) Kinds() []challenge.Kind {
	var out []challenge.Kind
	for _, k := range challenge.Kinds {
		if _, ok := p.Actions[k]; ok {
			out = append(out, k)
		}
	}
	return out
}

// Plan picks, for each person, the rest photo and the action photos
// (mirrored photos count for head turns: a photo turned left, flipped, is
// the same person turned right), and returns the people who show at least
// minActions actions including a head movement, in name order.
func Plan(photos []Photo, m Margins, minActions int) []Person {
	m = m.withDefaults()
	by := map[string][]Photo{}
	for _, p := range photos {
		by[p.Person] = append(by[p.Person], p)
	}
	var out []Person
	for name, ps := range by {
		p, ok := planPerson(name, ps, m)
		if !ok || len(p.Actions) < minActions {
			continue
		}
		if _, l := p.Actions[challenge.TurnLeft]; !l {
			if _, r := p.Actions[challenge.TurnRight]; !r {
				if _, u := p.Actions[challenge.LookUp]; !u {
					continue
				}
			}
		}
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func planPerson(name string, ps []Photo, m Margins) (Person, bool) {
	rest, found := RestPhoto(ps)
	if !found {
		return Person{}, false
	}
	per := Person{Name: name, Rest: rest, Actions: map[challenge.Kind]Photo{}}
	score := map[challenge.Kind]float32{}
	consider := func(k challenge.Kind, p Photo, s float32) {
		if old, ok := score[k]; !ok || s < old {
			per.Actions[k], score[k] = p, s
		}
	}
	for _, p0 := range ps {
		if p0.File == rest.File {
			continue
		}
		for _, p := range []Photo{p0, p0.Mirrored()} {
			dy, dp, eye, mouth := p.Yaw-rest.Yaw, p.Pitch-rest.Pitch, max(p.EyeOpen[0], p.EyeOpen[1]), p.Mouth-rest.Mouth
			open := eye >= 0.2 && mouth < 0.1 // a head action with the mouth closed, as asked
			switch {
			case dy >= m.Turn && abs(dp) < m.Still && open:
				consider(challenge.TurnLeft, p, abs(dy-32))
			case dy <= -m.Turn && abs(dp) < m.Still && open:
				consider(challenge.TurnRight, p, abs(dy+32))
			case dp >= m.Up && abs(dy) < m.Still && open:
				consider(challenge.LookUp, p, abs(dp-25))
			}
			if p.Mirror {
				continue // expressions from the photo as taken
			}
			if abs(dy) < m.Still && abs(dp) < m.Still {
				if eye <= m.EyesClosed && mouth < 0.1 {
					consider(challenge.Blink, p, eye)
				}
				if mouth >= m.Mouth && eye >= 0.2 {
					consider(challenge.OpenMouth, p, -mouth)
				}
			}
		}
	}
	return per, true
}

// Shows reports whether photo p, measured as it is shown (mirrored and
// shifted on its canvas), still shows action k against the rest photo by
// the margins m (zero fields take the defaults): the same test Plan makes
// on the unshifted photos. Moving a face on the canvas changes the angles
// the pose model reads (the camera model's rays differ), and a mirrored
// photo does not read as the negated yaw, so a planned photo must be
// measured again as shown.
func Shows(k challenge.Kind, p, rest Photo, m Margins) bool {
	m = m.withDefaults()
	dy, dp, eye, mouth := p.Yaw-rest.Yaw, p.Pitch-rest.Pitch, max(p.EyeOpen[0], p.EyeOpen[1]), p.Mouth-rest.Mouth
	open := eye >= 0.2 && mouth < 0.1
	switch k {
	case challenge.TurnLeft:
		return dy >= m.Turn && abs(dp) < m.Still && open
	case challenge.TurnRight:
		return dy <= -m.Turn && abs(dp) < m.Still && open
	case challenge.LookUp:
		return dp >= m.Up && abs(dy) < m.Still && open
	case challenge.Blink:
		return abs(dy) < m.Still && abs(dp) < m.Still && eye <= m.EyesClosed && mouth < 0.1
	case challenge.OpenMouth:
		return abs(dy) < m.Still && abs(dp) < m.Still && mouth >= m.Mouth && eye >= 0.2
	}
	return false
}

// RestMouthMax is the widest mouth (the mesh's inner-lip gap over the
// mouth's width) a rest photo may show. Lips apart from talking or a smile
// showing teeth (up to about 0.4 on LFW) are closed by CloseLips for a
// synthetic head; a mouth open wide (a shout, the tongue out: Tommy
// Robredo's only frontal photo read 0.55) is not a rest, and closing it
// paints a mouth that the mesh reads as open at rest and an open mouth that
// it reads as smaller than that.
const RestMouthMax = 0.45

// RestPhoto picks a person's rest photo: both eyes open, the head within 8
// degrees of frontal in yaw and closest to the person's median pitch, the
// mouth closed (at most RestMouthMax).
func RestPhoto(ps []Photo) (Photo, bool) {
	if len(ps) == 0 {
		return Photo{}, false
	}
	pitches := make([]float64, len(ps))
	for i, p := range ps {
		pitches[i] = float64(p.Pitch)
	}
	sort.Float64s(pitches)
	mid := float32(pitches[len(pitches)/2])
	rest, found := Photo{}, false
	for _, p := range ps {
		if min(p.EyeOpen[0], p.EyeOpen[1]) < 0.22 || abs(p.Yaw) > 8 || p.Mouth > RestMouthMax {
			continue
		}
		if !found || abs(p.Yaw)+abs(p.Pitch-mid)+40*p.Mouth < abs(rest.Yaw)+abs(rest.Pitch-mid)+40*rest.Mouth {
			rest, found = p, true
		}
	}
	return rest, found
}

func abs(v float32) float32 {
	if v < 0 {
		return -v
	}
	return v
}

// Pick returns n of the person's actions in a random order, at least one
// of them a head movement (as challenge.New asks), or nil when they show
// fewer than n.
func Pick(p Person, n int, rng *rand.Rand) []challenge.Kind {
	ks := p.Kinds()
	if len(ks) < n {
		return nil
	}
	for {
		rng.Shuffle(len(ks), func(i, j int) { ks[i], ks[j] = ks[j], ks[i] })
		out := append([]challenge.Kind(nil), ks[:n]...)
		for _, k := range out {
			if k == challenge.TurnLeft || k == challenge.TurnRight || k == challenge.LookUp {
				return out
			}
		}
	}
}
