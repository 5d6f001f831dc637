package livegen

import (
	"math"
	"testing"

	"github.com/mienhq/mien/face"
)

// An open mouth is an oval: the lower lip near the corners drops less
// than at the middle and the corners stay where the lips meet (lowering
// the jaw as one block opened a box with vertical sides, which the mesh
// read as stretched lips: +0.14 over rest on the held-out split).
func TestOpenJawIsAnOval(t *testing.T) {
	const mx, mouthY, mw, half, drop = 240.0, 290.0, 50.0, 90.0, 30.0
	_, mid := openJaw(mx, mouthY+1, mx, mouthY, mw, half, drop, 1)
	_, near := openJaw(mx+0.4*mw, mouthY+1, mx, mouthY, mw, half, drop, 1)
	cx, corner := openJaw(mx+0.5*mw, mouthY+1, mx, mouthY, mw, half, drop, 1)
	_, chin := openJaw(mx+0.4*mw, mouthY+0.5*mw, mx, mouthY, mw, half, drop, 1)
	_, upper := openJaw(mx, mouthY-1, mx, mouthY, mw, half, drop, 1)
	if d := mid - (mouthY + 1); math.Abs(d-drop) > 1 {
		t.Errorf("the lower lip's middle dropped %.1f px, want %.0f", d, drop)
	}
	if d := near - (mouthY + 1); d > 0.7*drop || d < 0.3*drop {
		t.Errorf("the lower lip near a corner dropped %.1f px, want between 0.3 and 0.7 of %.0f", d, drop)
	}
	if d := corner - (mouthY + 1); d > 0.1*drop {
		t.Errorf("the mouth corner dropped %.1f px, want it to stay", d)
	}
	if cx >= mx+0.5*mw {
		t.Errorf("the mouth corner did not draw in (x %.1f)", cx)
	}
	if d := chin - (mouthY + 0.5*mw); math.Abs(d-drop) > 1 {
		t.Errorf("the chin below the corner dropped %.1f px, want %.0f: the jaw moves as a whole", d, drop)
	}
	if upper >= mouthY-1 {
		t.Errorf("the upper lip did not rise (y %.1f)", upper)
	}
}

// mouthPoints is a mesh whose inner lips form an ellipse of half-width a
// and half-height b about (240, 290).
func mouthPoints(a, b float64) []face.Point {
	pts := make([]face.Point, 468)
	n := len(innerLips)
	for i, k := range innerLips {
		th := math.Pi + 2*math.Pi*float64(i)/float64(n) // from the left corner, over the top
		pts[k] = face.Point{X: float32(240 + a*math.Cos(th)), Y: float32(290 + b*math.Sin(th))}
	}
	pts[61], pts[291] = face.Point{X: float32(240 - a), Y: 290}, face.Point{X: float32(240 + a), Y: 290}
	pts[13], pts[14] = face.Point{X: 240, Y: float32(290 - b)}, face.Point{X: 240, Y: float32(290 + b)}
	return pts
}

func TestMouthInterior(t *testing.T) {
	img := face.NewImage(480, 480)
	for i := range img.Pix {
		img.Pix[i] = 180 // skin-ish grey
	}
	MouthInterior(img, mouthPoints(30, 20), 2)
	at := func(x, y int) [3]uint8 {
		p := img.Pix[3*(y*img.W+x):]
		return [3]uint8{p[0], p[1], p[2]}
	}
	if c := at(240, 290); c[0] > 80 || c[1] > 60 {
		t.Errorf("the middle of the open mouth is %v, want dark", c)
	}
	if c := at(240, 274); c[0] < 150 || c[2] < 130 {
		t.Errorf("under the upper lip %v, want the pale teeth", c)
	}
	if c := at(240, 307); c[0] < c[1]+30 {
		t.Errorf("at the bottom %v, want the reddish tongue", c)
	}
	if c := at(240, 250); c != [3]uint8{180, 180, 180} {
		t.Errorf("outside the lips %v, want it untouched", c)
	}
	closed := face.NewImage(480, 480)
	MouthInterior(closed, mouthPoints(30, 1), 2)
	for _, v := range closed.Pix {
		if v != 0 {
			t.Fatalf("lips parted no more than at rest were painted")
		}
	}
}

// A rest photo with its mouth open starts the head closed: the inner lips
// meet, the points far from the mouth do not move.
func TestCloseLips(t *testing.T) {
	pts := mouthPoints(30, 12)
	for _, p := range lipPairs { // the pairs face each other across the lip line
		x := (pts[p[0]].X + pts[p[1]].X) / 2
		pts[p[0]].X, pts[p[1]].X = x, x
	}
	pts[1] = face.Point{X: 240, Y: 200} // the nose tip, far above the mouth
	closed := CloseLips(pts)
	for _, p := range lipPairs {
		if d := closed[p[1]].Y - closed[p[0]].Y; d <= 0 || d > 0.03*60 {
			t.Errorf("inner lips %d and %d %.2f px apart, want just touching", p[0], p[1], d)
		}
	}
	// and the jaw then opens them: the lower lip is below the lip line
	var z [468]float32
	open, _ := PoseMesh(closed, z[:], Head{Mouth: 1})
	if gap := open[14].Y - open[13].Y; gap < 0.5*MouthDrop*60 {
		t.Errorf("the closed mouth opened %.1f px, want at least %.1f", gap, 0.5*MouthDrop*60)
	}
	if closed[1] != pts[1] {
		t.Errorf("the nose moved: %v -> %v", pts[1], closed[1])
	}
	shut := mouthPoints(30, 0.2)
	if got := CloseLips(shut); got[13] != shut[13] || got[14] != shut[14] {
		t.Errorf("a closed mouth was changed")
	}
}

// TestOpenJawFollowsACurvedLipLine: a smiling mouth's corners sit higher
// than its middle. Parted at a level line through the middle, the lower
// lip near the corners lay above it and stayed while the skin under it
// dropped: the lips were drawn as vertical streaks around a narrow slot,
// which the mesh read as a third of the opening. The lower lip must drop
// along the whole mouth, by the oval's share, and the upper lip must not.
func TestOpenJawFollowsACurvedLipLine(t *testing.T) {
	pts, z := dome()
	for i, k := range innerLips { // corners 8 px above the middle
		u := float64(i) / 10
		lower := i > 10
		if lower {
			u = float64(20-i) / 10
		}
		y := 290 - 8*(2*u-1)*(2*u-1)
		if lower {
			y += 2
		}
		if i == 0 || i == 10 {
			y += 1
		}
		pts[k] = face.Point{X: float32(220 + 40*u), Y: float32(y)}
	}
	pts[61], pts[291] = face.Point{X: 215, Y: 283}, face.Point{X: 265, Y: 283}
	open, _ := PoseMesh(pts, z, Head{Mouth: 1})
	drop := MouthDrop * 50
	for _, p := range lipPairs {
		up, lo := p[0], p[1]
		dx := float64(pts[lo].X) - 240
		e := math.Sqrt(math.Max(0, 1-(dx/25)*(dx/25)))
		if d := float64(open[lo].Y - pts[lo].Y); d < 0.8*e*drop {
			t.Errorf("lower lip point %d (%.0f px from the middle) dropped %.1f px, want at least %.1f", lo, dx, d, 0.8*e*drop)
		}
		if d := float64(open[up].Y - pts[up].Y); d > 0 {
			t.Errorf("upper lip point %d went down %.1f px", up, d)
		}
	}
}
