package livegen

import (
	"math"
	"testing"

	"github.com/mienhq/mien/face"
)

// ovalDome is dome() with its face-oval points on a circle of radius 95 px
// round the cap (at the cap's edge depth), so the head ring has an outline
// to grow from.
func ovalDome() ([]face.Point, []float32) {
	pts, z := dome()
	for k, i := range faceOval {
		a := 2*math.Pi*float64(k)/float64(len(faceOval)) - math.Pi/2 // from the top, clockwise
		pts[i] = face.Point{X: float32(240 + 95*math.Cos(a)), Y: float32(240 + 95*math.Sin(a))}
		z[i] = -20
	}
	return pts, z
}

func TestPoseHeadTurnsExtrasRigidly(t *testing.T) {
	pts, z := ovalDome()
	extra := []face.Point{{X: 120, Y: 240}, {X: 360, Y: 240}, {X: 240, Y: 110}}
	ez := []float32{40, 40, 40}
	m0, _ := PoseMesh(pts, z, Head{Yaw: 30, Mouth: 1})
	m1, _, ex, _ := PoseHead(pts, z, extra, ez, Head{Yaw: 30, Mouth: 1})
	for i := range m0 {
		if m0[i] != m1[i] {
			t.Fatalf("PoseHead moved mesh point %d differently from PoseMesh: %v, %v", i, m0[i], m1[i])
		}
	}
	_, _, rest, _ := PoseHead(pts, z, extra, ez, Head{})
	for i := range extra {
		if rest[i].Dist(extra[i]) > 1e-3 {
			t.Errorf("the rest pose moved extra point %d: %v -> %v", i, extra[i], rest[i])
		}
	}
	// both ears turn together: their distance shrinks by the cosine (they
	// lie at one depth), the top of the head keeps its height
	if d0, d1 := extra[1].X-extra[0].X, ex[1].X-ex[0].X; math.Abs(float64(d1)-float64(d0)*math.Cos(math.Pi/6)) > 0.5 {
		t.Errorf("ears %.1f px apart after a 30-degree turn, want %.1f", d1, float64(d0)*math.Cos(math.Pi/6))
	}
	if math.Abs(float64(ex[2].Y-rest[2].Y)) > 1e-3 {
		t.Errorf("a turn moved the top of the head up or down by %.2f px", ex[2].Y-rest[2].Y)
	}
	_, _, up, _ := PoseHead(pts, z, extra, ez, Head{Pitch: 30})
	if up[0].Y <= extra[0].Y {
		// the ears, behind the face, go down as the face goes up
		t.Errorf("looking up moved the ear from y %.1f to %.1f, want it lower", extra[0].Y, up[0].Y)
	}
}

// earPhoto is a grey photo with a bright vertical bar where the image-left
// ear of ovalDome's head is, between the face oval and the head ring.
func earPhoto() *face.Image {
	img := face.NewImage(Side, Side)
	for i := range img.Pix {
		img.Pix[i] = 90
	}
	for y := 225; y < 255; y++ {
		for x := 128; x < 134; x++ {
			p := img.Pix[3*(y*Side+x):]
			p[0], p[1], p[2] = 250, 250, 250
		}
	}
	return img
}

// barX is the mean x of the bright pixels in rows 225-255.
func barX(img *face.Image) float64 {
	var s, n float64
	for y := 225; y < 255; y++ {
		for x := 0; x < 240; x++ {
			if img.Pix[3*(y*Side+x)] > 170 {
				s, n = s+float64(x), n+1
			}
		}
	}
	return s / math.Max(n, 1)
}

