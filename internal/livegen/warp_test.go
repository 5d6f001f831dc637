package livegen

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/liveness/challenge"
)

// dome is a stand-in mesh: 468 points on a spherical cap of radius 100 px
// facing the camera (the centre nearest, smaller z), with the landmarks
// PoseMesh reads (inner lips 13/14, mouth corners 61/291) placed where a
// face has them.
func dome() ([]face.Point, []float32) {
	pts := make([]face.Point, 468)
	z := make([]float32, 468)
	for i := range pts {
		a := float64(i) * 2.39996 // golden angle spiral
		r := 90 * math.Sqrt(float64(i)/468)
		x, y := r*math.Cos(a), r*math.Sin(a)
		pts[i] = face.Point{X: float32(240 + x), Y: float32(240 + y)}
		z[i] = float32(-math.Sqrt(100*100 - r*r))
	}
	// a closed mouth: the inner lips from the left corner along the upper
	// lip and back along the lower, 2 px apart
	for i, k := range innerLips {
		u := float64(i) / 10 // 0..1 along the upper lip, then 1..0 back
		y := 290.0
		if i > 10 {
			u, y = float64(20-i)/10, 292
		}
		if i == 0 || i == 10 {
			y = 291
		}
		pts[k] = face.Point{X: float32(220 + 40*u), Y: float32(y)}
	}
	pts[13], pts[14] = face.Point{X: 240, Y: 290}, face.Point{X: 240, Y: 292}
	pts[61], pts[291] = face.Point{X: 215, Y: 291}, face.Point{X: 265, Y: 291}
	return pts, z
}

func TestPoseMeshDirections(t *testing.T) {
	pts, z := dome()
	nose := 0 // the spiral's first point: the cap's centre, nearest the camera
	rest, _ := PoseMesh(pts, z, Head{})
	for i := range pts {
		if math.Abs(float64(rest[i].X-pts[i].X)) > 1e-3 || math.Abs(float64(rest[i].Y-pts[i].Y)) > 1e-3 {
			t.Fatalf("the rest pose moved point %d: %v -> %v", i, pts[i], rest[i])
		}
	}
	left, depth := PoseMesh(pts, z, Head{Yaw: 30})
	if len(depth) != len(pts) {
		t.Fatalf("%d depths for %d points", len(depth), len(pts))
	}
	if dx := left[nose].X - pts[nose].X; dx < 10 {
		t.Errorf("turning to the subject's left moved the nose %.1f px, want it well to the image right", dx)
	}
	right, _ := PoseMesh(pts, z, Head{Yaw: -30})
	if right[nose].X >= pts[nose].X {
		t.Errorf("a right turn moved the nose to the image right")
	}
	up, _ := PoseMesh(pts, z, Head{Pitch: 20})
	if up[nose].Y >= pts[nose].Y-5 {
		t.Errorf("looking up moved the nose %.1f px, want it up", up[nose].Y-pts[nose].Y)
	}
	open, _ := PoseMesh(pts, z, Head{Mouth: 1})
	gap := open[14].Y - open[13].Y
	if want := float32(MouthDrop*50) * 0.8; gap < want {
		t.Errorf("an open mouth's lip gap is %.1f px, want at least %.1f", gap, want)
	}
}

func TestTimeline(t *testing.T) {
	kinds := []challenge.Kind{challenge.TurnLeft, challenge.Blink, challenge.OpenMouth}
	hs := Timeline(kinds, rand.New(rand.NewPCG(1, 2)))
	if want := RestFrames + 3*RestFrames + 2*actionFrames(challenge.TurnLeft) + actionFrames(challenge.Blink); len(hs) != want {
		t.Fatalf("%d frames, want %d", len(hs), want)
	}
	var peakYaw, blink, mouth float64
	shown := map[string]int{}
	for i, h := range hs {
		shown[h.Shows]++
		peakYaw, blink, mouth = max(peakYaw, h.Yaw), max(blink, h.Blink), max(mouth, h.Mouth)
		if i > 0 && math.Abs(h.Yaw-hs[i-1].Yaw) > 15 {
			t.Errorf("frame %d: the head jumped %.1f degrees", i, h.Yaw-hs[i-1].Yaw)
		}
	}
	if peakYaw < 24 || blink != 1 || mouth < 0.8 {
		t.Errorf("peaks: yaw %.1f, blink %.1f, mouth %.2f", peakYaw, blink, mouth)
	}
	if shown["turn_left"] != 6 || shown["blink"] != 4 || shown["open_mouth"] != 6 {
		t.Errorf("frames per state %v", shown)
	}
}

// TestTimelineCompliantAngles holds the applied peaks to what a compliant
// subject does: turns of 25-40 degrees, look-ups of 20-40 (the slow sway of
// about a degree on top).
func TestTimelineCompliantAngles(t *testing.T) {
	for seed := uint64(0); seed < 200; seed++ {
		kinds := []challenge.Kind{challenge.TurnLeft, challenge.LookUp, challenge.TurnRight}
		hs := Timeline(kinds, rand.New(rand.NewPCG(seed, 3)))
		peak := map[string]float64{}
		for _, h := range hs {
			switch h.Shows {
			case "turn_left", "turn_right":
				peak[h.Shows] = max(peak[h.Shows], math.Abs(h.Yaw))
			case "look_up":
				peak[h.Shows] = max(peak[h.Shows], h.Pitch)
			}
		}
		for k, lo := range map[string]float64{"turn_left": 25, "turn_right": 25, "look_up": 20} {
			if p := peak[k]; p < lo || p > 40+1.5 {
				t.Fatalf("seed %d: %s peaks at %.1f degrees, outside %g-40", seed, k, p, lo)
			}
		}
	}
}
