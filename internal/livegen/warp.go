package livegen

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/liveness/challenge"
)

// BonaFideWarp is the second, continuous bona fide species: one frontal
// LFW photo per person, its face mesh (which has depth) turned and raised
// in 3D and the photo warped triangle by triangle to follow it, the eyelids
// closed by CloseEyes, the jaw lowered for an open mouth; every frame an
// intermediate pose, with camera shake and sensor noise. A synthetic
// stand-in for a moving head (no recorded video of people doing the
// challenges was available), non-planar by construction.
const BonaFideWarp = "bona_fide_warp"

// Head is the synthetic head's state in one frame.
type Head struct {
	// Yaw > 0 turns the head to the subject's own left, Pitch > 0 raises
	// it; degrees.
	Yaw, Pitch float64
	// Blink (0..1) is how far the eyelids are closed; Mouth (0..1) how far
	// the jaw is lowered, 1 being an opening of MouthDrop mouth widths.
	Blink, Mouth float64
	// Shows is the frame's ground truth: "rest" or the action under way.
	Shows string
}

// MinMouthPeak is the least jaw (of 1) at an open mouth's peak in a
// synthetic session; each session draws its peak between it and 1.
const MinMouthPeak = 0.8

// MouthDrop is how far the lower lip and jaw drop at Mouth 1, in mouth
// widths (the mesh's mouth opening is the inner-lip gap over the width).
const MouthDrop = 0.6

// Timeline is the synthetic head's frames for kinds, in order: RestFrames
// at rest, then for each action a smooth (cosine) ramp to its peak over 4
// frames, a hold of 3 (a blink: 1 frame half closed, 2 closed, 1 half), a
// ramp back over 4 and RestFrames at rest. Peaks are drawn per action:
// turns of 28-38 degrees, looking up 30-38, the jaw at 0.8-1: what a
// compliant subject does (turns of 25-40, look-ups of 20-40). These are
// the angles applied to the mesh; the mesh reads a warped photo's pose
// smaller, most of all a look-up (on the dev split, with the head's
// outline turning too (HeadWarper), a look-up of 32 read a median 23, a
// turn of 30 read 33-36; above 36 the look-up's warp costs the recognizer
// its identity: similarity to rest a median 0.51 at 40, against 0.68 at
// 32), so the ranges were chosen on the dev split (scripts/livegen
// -probe). A slow sway of about a degree runs throughout, as a held head
// does.
func Timeline(kinds []challenge.Kind, rng *rand.Rand) []Head {
	var out []Head
	rest := func(n int) {
		for range n {
			out = append(out, Head{Shows: "rest"})
		}
	}
	rest(RestFrames)
	for _, k := range kinds {
		if k == challenge.Blink {
			for _, b := range []float64{0.5, 1, 1, 0.5} {
				out = append(out, Head{Blink: b, Shows: string(k)})
			}
			rest(RestFrames)
			continue
		}
		var peak Head
		switch k {
		case challenge.TurnLeft:
			peak.Yaw = 28 + 10*rng.Float64()
		case challenge.TurnRight:
			peak.Yaw = -(28 + 10*rng.Float64())
		case challenge.LookUp:
			peak.Pitch = 30 + 8*rng.Float64()
		case challenge.OpenMouth:
			peak.Mouth = MinMouthPeak + (1-MinMouthPeak)*rng.Float64()
		}
		ramp := []float64{0.15, 0.5, 0.85, 1, 1, 1, 1, 0.85, 0.5, 0.15}
		for i, a := range ramp {
			shows := "rest"
			if i >= 2 && i <= 7 {
				shows = string(k)
			}
			out = append(out, Head{Yaw: a * peak.Yaw, Pitch: a * peak.Pitch, Mouth: a * peak.Mouth, Shows: shows})
		}
		rest(RestFrames)
	}
	ph := rng.Float64() * 2 * math.Pi
	for i := range out {
		t := float64(i) * 2 * math.Pi / 37
		out[i].Yaw += 1.2 * math.Sin(t+ph)
		out[i].Pitch += 0.8 * math.Sin(1.3*t+ph+1)
	}
	return out
}