func TestHeadWarperTurnsTheOutline(t *testing.T) {
	pts, z := ovalDome()
	src := earPhoto()
	hw, err := NewHeadWarper(src, pts, z)
	if err != nil {
		t.Fatal(err)
	}
	dst := face.NewImage(Side, Side)
	if _, err := hw.Render(dst, pts, Head{}); err != nil {
		t.Fatal(err)
	}
	for i := range dst.Pix {
		if dst.Pix[i] != src.Pix[i] {
			t.Fatalf("the rest pose changed byte %d: %d -> %d", i, src.Pix[i], dst.Pix[i])
		}
	}
	// turning to the subject's left moves the image-left ear with the head:
	// away from the nose, as the side of the head comes into view (the
	// face's centre stays where it was)
	posed, err := hw.Render(dst, pts, Head{Yaw: 35})
	if err != nil {
		t.Fatal(err)
	}
	if posed[0].X <= pts[0].X+10 {
		t.Errorf("the nose moved %.1f px, want well to the image right", posed[0].X-pts[0].X)
	}
	before, after := float64(pts[0].X)-barX(src), float64(posed[0].X)-barX(dst)
	if after < before+20 {
		t.Errorf("the ear is %.1f px from the nose after a 35-degree turn (%.1f at rest), want the side of the head to open by 20 px or more", after, before)
	}
	// the puppet's ring (effects.Puppet.Warp) leaves the ear behind: here
	// the ear keeps its place on the head, between the posed rings it lay
	// between (the image-left point of the first and second bands)
	k, n := 27, len(faceOval)
	in, out := hw.from[468+k], hw.from[468+n+k]
	if !(out.X < 128 && in.X > 134) {
		t.Fatalf("test setup: the bar is not between the rings at x %.1f and %.1f", out.X, in.X)
	}
	_, _, rs, _ := PoseHead(pts, hw.z, []face.Point{in, out}, []float32{hw.ringZ[k], hw.ringZ[n+k]}, Head{Yaw: 35})
	if got := barX(dst); got < float64(rs[1].X)-1 || got > float64(rs[0].X)+1 {
		t.Errorf("the ear is drawn at x %.1f, not between its rings turned with the head (%.1f, %.1f)", got, rs[1].X, rs[0].X)
	}
	for _, c := range [][2]int{{5, 5}, {470, 5}, {5, 470}, {470, 470}} {
		if i := 3 * (c[1]*Side + c[0]); dst.Pix[i] != src.Pix[i] {
			t.Errorf("the background at %v changed", c)
		}
	}
}

func TestHeadWarperErrors(t *testing.T) {
	pts, z := ovalDome()
	if _, err := NewHeadWarper(earPhoto(), pts[:100], z[:100]); err == nil {
		t.Error("a mesh of 100 points was accepted")
	}
	if _, err := NewHeadWarper(&face.Image{}, pts, z); err == nil {
		t.Error("an empty photo was accepted")
	}
	hw, err := NewHeadWarper(earPhoto(), pts, z)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hw.Render(face.NewImage(100, 100), pts, Head{}); err == nil {
		t.Error("a destination of another size was accepted")
	}
}

// TestOpenMouthKeepsTheUpperFace: the jaw's drop moves the chin, not the
// eyes and nose (the face used to be re-centred with the jaw in, which
// lifted the upper face by a few pixels: read as a look-up).
func TestOpenMouthKeepsTheUpperFace(t *testing.T) {
	pts, z := dome()
	open, _ := PoseMesh(pts, z, Head{Mouth: 1})
	for i, p := range pts {
		if p.Y < 250 && open[i].Dist(p) > 0.05 {
			t.Fatalf("an open mouth moved point %d above the mouth by %.2f px", i, open[i].Dist(p))
		}
	}
	if open[14].Y-pts[14].Y < 10 {
		t.Errorf("the lower lip dropped %.1f px", open[14].Y-pts[14].Y)
	}
}

func TestSmoothDepth(t *testing.T) {
	pts, z := dome()
	flat := make([]float32, len(z))
	for i := range flat {
		flat[i] = 7
	}
	for i, v := range SmoothDepth(pts, flat, 3) {
		if math.Abs(float64(v-7)) > 1e-4 {
			t.Fatalf("a flat depth changed at %d: %v", i, v)
		}
	}
	// a spike (a point 40 px deeper than the cap around it) is mostly
	// smoothed away; the cap's own curve stays
	k := 200
	spiked := append([]float32(nil), z...)
	spiked[k] += 40
	s := SmoothDepth(pts, spiked, 3)
	if d := s[k] - z[k]; d > 15 {
		t.Errorf("the spike is still %.1f px deep after smoothing", d)
	}
	if d := math.Abs(float64(s[0] - z[0])); d > 3 {
		t.Errorf("the cap's centre moved %.1f px in depth", d)
	}
	if got := SmoothDepth(pts[:10], z, 3); len(got) != len(z) || got[k] != z[k] {
		t.Error("mismatched lengths were not returned unchanged")
	}
}
