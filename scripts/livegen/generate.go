package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/detect"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/imageio"
	"github.com/mienhq/mien/internal/livegen"
	"github.com/mienhq/mien/liveness/challenge"
	"github.com/mienhq/mien/mesh"
)

// generate plans the people and writes every sequence under out/sequences/SPECIES/NAME.
func generate(ctx context.Context, e *mien.Engine, lfw, out string, photos []livegen.Photo, bona, attacks, challenges int) error {
	people, err := withBlinks(ctx, e, lfw, livegen.Plan(photos, livegen.Margins{}, 1), challenges)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "livegen: %d people show %d actions or more\n", len(people), challenges)
	if len(people) < 2 {
		return fmt.Errorf("livegen: %d people qualify, at least 2 are needed", len(people))
	}
	load := func(p livegen.Photo) (*face.Image, error) { return loadCanvas(e, lfw, p) }
	rng := rand.New(rand.NewPCG(1, 2))
	for i, p := range people {
		kinds := livegen.Pick(p, challenges, rng)
		for _, sp := range livegen.Species {
			if livegen.WarpOnly(sp) {
				continue // made from one photo by generateWarp
			}
			if sp == livegen.BonaFide && i >= bona || sp != livegen.BonaFide && i >= attacks {
				continue
			}
			var other livegen.Person
			if sp == livegen.Switch {
				var ok bool
				if other, ok = switchIn(people, i, kinds[1:]); !ok {
					continue
				}
			}
			seq, err := livegen.Build(livegen.Spec{Species: sp, Person: p, Other: other, Kinds: kinds, Asked: otherChallenges(kinds, rng), Seed: uint64(1000*i + len(sp))}, load)
			if err != nil {
				return err
			}
			seq.Truth.Name = fmt.Sprintf("%03d-%s", i, p.Name)
			if err := write(filepath.Join(out, "sequences", sp, seq.Truth.Name), seq); err != nil {
				return err
			}
		}
		fmt.Fprintf(os.Stderr, "livegen: %s (%v)\n", p.Name, kinds)
	}
	return nil
}

// switchIn returns the next person after i whose photos show the kinds.
func switchIn(people []livegen.Person, i int, kinds []challenge.Kind) (livegen.Person, bool) {
	for j := 1; j < len(people); j++ {
		q := people[(i+j)%len(people)]
		if all(q, kinds) {
			return q, true
		}
	}
	return livegen.Person{}, false
}

func all(p livegen.Person, kinds []challenge.Kind) bool {
	for _, k := range kinds {
		if _, ok := p.Actions[k]; !ok {
			return false
		}
	}
	return true
}

// otherChallenges draws another session's challenges: 3 of the 5 actions
// with a head movement, in another order or of another set than kinds.
func otherChallenges(kinds []challenge.Kind, rng *rand.Rand) []challenge.Kind {
	for {
		ks := slices.Clone(challenge.Kinds)
		rng.Shuffle(len(ks), func(i, j int) { ks[i], ks[j] = ks[j], ks[i] })
		ks = ks[:len(kinds)]
		head := slices.ContainsFunc(ks, func(k challenge.Kind) bool {
			return k == challenge.TurnLeft || k == challenge.TurnRight || k == challenge.LookUp
		})
		if head && !slices.Equal(ks, kinds) {
			return ks
		}
	}
}

func write(dir string, seq livegen.Sequence) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for i, img := range seq.Frames {
		name := filepath.Join(dir, seq.Truth.Frames[i].File)
		f, err := os.Create(name)
		if err != nil {
			return err
		}
		err = imageio.EncodeJPEG(f, img, livegen.Quality)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		if len(seq.Truth.Reencode) > 0 {
			if err := reencode(name, seq.Truth.Reencode); err != nil {
				return err
			}
		}
	}
	b, err := json.MarshalIndent(seq.Truth, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "truth.json"), append(b, '\n'), 0o644)
}

// reencode re-encodes a JPEG file in place with ffmpeg and args.
func reencode(file string, args []string) error {
	tmp := file + ".re.jpg"
	cmd := exec.Command("ffmpeg", append(append([]string{"-v", "error", "-y", "-i", file}, args...), tmp)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("ffmpeg %v on %s: %v: %s", args, file, err, out)
	}
	return os.Rename(tmp, file)
}

