package docsynth

import (
	"image"
	"math/rand/v2"
)

// ConditionsFor returns the photographing conditions of the j-th document of
// a set: the levels of angle, glare and blur cycle so that every combination
// occurs equally often (27 of them, then near and far), and the amounts
// within a level are drawn from rng.
func ConditionsFor(j int, rng *rand.Rand) Conditions {
	c := Conditions{
		Angle:    []string{AngleFlat, AngleTilted, AngleSteep}[j%3],
		Glare:    []string{GlareNone, GlareCard, GlareFace}[(j/3)%3],
		Blur:     []string{BlurNone, BlurMild, BlurStrong}[(j/9)%3],
		Distance: []string{DistanceNear, DistanceFar}[(j/27)%2],
		Noise:    2 + 5*rng.Float64(),
		Quality:  55 + rng.IntN(36),
	}
	switch c.Blur {
	case BlurMild:
		c.Sigma = 1 + 0.5*rng.Float64()
	case BlurStrong:
		c.Sigma = 2.5 + rng.Float64()
	}
	return c
}

// HeadCrop returns the head-and-shoulders part of a 250x250 LFW photo (the
// face is centred in it), in the 4:5 proportions of a document portrait;
// other sizes are scaled to it.
func HeadCrop(src image.Image) image.Image {
	b := src.Bounds()
	sx, sy := float64(b.Dx())/250, float64(b.Dy())/250
	r := image.Rect(b.Min.X+int(62*sx), b.Min.Y+int(45*sy), b.Min.X+int(188*sx), b.Min.Y+int(203*sy))
	if s, ok := src.(interface {
		SubImage(image.Rectangle) image.Image
	}); ok {
		return s.SubImage(r)
	}
	return src
}

// Make renders a document of layout with photo's head printed on it and
// photographs it under cond, all drawn from rng.
func Make(photo image.Image, layout string, cond *Conditions, rng *rand.Rand) (*Photo, *Card, error) {
	card, err := RenderCard(layout, HeadCrop(photo), rng)
	if err != nil {
		return nil, nil, err
	}
	p, err := Photograph(card, cond, rng)
	if err != nil {
		return nil, nil, err
	}
	return p, card, nil
}
