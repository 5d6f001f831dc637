package effects

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
	"testing"

	"github.com/mienhq/mien/face"
)

// lens finds the built-in glasses' tinted lens pixels over a grey frame.
func lens(r, g, b uint8) bool { return int(b)-int(r) > 12 && r > 60 }

// TestStickerLandsOnTheEyes: the glasses' lenses are centred on the mesh's
// eye centres, upright and rolled by 25 degrees.
func TestStickerLandsOnTheEyes(t *testing.T) {
	s, err := Builtin("glasses")
	if err != nil {
		t.Fatal(err)
	}
	for _, roll := range []float64{0, 25} {
		f := rotated(testFace(t), roll)
		img := solid(250, 250, [3]uint8{128, 128, 128})
		if err := Render(img, img, &f, Params{Sticker: s}); err != nil {
			t.Fatal(err)
		}
		l, r := eyeCentres(f.Points)
		ipd := l.Dist(r)
		mid := l.Add(r).Mul(0.5)
		// split the lens pixels by the line through mid perpendicular to the eye line
		for i, eye := range []face.Point{l, r} {
			sign := float32(2*i - 1)
			var sx, sy float64
			cnt := 0
			for y := 0; y < 250; y++ {
				for x := 0; x < 250; x++ {
					px, py := float32(x)+0.5, float32(y)+0.5
					side := (px-mid.X)*(r.X-l.X) + (py-mid.Y)*(r.Y-l.Y)
					if side*sign > 0 && lens(img.At(x, y)) {
						sx, sy, cnt = sx+float64(px), sy+float64(py), cnt+1
					}
				}
			}
			if cnt < 100 {
				t.Fatalf("roll %v: %d lens pixels on eye %d", roll, cnt, i)
			}
			got := face.Point{X: float32(sx / float64(cnt)), Y: float32(sy / float64(cnt))}
			if d := got.Dist(eye); d > 0.12*ipd {
				t.Errorf("roll %v: lens %d centred at %v, eye centre at %v (%.1f px off, eye distance %.1f)", roll, i, got, eye, d, ipd)
			}
		}
	}
}

// TestStickerFollowsRollAndYaw: the sticker's top edge turns with the
// head's roll, and a head turned so that the face is 60% as wide (yaw
// foreshortening) gives a sticker 60% as wide and as tall as before.
func TestStickerFollowsRollAndYaw(t *testing.T) {
	s, _ := Builtin("hat")
	f := testFace(t)
	base, ok := s.Place(&f)
	if !ok {
		t.Fatal("no placement")
	}
	w0, h0 := base[0].Dist(base[1]), base[1].Dist(base[2])
	rf := rotated(f, 30)
	rot, _ := s.Place(&rf)
	ang := math.Atan2(float64(rot[1].Y-rot[0].Y), float64(rot[1].X-rot[0].X))*180/math.Pi - math.Atan2(float64(base[1].Y-base[0].Y), float64(base[1].X-base[0].X))*180/math.Pi
	if math.Abs(ang-30) > 1 {
		t.Errorf("face rolled by 30 degrees, sticker by %.1f", ang)
	}
	// yaw: squeeze the face along its eye line
	l, r := eyeCentres(f.Points)
	ex, ey := (r.X-l.X)/l.Dist(r), (r.Y-l.Y)/l.Dist(r)
	k := float32(0.6)
	// A = I + (k-1) e e^T
	yf := transformed(f, mean(f.Points, faceOval...), 1+(k-1)*ex*ex, (k-1)*ex*ey, (k-1)*ex*ey, 1+(k-1)*ey*ey, face.Point{})
	yw, _ := s.Place(&yf)
	w1, h1 := yw[0].Dist(yw[1]), yw[1].Dist(yw[2])
	if math.Abs(float64(w1/w0-k)) > 0.03 || math.Abs(float64(h1/h0-1)) > 0.05 {
		t.Errorf("face 60%% as wide: sticker width x%.2f, height x%.2f; want x0.60 and x1.00", w1/w0, h1/h0)
	}
}

// TestStickerPNGWithAlpha: a user's PNG keeps its transparency (pixels
// under transparent parts are untouched) and its opaque colour lands.
func TestStickerPNGWithAlpha(t *testing.T) {
	src := image.NewNRGBA(image.Rect(0, 0, 60, 20))
	for y := 0; y < 20; y++ {
		for x := 20; x < 40; x++ {
			src.SetNRGBA(x, y, color.NRGBA{255, 0, 0, 255}) // an opaque red bar in the middle
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, src); err != nil {
		t.Fatal(err)
	}
	s, err := DecodeSticker(b.Bytes(), Glasses)
	if err != nil {
		t.Fatal(err)
	}
	f := testFace(t)
	img := solid(250, 250, [3]uint8{0, 200, 0})
	if err := Render(img, img, &f, Params{Sticker: s}); err != nil {
		t.Fatal(err)
	}
	l, r := eyeCentres(f.Points)
	mid := l.Add(r).Mul(0.5)
	red := func(R, G, B uint8) bool { return R > 200 && G < 40 }
	c, n := centroid(img, 0, 0, 250, 250, red)
	if n == 0 || c.Dist(mid) > 3 {
		t.Errorf("red bar centred at %v (%d px), eye midpoint %v", c, n, mid)
	}
	if R, G, _ := img.At(int(l.X), int(l.Y)); R != 0 || G != 200 {
		t.Errorf("pixel under the transparent part changed to %d,%d", R, G)
	}
}

// TestStickerBadInput: a broken PNG, a JPEG, an oversized one and an
// unknown name are refused with a clear error.
func TestStickerBadInput(t *testing.T) {
	var b bytes.Buffer
	png.Encode(&b, image.NewNRGBA(image.Rect(0, 0, 8, 8)))
	broken := b.Bytes()[:b.Len()/2]
	for name, data := range map[string][]byte{"truncated": broken, "empty": nil, "text": []byte("not a png")} {
		if _, err := DecodeSticker(data, Glasses); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := NewSticker(image.NewNRGBA(image.Rect(0, 0, MaxStickerSide+1, 4)), Hat); err == nil {
		t.Error("an oversized sticker was accepted")
	}
	if _, err := Builtin("crown"); err == nil {
		t.Error("an unknown built-in was accepted")
	}
	if _, err := ParseAnchor("feet"); err == nil {
		t.Error("an unknown anchor was accepted")
	}
}

// FuzzDecodeSticker: any bytes give a sticker within the size bounds or an
// error, never a panic; seeded with the shipped PNGs.
func FuzzDecodeSticker(f *testing.F) {
	for _, name := range Builtins {
		b, err := builtin.ReadFile("stickers/" + name + ".png")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(b[:len(b)/3])
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := DecodeSticker(b, Mask)
		if err != nil {
			return
		}
		w, h := s.Size()
		if w < 2 || h < 2 || w > MaxStickerSide || h > MaxStickerSide {
			t.Fatalf("accepted a %dx%d sticker", w, h)
		}
	})
}