// withBlinks drops the photos that show another face beside the person
// (and the person when it is the rest photo), then gives each person
// without a real blink photo a synthetic one
// (their rest photo with the eyelids closed along the iris model's eye
// contours, livegen.CloseEyes), kept when the mesh reads it as closed
// (blinkClosed: the wider eye at most SyntheticBlinkMax of its rest; the
// session closes at 0.6) with the pose of the rest photo; it returns
// the people who then show minActions actions or more.
func withBlinks(ctx context.Context, e *mien.Engine, lfw string, people []livegen.Person, minActions int) ([]livegen.Person, error) {
	m, err := e.OpenMesh(mesh.Options{})
	if err != nil {
		return nil, err
	}
	defer m.Close()
	var out []livegen.Person
	for _, p := range people {
		centre, ok := alone(ctx, e, lfw, p.Rest)
		if !ok {
			fmt.Fprintf(os.Stderr, "livegen: %s: the rest photo shows another face\n", p.Name)
			continue
		}
		for k, a := range p.Actions {
			c, ok := alone(ctx, e, lfw, a)
			if !ok {
				fmt.Fprintf(os.Stderr, "livegen: %s: the %s photo shows another face\n", p.Name, k)
				delete(p.Actions, k)
				continue
			}
			a.Shift = [2]float32{centre.X - c.X, centre.Y - c.Y}
			if k != challenge.Blink { // a synthetic blink is measured below
				shown, _, ok, err := measurePhoto(ctx, e, m, lfw, a)
				if err != nil {
					return nil, err
				}
				if !ok || !livegen.Shows(k, shown, p.Rest, shownMargins) {
					fmt.Fprintf(os.Stderr, "livegen: %s: the %s photo as shown (mirrored %v, shifted) reads yaw %.1f pitch %.1f mouth %.2f, not the action\n",
						p.Name, k, a.Mirror, shown.Yaw-p.Rest.Yaw, shown.Pitch-p.Rest.Pitch, shown.Mouth-p.Rest.Mouth)
					delete(p.Actions, k)
					continue
				}
			}
			p.Actions[k] = a
		}
		if _, ok := p.Actions[challenge.Blink]; !ok {
			_, eyes, ok, err := measurePhoto(ctx, e, m, lfw, p.Rest)
			if err != nil {
				return nil, err
			}
			b := p.Rest
			b.Closed = &eyes
			b, _, ok2, err := measurePhoto(ctx, e, m, lfw, b)
			if err != nil {
				return nil, err
			}
			if ok && ok2 && blinkClosed(b.EyeOpen, p.Rest.EyeOpen) && abs(b.Yaw-p.Rest.Yaw) < 5 && abs(b.Pitch-p.Rest.Pitch) < 5 {
				p.Actions[challenge.Blink] = b
			} else {
				fmt.Fprintf(os.Stderr, "livegen: %s: synthetic blink not read as closed (eyes %.3f %.3f, at rest %.3f %.3f)\n", p.Name, b.EyeOpen[0], b.EyeOpen[1], p.Rest.EyeOpen[0], p.Rest.EyeOpen[1])
			}
		}
		if len(p.Actions) >= minActions {
			out = append(out, p)
		}
	}
	return out, nil
}

func abs(v float32) float32 { return max(v, -v) }

// SyntheticBlinkMax is the most open a synthetic blink's wider-open eye may
// read, relative to the same eye in the rest photo, to stand for a blink:
// the session closes the eyes at 0.6 of their rest openness
// (mien.MeshChallengeConfig: each eye against its own rest, the wider one
// counting), and a photo, like the planner's other margins, must show the
// action beyond the session's threshold. Until 2026-12-04 the bound was an
// absolute 0.13, from when the session closed the eyes at 0.15 whatever
// their rest (docs/benchmarks.md, "the stitched set at the session's blink").
const SyntheticBlinkMax = 0.5

// blinkClosed says whether eyes read eyes against rest's stand for a blink.
func blinkClosed(eyes, rest [2]float32) bool {
	var wider float32
	for i := range eyes {
		if rest[i] <= 0 {
			return false
		}
		wider = max(wider, eyes[i]/rest[i])
	}
	return wider <= SyntheticBlinkMax
}

// shownMargins are what an action photo must still show once mirrored and
// shifted as it is shown: a little beyond the session's thresholds (turn
// 20, up 15 degrees), below the margins it was chosen by (25, 18), since
// the shift alone moves the angles read by a few degrees.
var shownMargins = livegen.Margins{Turn: 22, Up: 17}

// alone reports whether a photo shows one face by a liveness session's rule
// (mien.LivenessFaces; LFW photos often show other people beside the
// subject, which a session rightly refuses), and where its centre is.
func alone(ctx context.Context, e *mien.Engine, lfw string, p livegen.Photo) (face.Point, bool) {
	img, err := loadCanvas(e, lfw, p)
	if err != nil {
		return face.Point{}, false
	}
	dets, err := e.Detect(ctx, img, detect.Options{})
	main, n := mien.LivenessFaces(dets)
	for _, d := range dets {
		if d != main && d.Score >= otherFaceScore {
			n++ // a person beside the subject, though the session's rule may not count them on the clean photo
		}
	}
	return main.Box.Center(), err == nil && n == 1
}

// otherFaceScore is the detection score from which another face on a
// clean photo rules the photo out: camera noise lifts such faces' scores
// (a person beside Pete Sampras scored 0.74 clean and 0.85 or more in some
// noisy frames, over mien.SecondFaceScore), and a session rightly refuses
// two people in view.
const otherFaceScore = 0.5
