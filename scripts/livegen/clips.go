package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/internal/livegen"
	"github.com/mienhq/mien/liveness/challenge"
)

// clipsInfo is written to OUT/clips.json beside the camera clips.
type clipsInfo struct {
	Person     string              `json:"person"`
	Challenges []challenge.Kind    `json:"challenges"` // create the sessions with these, in this order
	FPS        int                 `json:"frames_per_second_of_the_frames"`
	LeadInMS   int                 `json:"lead_in_ms"` // rest before the first action
	Clips      map[string]clipInfo `json:"clips"`
}

type clipInfo struct {
	Live      bool             `json:"expected_live"`
	Performed []challenge.Kind `json:"performed"`
	Note      string           `json:"note"`
}

// clips writes the frames of three camera clips of one person under
// out/frames/{pass,print,screen}: a pass of the challenges, a printed photo
// of them tilted in time with the challenges, and a pass of the challenges
// in another order shown on a screen; and out/clips.json.
func clips(ctx context.Context, e *mien.Engine, lfw, out string, photos []livegen.Photo) error {
	p, err := clipPerson(ctx, e, lfw, photos)
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(7, 7))
	kinds := livegen.Pick(p, 3, rng)
	other := otherOrder(kinds, rng)
	const lead, tail = 30, 30
	info := clipsInfo{Person: p.Name, Challenges: kinds, FPS: livegen.FPS, LeadInMS: (lead + livegen.RestFrames) * 1000 / livegen.FPS, Clips: map[string]clipInfo{}}
	load := func(ph livegen.Photo) (*face.Image, error) { return loadCanvas(e, lfw, ph) }
	specs := map[string]livegen.Spec{
		"pass":   {Species: livegen.BonaFide, Person: p, Kinds: kinds, Seed: 1, LeadIn: lead, Tail: tail},
		"print":  {Species: livegen.Tilt, Person: p, Kinds: kinds, Seed: 2, LeadIn: lead, Tail: tail, Printed: true},
		"screen": {Species: livegen.ScreenReplay, Person: p, Kinds: other, Asked: kinds, Seed: 3, LeadIn: lead, Tail: tail},
	}
	for name, sp := range specs {
		seq, err := livegen.Build(sp, load)
		if err != nil {
			return err
		}
		seq.Truth.Name = name
		if name == "print" {
			seq.Truth.Note = "a halftone print of the rest photo, turned in depth as a flat sheet while each head action is asked"
		}
		if err := write(filepath.Join(out, "frames", name), seq); err != nil {
			return err
		}
		info.Clips[name] = clipInfo{Live: seq.Truth.Live, Performed: seq.Truth.Performed, Note: seq.Truth.Note}
	}
	b, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(out, "clips.json"), append(b, '\n'), 0o644)
}

// clipPerson plans the clips' person: the best rest photo by
// livegen.RestPhoto that shows the person alone (the next best while it
// does not: an LFW photo often shows another person beside the subject,
// and a session rightly refuses two faces), with the action photos that
// still show their action as shown (withBlinks). It prefers a rest photo
// with 3 actions from real photos to one that needs a synthetic blink
// (eyelids closed on the rest photo by livegen.CloseEyes, which a session
// does not always read as closed), and leaves the synthetic blink out
// when 3 real actions are there.
func clipPerson(ctx context.Context, e *mien.Engine, lfw string, photos []livegen.Photo) (livegen.Person, error) {
	ps := slices.Clone(photos)
	var fallback *livegen.Person
	for tries := 0; tries < maxRestTries; tries++ {
		planned := livegen.Plan(ps, livegen.Margins{}, 1)
		if len(planned) == 0 {
			break
		}
		rest := planned[0].Rest
		ps = slices.DeleteFunc(ps, func(p livegen.Photo) bool { return p.File == rest.File })
		people, err := withBlinks(ctx, e, lfw, planned, 3)
		if err != nil {
			return livegen.Person{}, err
		}
		if len(people) == 0 {
			fmt.Fprintf(os.Stderr, "livegen: rest photo %s: another face, or under 3 actions; trying the next rest photo\n", rest.File)
			continue
		}
		p := people[0]
		if b, ok := p.Actions[challenge.Blink]; ok && b.Closed != nil {
			if len(p.Actions) > 3 {
				delete(p.Actions, challenge.Blink)
			} else {
				if fallback == nil {
					fallback = &p
				}
				fmt.Fprintf(os.Stderr, "livegen: %s: rest photo %s: 3 actions with a synthetic blink; trying the next rest photo\n", p.Name, rest.File)
				continue
			}
		}
		fmt.Fprintf(os.Stderr, "livegen: %s: rest photo %s, actions %v\n", p.Name, rest.File, p.Kinds())
		return p, nil
	}
	if fallback != nil {
		fmt.Fprintf(os.Stderr, "livegen: %s: rest photo %s with a synthetic blink (no rest photo gives 3 real actions)\n", fallback.Name, fallback.Rest.File)
		return *fallback, nil
	}
	return livegen.Person{}, fmt.Errorf("livegen: no rest photo of the person (of the best %d) shows them alone with 3 actions", maxRestTries)
}

// maxRestTries bounds the rest photos clipPerson tries.
const maxRestTries = 12

// otherOrder returns kinds in another order.
func otherOrder(kinds []challenge.Kind, rng *rand.Rand) []challenge.Kind {
	out := append([]challenge.Kind(nil), kinds...)
	for equal(out, kinds) {
		rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	}
	return out
}

func equal(a, b []challenge.Kind) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return len(a) == len(b)
}
