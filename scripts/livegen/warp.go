package main

import (
	"context"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/detect"
	"github.com/mienhq/mien/effects"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/internal/livegen"
	"github.com/mienhq/mien/liveness/challenge"
	"github.com/mienhq/mien/mesh"
)

// splitOf puts a person in the dev split (one in three, by a hash of the
// name) or the test split, so that thresholds chosen on one are reported
// on the other.
func splitOf(name string) string {
	h := fnv.New32a()
	h.Write([]byte(name))
	if h.Sum32()%3 == 0 {
		return "dev"
	}
	return "test"
}

// generateWarp writes the synthetic-head sequences (livegen.BonaFideWarp
// and the attacks made from them) of at most n people of the split
// (dev, test or all) under out/sequences: bona fide for each, and each
// attack species for the first attacks people; the first from heads are
// counted but not written (so that parallel runs can share a split). People of the stitched-photo
// set (skip) are left out. With order (a -people file), the people are
// taken in that order, not by name.
func generateWarp(ctx context.Context, e *mien.Engine, lfw, out string, photos []livegen.Photo, order []string, from, n, attacks int, split string, skip map[string]bool) error {
	by, names := peopleOfSplit(photos, split, skip)
	if order != nil {
		names = slices.DeleteFunc(slices.Clone(order), func(name string) bool { return !slices.Contains(names, name) })
	}
	m, err := e.OpenMesh(mesh.Options{})
	if err != nil {
		return err
	}
	defer m.Close()
	type head struct {
		name string
		rest livegen.Photo
		pose livegen.Poser
		jaw  float64 // the jaw's factor (calibrateJaw)
	}
	var heads []head
	for _, name := range names {
		if len(heads) == n {
			break
		}
		rest, ok := livegen.RestPhoto(by[name])
		if !ok {
			continue
		}
		pose, jaw, err := poser(ctx, e, m, lfw, rest)
		if err != nil {
			fmt.Fprintf(os.Stderr, "livegen: %s: %v\n", name, err)
			continue
		}
		heads = append(heads, head{name, rest, pose, jaw})
	}
	fmt.Fprintf(os.Stderr, "livegen: %d synthetic heads (%s split)\n", len(heads), split)
	rng := rand.New(rand.NewPCG(7, uint64(len(split))))
	for i, h := range heads {
		kinds := drawKinds(rng)
		if i < from {
			continue
		}
		name := fmt.Sprintf("w%03d-%s", i, h.name)
		species := []string{livegen.BonaFideWarp}
		if i < attacks {
			species = append(species, livegen.Static, livegen.Tilt, livegen.Moved, livegen.PrintFlip, livegen.PrintFlipLowQ,
				livegen.ScreenReplay, livegen.Replay, livegen.Switch, livegen.SwitchPeak, livegen.SwitchEnd, livegen.Expired)
		}
		for _, sp := range species {
			seed := uint64(100000 + 1000*i + len(sp))
			var seq livegen.Sequence
			var err error
			switch sp {
			case livegen.Static, livegen.Tilt, livegen.Moved, livegen.PrintFlip, livegen.PrintFlipLowQ:
				seq, err = livegen.Build(livegen.Spec{Species: sp, Person: warpPerson(h.name, h.rest, kinds), Kinds: kinds, Seed: seed},
					func(p livegen.Photo) (*face.Image, error) {
						if p.Warp != nil {
							return h.pose(*p.Warp)
						}
						return loadCanvas(e, lfw, p)
					})
			default:
				o := heads[(i+1)%len(heads)]
				seq, err = livegen.BuildWarp(livegen.WarpSpec{Species: sp, Name: h.name, Other: o.name, Kinds: kinds,
					Asked: otherChallenges(kinds, rng), Seed: seed, Pose: h.pose, OtherPose: o.pose})
			}
			if err != nil {
				return err
			}
			seq.Truth.Name = name
			seq.Truth.Note += fmt.Sprintf("; rest photo %s; jaw x%.2f", h.rest.File, h.jaw)
			if err := write(filepath.Join(out, "sequences", sp, name), seq); err != nil {
				return err
			}
		}
		fmt.Fprintf(os.Stderr, "livegen: synthetic %s (%v)\n", h.name, kinds)
	}
	return nil
}

// warpPerson is a person whose action photos are the synthetic head at
// each action's peak (for the prints held up in turn).
func warpPerson(name string, rest livegen.Photo, kinds []challenge.Kind) livegen.Person {
	p := livegen.Person{Name: name, Rest: rest, Actions: map[challenge.Kind]livegen.Photo{}}
	peaks := map[challenge.Kind]livegen.Head{
		challenge.TurnLeft: {Yaw: 30}, challenge.TurnRight: {Yaw: -30}, challenge.LookUp: {Pitch: 22},
		challenge.Blink: {Blink: 1}, challenge.OpenMouth: {Mouth: 1},
	}
	for _, k := range kinds {
		h := peaks[k]
		p.Actions[k] = livegen.Photo{Person: name, File: "synthetic/" + name + "/" + string(k), Warp: &h}
	}
	return p
}

