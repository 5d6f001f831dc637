package testclips

import (
	"context"
	"strings"
	"testing"

	"github.com/mienhq/mien/face"
)

func solid(c uint8) *face.Image {
	m := face.NewImage(40, 40)
	for i := range m.Pix {
		m.Pix[i] = c
	}
	return m
}

func faces(n int) []NamedFace {
	var out []NamedFace
	for i := 0; i < n; i++ {
		out = append(out, NamedFace{Name: string(rune('a' + i)), Face: solid(uint8(40 * i))})
	}
	return out
}

func TestDefaultTruth(t *testing.T) {
	sc, err := Default(faces(6), 640, 360, 10, 9)
	if err != nil {
		t.Fatal(err)
	}
	tr := sc.Truth("x.mp4")
	if tr.In != 3 || tr.Out != 3 || len(tr.People) != 6 || len(tr.Boxes) != 90 {
		t.Fatalf("truth: in %d out %d, %d people, %d frames", tr.In, tr.Out, len(tr.People), len(tr.Boxes))
	}
	occluded := 0
	for _, p := range tr.People {
		if p.Enter < 0 || p.Cross <= p.Enter || p.Exit <= p.Cross {
			t.Errorf("%s: enter %d cross %d exit %d out of order", p.Name, p.Enter, p.Cross, p.Exit)
		}
		// at the crossing frame the box centre is just past the line
		for _, b := range tr.Boxes[p.Cross] {
			c := b.Box.Center().X
			if b.Name == p.Name && ((p.Dir == "in" && c <= sc.LineX) || (p.Dir == "out" && c >= sc.LineX)) {
				t.Errorf("%s at frame %d: centre %.1f not past the line", p.Name, p.Cross, c)
			}
		}
		if p.Occluded {
			occluded++
		}
	}
	if occluded != 2 {
		t.Errorf("%d walkers occluded, want the two in the middle lane", occluded)
	}
}

func TestRenderDrawsTheFaces(t *testing.T) {
	sc, _ := Default(faces(4), 320, 180, 10, 9)
	img := face.NewImage(320, 180)
	for i := 0; i < sc.Frames; i += 7 {
		boxes, err := sc.Render(i, img)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range boxes {
			if b.Occluded > 0 || b.Box.Dx() < 10 {
				continue
			}
			c := b.Box.Center()
			r, g, bl := img.At(int(c.X), int(c.Y))
			if want := sc.Walkers[index(sc, b.Name)].Face.Pix[0]; r != want || g != want || bl != want {
				t.Errorf("frame %d %s: centre pixel %d,%d,%d, want the face's %d", i, b.Name, r, g, bl, want)
			}
		}
	}
	if _, err := sc.Render(0, face.NewImage(10, 10)); err == nil {
		t.Error("Render into a wrong-size image succeeded")
	}
}

func index(sc *Scene, name string) int {
	for k, w := range sc.Walkers {
		if w.Name == name {
			return k
		}
	}
	return -1
}

func TestRejected(t *testing.T) {
	if _, err := Default(faces(3), 640, 360, 10, 9); err == nil {
		t.Error("3 faces accepted")
	}
	sc, _ := Default(faces(4), 640, 360, 10, 9)
	if err := Encode(context.Background(), "ffmpeg", sc, "x.avi", "avi"); err == nil || !strings.Contains(err.Error(), "format") {
		t.Errorf("Encode avi = %v", err)
	}
	bad := *sc
	bad.W = 641
	if err := bad.Validate(); err == nil {
		t.Error("odd width accepted")
	}
}

// TestGateSceneTruth: faces grow as they cross; the first frame of 80 px is
// the first where the whole box is in the frame, unhidden and 80 px or more;
// the enrolled flags and photos are carried into the truth.
func TestGateSceneTruth(t *testing.T) {
	fs := faces(6)
	for i := range fs {
		fs[i].Enrolled, fs[i].Photo = i%2 == 0, fs[i].Name+"/x.jpg"
	}
	sc, err := GateScene(fs, 1280, 720, 10, 12, 1)
	if err != nil {
		t.Fatal(err)
	}
	tr := sc.Truth("g.mp4")
	if tr.In != 3 || tr.Out != 3 || tr.BigSide != 80 {
		t.Fatalf("in %d out %d big side %d", tr.In, tr.Out, tr.BigSide)
	}
	for k, p := range tr.People {
		if p.Enrolled != (k%2 == 0) || p.Photo != p.Name+"/x.jpg" || p.Big <= p.Enter || p.Big >= p.Exit {
			t.Fatalf("%+v", p)
		}
		var first, last float32
		for i := p.Enter; i <= p.Exit; i++ {
			for _, b := range tr.Boxes[i] {
				if b.Name != p.Name {
					continue
				}
				whole := sc.rect(sc.Walkers[k], float64(i)/10) == b.Box
				big := whole && b.Occluded == 0 && b.Box.Dx() >= 80
				if i < p.Big && big {
					t.Fatalf("%s: frame %d already qualifies, before big frame %d", p.Name, i, p.Big)
				}
				if i == p.Big && !big {
					t.Fatalf("%s: big frame %d does not qualify: %+v", p.Name, i, b)
				}
				if first == 0 {
					first = b.Box.Dy()
				}
				last = b.Box.Dy()
			}
		}
		if w := sc.Walkers[k]; last < 1.5*first || sc.side(w, w.Start) != 50 || sc.side(w, w.Start+10) != 136 {
			t.Fatalf("%s: face from %.0f to %.0f px in the frame, side %.0f to %.0f, want growing 50 to 136", p.Name, first, last, sc.side(w, w.Start), sc.side(w, w.Start+10))
		}
	}
}