// PoseMesh moves a frontal mesh (points in pixels, depth z in the same
// pixels, smaller nearer the camera) to head h: the jaw lowered first
// (points below the mouth, fading out towards the cheeks), then the whole
// mesh rotated about a vertical and a horizontal axis through a pivot half
// a face width behind the face's centre (a head turns on the neck, not on
// its nose), and projected orthographically. The projected face keeps its
// centre where the rest face's is. It also returns the posed depths.
func PoseMesh(pts []face.Point, z []float32, h Head) ([]face.Point, []float32) {
	out, depth, _, _ := PoseHead(pts, z, nil, nil, h)
	return out, depth
}

// PoseHead is PoseMesh, and it turns extra points of the head (extra, at
// depths extraZ: the head's outline, hair and ears) rigidly with the face,
// about the same pivot and by the same shift; the jaw moves only the mesh.
func PoseHead(pts []face.Point, z []float32, extra []face.Point, extraZ []float32, h Head) ([]face.Point, []float32, []face.Point, []float32) {
	out := make([]face.Point, len(pts))
	depth := make([]float32, len(pts))
	ex := make([]face.Point, len(extra))
	exz := make([]float32, len(extra))
	if len(pts) < 468 || len(z) != len(pts) || len(extraZ) != len(extra) {
		copy(out, pts)
		copy(depth, z)
		copy(ex, extra)
		copy(exz, extraZ)
		return out, depth, ex, exz
	}
	var cx, cy, cz float64
	minX, maxX := math.Inf(1), math.Inf(-1)
	for i, p := range pts {
		cx, cy, cz = cx+float64(p.X), cy+float64(p.Y), cz+float64(z[i])
		minX, maxX = math.Min(minX, float64(p.X)), math.Max(maxX, float64(p.X))
	}
	n := float64(len(pts))
	cx, cy, cz = cx/n, cy/n, cz/n
	pz := cz + 0.5*(maxX-minX)
	// jaw: the lip line and the mouth corners (MediaPipe indices)
	mx := (float64(pts[61].X) + float64(pts[291].X)) / 2
	mw := math.Abs(float64(pts[291].X) - float64(pts[61].X))
	drop := h.Mouth * MouthDrop * mw
	half := (maxX - minX) / 2
	ya, pa := h.Yaw*math.Pi/180, h.Pitch*math.Pi/180
	turn := func(x, y, d float64) (float64, float64, float64) {
		// turn: the subject's left is the image's right; a head turning to
		// its left brings its nose (near, small z) to the image right
		x, d = x-cx, d-pz
		x, d = x*math.Cos(ya)-d*math.Sin(ya), x*math.Sin(ya)+d*math.Cos(ya)
		// up: the nose moves up in the image
		y -= cy
		y, d = y*math.Cos(pa)+d*math.Sin(pa), -y*math.Sin(pa)+d*math.Cos(pa)
		return x + cx, y + cy, d
	}
	line := lipLine(pts)
	var sx, sy, rx, ry float64
	for i, p := range pts {
		x, y := float64(p.X), float64(p.Y)
		// the head's centre is taken without the jaw: an open mouth must
		// not move the upper face (it would read as a look-up)
		hx, hy, _ := turn(x, y, float64(z[i]))
		sx, sy = sx+hx, sy+hy
		rx, ry = rx+x, ry+y
		if drop > 0 {
			x, y = openJaw(x, y, mx, line(x), mw, half, drop, h.Mouth)
		}
		x, y, d := turn(x, y, float64(z[i]))
		out[i], depth[i] = face.Point{X: float32(x), Y: float32(y)}, float32(d)
	}
	// keep the face where it was: the pivot's offset would move it sideways
	dx, dy := float32((rx-sx)/n), float32((ry-sy)/n)
	for i := range out {
		out[i].X += dx
		out[i].Y += dy
	}
	for i, p := range extra {
		x, y, d := turn(float64(p.X), float64(p.Y), float64(extraZ[i]))
		ex[i], exz[i] = face.Point{X: float32(x) + dx, Y: float32(y) + dy}, float32(d)
	}
	return out, depth, ex, exz
}