// drawKinds draws a session's 3 challenges as challenge.New does: distinct,
// in random order, at least one a head movement; but never a blink: the
// synthetic head's eyelids (livegen.CloseEyes, warped) were read as closed
// on 2 of the 12 dev-split sessions that asked a blink (the iris model
// still finds an open eye in the warped lids), so a blink of the synthetic
// head says more about the warp than about the checker.
func drawKinds(rng *rand.Rand) []challenge.Kind {
	for {
		ks := slices.DeleteFunc(slices.Clone(challenge.Kinds), func(k challenge.Kind) bool { return k == challenge.Blink })
		rng.Shuffle(len(ks), func(i, j int) { ks[i], ks[j] = ks[j], ks[i] })
		ks = ks[:3]
		if slices.ContainsFunc(ks, func(k challenge.Kind) bool {
			return k == challenge.TurnLeft || k == challenge.TurnRight || k == challenge.LookUp
		}) {
			return ks
		}
	}
}

// closeRestMouth (-close-rest-mouth) starts each synthetic head from its
// rest photo with the lips closed (livegen.CloseLips); headRing
// (-head-ring) turns the head's outline, hair and ears with the face
// (livegen.HeadWarper).
var closeRestMouth, headRing, jawToMargin bool

// Jaw calibration (-jaw-to-margin): the factors on the jaw's drop tried, in
// order, until the mesh reads the least open mouth a session draws
// (livegen.MinMouthPeak of the full drop) livegen.Margins' Mouth (0.25)
// over the head's rest: the margin the real photos chosen for an open
// mouth must show (livegen.Plan), as a subject asked to open the mouth
// opens it until it shows. 1.5 is a drop of 0.9 mouth widths at the lips'
// middle, about the widest a mouth opens.
var jawFactors = []float64{1, 1.15, 1.3, 1.5}

// poser meshes a rest photo on its canvas (fresh track, with iris) and
// returns the synthetic head's renderer: the photo warped along its mesh
// and the head's outline posed in 3D (headRenderer), blended with a copy
// whose eyelids are closed
// (livegen.CloseEyes) as far as the head blinks. The photo must show one
// face (another face beside the person, at a detection score of 0.5 or
// more, rules it out: a session would rightly refuse two people).
func poser(ctx context.Context, e *mien.Engine, m *mesh.Model, lfw string, rest livegen.Photo) (livegen.Poser, float64, error) {
	canvas, err := loadCanvas(e, lfw, rest)
	if err != nil {
		return nil, 0, err
	}
	dets, err := e.Detect(ctx, canvas, detect.Options{})
	if err != nil {
		return nil, 0, err
	}
	main, _ := mien.LivenessFaces(dets)
	for _, d := range dets {
		if d != main && d.Score >= otherFaceScore {
			return nil, 0, fmt.Errorf("another face beside the person (score %.2f)", d.Score)
		}
	}
	tr := mesh.NewTracker(m, mesh.TrackOptions{})
	tr.Reset(main)
	f, ok, err := tr.Step(ctx, canvas, 0)
	if err != nil || !ok || !f.Mesh.HasIris {
		return nil, 0, fmt.Errorf("the mesh did not read the rest photo (%v)", err)
	}
	pts := make([]face.Point, mesh.NumPoints)
	z := make([]float32, mesh.NumPoints)
	for i, p := range f.Mesh.Points {
		pts[i], z[i] = p.XY(), p.Z
	}
	var eyes [2][16]face.Point
	for i := range eyes {
		for k := range eyes[i] {
			eyes[i][k] = f.Mesh.Eyes[i].Contour[k].XY()
		}
	}
	restPts := append([]face.Point(nil), pts...)
	if closeRestMouth {
		pts = livegen.CloseLips(pts)
	}
	restGap := float64(pts[13].Dist(pts[14]))
	render, err := headRenderer(canvas, livegen.CloseEyes(canvas, eyes), mien.EffectsFace(f), restPts, z)
	if err != nil {
		return nil, 0, err
	}
	pose := func(h livegen.Head) (*face.Image, error) {
		dst, posed, err := render(pts, h, false)
		if err != nil {
			return nil, err
		}
		if h.Blink > 0 {
			shut, _, err := render(pts, h, true)
			if err != nil {
				return nil, err
			}
			for i := range dst.Pix {
				dst.Pix[i] = uint8(float64(dst.Pix[i])*(1-h.Blink) + float64(shut.Pix[i])*h.Blink + 0.5)
			}
		}
		if h.Mouth > 0 {
			livegen.MouthInterior(dst, posed, restGap)
		}
		return dst, nil
	}
	jaw := 1.0
	if jawToMargin {
		if jaw, err = calibrateJaw(ctx, e, m, pose); err != nil {
			return nil, 0, err
		}
	}
	return func(h livegen.Head) (*face.Image, error) {
		h.Mouth *= jaw
		return pose(h)
	}, jaw, nil
}

