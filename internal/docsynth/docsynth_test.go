package docsynth

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"testing"
)

func portrait() image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 250, 250))
	for y := range 250 {
		for x := range 250 {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), uint8(x ^ y), 255})
		}
	}
	return img
}

// TestMakeDeterministic: the same seed makes the same document, byte for
// byte; another seed another one; the photo decodes at its size and the
// portrait's box lies inside it.
func TestMakeDeterministic(t *testing.T) {
	mk := func(seed uint64, j int) *Photo {
		rng := rand.New(rand.NewPCG(seed, 1))
		c := ConditionsFor(j, rng)
		p, card, err := Make(portrait(), LayoutPassport, &c, rng)
		if err != nil {
			t.Fatal(err)
		}
		if card.Name == "" || card.Portrait.Dx() == 0 {
			t.Fatalf("card %+v", card)
		}
		return p
	}
	a, b, c := mk(1, 13), mk(1, 13), mk(2, 13)
	if !bytes.Equal(a.JPEG, b.JPEG) || a.Portrait != b.Portrait {
		t.Error("the same seed made two different documents")
	}
	if bytes.Equal(a.JPEG, c.JPEG) {
		t.Error("two seeds made the same document")
	}
	img, err := jpeg.Decode(bytes.NewReader(a.JPEG))
	if err != nil || img.Bounds().Dx() != a.W || img.Bounds().Dy() != a.H {
		t.Fatalf("photo: %v %v", err, img.Bounds())
	}
	p := a.Portrait
	if !(p.X0 > 0 && p.Y0 > 0 && p.X1 < float64(a.W) && p.Y1 < float64(a.H) && p.X1-p.X0 > 50) {
		t.Errorf("portrait box %+v outside the %dx%d photo", p, a.W, a.H)
	}
}

// TestConditionsBalanced: 54 consecutive documents hold every combination
// of angle, glare, blur and distance once.
func TestConditionsBalanced(t *testing.T) {
	seen := map[[4]string]int{}
	rng := rand.New(rand.NewPCG(1, 1))
	for j := range 54 {
		c := ConditionsFor(j, rng)
		seen[[4]string{c.Angle, c.Glare, c.Blur, c.Distance}]++
		if (c.Blur == BlurNone) != (c.Sigma == 0) || c.Quality < 55 || c.Quality > 90 {
			t.Errorf("conditions %+v", c)
		}
	}
	if len(seen) != 54 {
		t.Errorf("%d distinct combinations in 54 documents, want 54", len(seen))
	}
}