// lipLine returns the line where the lips meet in a frontal mesh, as a
// function of x: through the mouth's inner corners (78, 308) and the
// midpoints of the inner-lip points facing each other (lipPairs), level
// beyond the corners. A mouth's lip line is seldom straight (a smile lifts
// its corners): parted at a level line through the middle of the lips,
// the lower lip near the corners of a smiling mouth lay above that line and
// stayed, while the skin under it dropped with the jaw, so the lips were
// drawn stretched into vertical streaks with a narrow slot between them,
// which the mesh read as a third of the opening drawn.
func lipLine(pts []face.Point) func(x float64) float64 {
	type pt struct{ x, y float64 }
	ps := []pt{{float64(pts[78].X), float64(pts[78].Y)}, {float64(pts[308].X), float64(pts[308].Y)}}
	for _, p := range lipPairs {
		a, b := pts[p[0]], pts[p[1]]
		ps = append(ps, pt{float64(a.X+b.X) / 2, float64(a.Y+b.Y) / 2})
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].x < ps[j].x })
	return func(x float64) float64 {
		if x <= ps[0].x {
			return ps[0].y
		}
		for i := 1; i < len(ps); i++ {
			if x <= ps[i].x {
				a, b := ps[i-1], ps[i]
				if b.x-a.x < 1e-9 {
					return b.y
				}
				return a.y + (b.y-a.y)*(x-a.x)/(b.x-a.x)
			}
		}
		return ps[len(ps)-1].y
	}
}

// openJaw moves one point of a frontal face for an open mouth of drop
// pixels (the inner lips' gap at the mouth's middle; mouthY is the lip line
// at the point's x, lipLine): the jaw and chin drop
// by drop, fading towards the cheeks beyond 0.6 mouth widths from the
// middle; near the lip line the drop follows an ellipse across the mouth,
// so the corners stay closed and the opening is an oval (a jaw lowered as
// one block opens a box with vertical sides, which the mesh reads as lips
// stretched, not parted); the upper lip rises by an eighth of the drop and
// the corners draw in by up to 8% of the mouth width, as lips do when the
// jaw drops.
func openJaw(x, y, mx, mouthY, mw, half, drop, amount float64) (float64, float64) {
	lip := 0.35 * mw // about a lip's height
	dx := x - mx
	e := math.Sqrt(math.Max(0, 1-(dx/(0.5*mw))*(dx/(0.5*mw))))
	if d := math.Abs(y - mouthY); d < 1.5*lip && math.Abs(dx) < 0.75*mw {
		x -= dx * 0.08 * amount * (1 - d/(1.5*lip))
	}
	switch {
	case y > mouthY:
		w := math.Max(0, 1-math.Max(0, math.Abs(dx)-0.6*mw)/math.Max(half-0.6*mw, 1))
		t := math.Min(1, (y-mouthY)/lip)
		y += drop * w * ((1-t)*e + t)
	case y > mouthY-lip:
		y -= 0.125 * drop * e * (1 - (mouthY-y)/lip)
	}
	return x, y
}

// Poser renders the synthetic head of one person in state h on a Side x
// Side canvas (before camera shake and noise).
type Poser func(h Head) (*face.Image, error)

// WarpSpec says what BuildWarp makes: a continuous bona fide session of
// Kinds, or one of the attacks made from it (Replay and ScreenReplay: the
// pass shown to a session that asked for Asked; Switch: Other's head takes
// over after the first action; Expired: the deadline falls before the last
// action starts).
type WarpSpec struct {
	Species         string
	Name, Other     string
	Kinds, Asked    []challenge.Kind
	Seed            uint64
	Pose, OtherPose Poser
}