// calibrateJaw returns the least of jawFactors at which the mesh reads the
// head's open mouth at livegen.MinMouthPeak at least livegen.Margins' Mouth
// over its rest
// (read as a session reads a frame: detection, a fresh mesh track), or the
// factor of the widest reading when none does. The mesh reads the drawn
// opening at about half its size, and less on some faces than on others
// (docs/benchmarks.md, "Liveness: pose reference, jaw margin, passive of 9,
// the lips' own line").
func calibrateJaw(ctx context.Context, e *mien.Engine, m *mesh.Model, pose livegen.Poser) (float64, error) {
	read := func(h livegen.Head) (float32, error) { return headMouth(ctx, e, m, pose, h) }
	rest, err := read(livegen.Head{})
	if err != nil {
		return 0, err
	}
	margin := livegen.DefaultMargins().Mouth
	best, bestRead := 1.0, float32(-1)
	for _, k := range jawFactors {
		r, err := read(livegen.Head{Mouth: livegen.MinMouthPeak * k})
		if err != nil {
			return 0, err
		}
		if r-rest >= margin {
			return k, nil
		}
		if r > bestRead {
			best, bestRead = k, r
		}
	}
	return best, nil
}

// headRenderer returns the warp of the synthetic head: with -head-ring
// (livegen.HeadWarper) the head's outline, hair and ears turn with the
// face; without it, effects.Puppet.Warp, whose ring follows the face half
// way. shut selects the copy whose eyelids are closed.
func headRenderer(canvas, shutCanvas *face.Image, ef effects.Face, restPts []face.Point, z []float32) (func(pts []face.Point, h livegen.Head, shut bool) (*face.Image, []face.Point, error), error) {
	if headRing {
		open, err := livegen.NewHeadWarper(canvas, restPts, z)
		if err != nil {
			return nil, err
		}
		closed, err := livegen.NewHeadWarper(shutCanvas, restPts, z)
		if err != nil {
			return nil, err
		}
		return func(pts []face.Point, h livegen.Head, shut bool) (*face.Image, []face.Point, error) {
			w := open
			if shut {
				w = closed
			}
			dst := face.NewImage(canvas.W, canvas.H)
			posed, err := w.Render(dst, pts, h)
			return dst, posed, err
		}, nil
	}
	open, err := effects.NewPuppet(canvas, &ef)
	if err != nil {
		return nil, err
	}
	closed, err := effects.NewPuppet(shutCanvas, &ef)
	if err != nil {
		return nil, err
	}
	return func(pts []face.Point, h livegen.Head, shut bool) (*face.Image, []face.Point, error) {
		p := open
		if shut {
			p = closed
		}
		posed, depth := livegen.PoseMesh(pts, z, h)
		dst := face.NewImage(canvas.W, canvas.H)
		return dst, posed, p.Warp(dst, posed, depth)
	}, nil
}

// peopleOfSplit groups photos by person and lists, by name, the people of
// split (dev, test or all) that are not in skip.
func peopleOfSplit(photos []livegen.Photo, split string, skip map[string]bool) (map[string][]livegen.Photo, []string) {
	by := map[string][]livegen.Photo{}
	for _, p := range photos {
		by[p.Person] = append(by[p.Person], p)
	}
	var names []string
	for name := range by {
		if !skip[name] && (split == "all" || splitOf(name) == split) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return by, names
}

// headMouth is the mesh's mouth opening of the head in state h, read as a
// session reads a frame: detection, then a fresh mesh track (0 when
// neither finds the face).
func headMouth(ctx context.Context, e *mien.Engine, m *mesh.Model, pose livegen.Poser, h livegen.Head) (float32, error) {
	img, err := pose(h)
	if err != nil {
		return 0, err
	}
	dets, err := e.Detect(ctx, img, detect.Options{})
	if err != nil {
		return 0, err
	}
	main, n := mien.LivenessFaces(dets)
	if n == 0 {
		return 0, nil
	}
	tr := mesh.NewTracker(m, mesh.TrackOptions{})
	tr.Reset(main)
	f, ok, err := tr.Step(ctx, img, 0)
	if err != nil || !ok {
		return 0, err
	}
	return f.Signals.MouthOpen, nil
}