// BuildWarp makes one sequence of the synthetic head.
func BuildWarp(sp WarpSpec) (Sequence, error) {
	rng := rand.New(rand.NewPCG(sp.Seed, 13))
	heads := Timeline(sp.Kinds, rng)
	t := Truth{Species: sp.Species, Live: sp.Species == BonaFideWarp, Challenges: sp.Kinds, Performed: sp.Kinds,
		Persons: []string{sp.Name}, Nonce: fmt.Sprintf("%032x", sp.Seed), DeadlineMS: 30_000, Note: warpNotes[sp.Species]}
	pose, switchAt := sp.Pose, len(heads)
	switch sp.Species {
	case Replay, ScreenReplay:
		t.Challenges = sp.Asked
	case Switch, SwitchPeak, SwitchEnd:
		switchAt = switchFrame(sp.Species, sp.Kinds)
		t.Persons = append(t.Persons, sp.Other)
	case Expired:
		last := len(heads) - RestFrames - actionFrames(sp.Kinds[len(sp.Kinds)-1])
		t.DeadlineMS = StartMS + int64(last)*1000/FPS - 50
	case BonaFideWarp:
	default:
		return Sequence{}, fmt.Errorf("livegen: species %s is not made from the synthetic head", sp.Species)
	}
	var seq Sequence
	for i, h := range heads {
		if i == switchAt {
			pose = sp.OtherPose
		}
		c, err := pose(h)
		if err != nil {
			return seq, err
		}
		img := Live(c, rng)
		if sp.Species == ScreenReplay {
			img = render(ScreenReplay, ScreenSheet(img, rng), h.Shows, i, 1, rng)
		}
		seq.Frames = append(seq.Frames, img)
		t.Frames = append(t.Frames, FrameTruth{File: fmt.Sprintf("%03d.jpg", i), MS: StartMS + int64(i)*1000/FPS, Source: "synthetic head of " + t.Persons[min(len(t.Persons)-1, b2i(i >= switchAt))], Shows: h.Shows,
			Applied: []float64{round2(h.Yaw), round2(h.Pitch), round2(h.Mouth), round2(h.Blink)}})
	}
	seq.Truth = t
	return seq, nil
}

// The switches of the synthetic head at an action's peak (Switch takes
// over at rest after the first action): SwitchPeak, another person's head
// takes over at the peak of the first head movement (turn or look-up), in
// the same pose, and finishes the session; SwitchEnd, at the peak of the
// last action, so the head leaves as one person and comes back to rest as
// another.
const (
	SwitchPeak = "person_switched_peak"
	SwitchEnd  = "person_switched_end"
)

// switchFrame is the frame where Other's head takes over: after the first
// action's rest (Switch), or the second frame of the hold at the peak
// (Timeline's ramp reaches 1 at its fourth frame) of the first head
// movement (SwitchPeak) or of the last action (SwitchEnd).
func switchFrame(species string, kinds []challenge.Kind) int {
	if species == Switch {
		return RestFrames + actionFrames(kinds[0]) + RestFrames
	}
	at, peak := RestFrames, -1
	for _, k := range kinds {
		head := k == challenge.TurnLeft || k == challenge.TurnRight || k == challenge.LookUp
		if k != challenge.Blink && (species == SwitchEnd || head && peak < 0) {
			peak = at + 4
		}
		at += actionFrames(k) + RestFrames
	}
	if peak < 0 { // no head movement (SwitchPeak) or only blinks: the last action's middle
		peak = at - RestFrames - actionFrames(kinds[len(kinds)-1])/2
	}
	return peak
}

// actionFrames is how many frames Timeline gives an action.
func actionFrames(k challenge.Kind) int {
	if k == challenge.Blink {
		return 4
	}
	return 10
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

var warpNotes = map[string]string{
	BonaFideWarp: "synthetic stand-in for a moving head: one frontal LFW photo warped piecewise-affinely along its face mesh turned/raised in 3D (and eyelids closed, jaw lowered), smooth intermediate poses at 10 fps, camera shake, sensor noise, JPEG",
	ScreenReplay: "a synthetic-head pass recorded for another session, shown on a screen (sub-pixel stripes, bezel, glare) into a session with other challenges",
	Replay:       "a synthetic-head pass recorded for another session, injected frame for frame into a session with other challenges",
	Switch:       "a synthetic-head start; after the first action another person's synthetic head takes over",
	SwitchPeak:   "a synthetic-head start; at the peak of the first head movement another person's synthetic head, in the same pose, takes over and finishes the session",
	SwitchEnd:    "a synthetic-head pass; at the peak of the last action another person's synthetic head, in the same pose, takes over and comes back to rest",
	Expired:      "a synthetic-head pass whose last action starts after the session's deadline",
}
