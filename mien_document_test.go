package mien_test

import (
	"bytes"
	"context"
	"image/jpeg"
	"math/rand/v2"
	"testing"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/document"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/imageio"
	"github.com/mienhq/mien/internal/docsynth"
	"github.com/mienhq/mien/internal/testenv"
)

// synthDoc prints LFW photo rel on a synthetic document photographed under
// cond and returns the decoded photo and where its portrait is.
func synthDoc(t *testing.T, rel string, cond docsynth.Conditions, seed uint64) (*face.Image, docsynth.Box) {
	t.Helper()
	src, err := jpeg.Decode(bytes.NewReader(read(t, rel)))
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := docsynth.Make(src, docsynth.LayoutCard, &cond, rand.New(rand.NewPCG(seed, 1)))
	if err != nil {
		t.Fatal(err)
	}
	img, err := imageio.Decode(p.JPEG, imageio.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return img, p.Portrait
}

func decodeShared(t *testing.T, rel string) *face.Image {
	t.Helper()
	img, err := imageio.Decode(read(t, rel), imageio.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func clean(dist string) docsynth.Conditions {
	return docsynth.Conditions{Angle: docsynth.AngleTilted, Glare: docsynth.GlareNone, Blur: docsynth.BlurNone, Distance: dist, Noise: 3, Quality: 85}
}

// TestMatchDocument: a document printed from one LFW photo matches another
// photo of the same person and not another person's; the portrait is found
// where it was printed, near and far (far takes the tile pass or not, but
// must find it); a selfie without a face and a document without one cannot
// be decided, with their reasons.
func TestMatchDocument(t *testing.T) {
	eng := testenv.Engine(t, "standard")
	ctx := context.Background()
	same := decodeShared(t, "data/lfw/images/Tony_Blair/Tony_Blair_0003.jpg")
	other := decodeShared(t, "data/lfw/images/Serena_Williams/Serena_Williams_0002.jpg")
	for _, dist := range []string{docsynth.DistanceNear, docsynth.DistanceFar} {
		doc, box := synthDoc(t, "data/lfw/images/Tony_Blair/Tony_Blair_0002.jpg", clean(dist), 7)
		m, err := eng.MatchDocument(ctx, doc, same, mien.DocumentOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if m.Result != document.Match || m.Portrait == nil {
			t.Fatalf("%s: genuine pair: %s %v", dist, m.Result, m.Reasons)
		}
		if !m.Thresholds.Calibrated || m.Thresholds.Match <= m.Thresholds.NoMatch {
			t.Errorf("%s: thresholds %+v, want the document-vs-live calibration with a grey zone", dist, m.Thresholds)
		}
		c := m.Portrait.Box.Center()
		if float64(c.X) < box.X0 || float64(c.X) > box.X1 || float64(c.Y) < box.Y0 || float64(c.Y) > box.Y1 {
			t.Errorf("%s: portrait found at %v, printed at %+v", dist, m.Portrait.Box, box)
		}
		m, err = eng.MatchDocument(ctx, doc, other, mien.DocumentOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if m.Result != document.NoMatch {
			t.Errorf("%s: impostor pair: %s %v", dist, m.Result, m.Reasons)
		}
	}
	doc, _ := synthDoc(t, "data/lfw/images/Tony_Blair/Tony_Blair_0002.jpg", clean(docsynth.DistanceNear), 7)
	blank := face.NewImage(300, 300)
	for _, tc := range []struct {
		name        string
		doc, selfie *face.Image
		code        string
	}{{"blank selfie", doc, blank, document.ReasonSelfieNoFace}, {"blank document", blank, same, document.ReasonNoPortrait}} {
		m, err := eng.MatchDocument(ctx, tc.doc, tc.selfie, mien.DocumentOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if m.Result != document.CannotDecide || !hasReason(m.Reasons, tc.code) || m.Similarity != nil {
			t.Errorf("%s: %s %v (similarity %v), want cannot_decide with %s", tc.name, m.Result, m.Reasons, m.Similarity, tc.code)
		}
	}
}

// TestFindPortraitTiles: a portrait too small for the whole-photo pass (the
// document shrunk to a quarter) is found by the tile pass.
func TestFindPortraitTiles(t *testing.T) {
	eng := testenv.Engine(t, "standard")
	doc, box := synthDoc(t, "data/lfw/images/Tony_Blair/Tony_Blair_0002.jpg", clean(docsynth.DistanceFar), 3)
	// put the far document, halved, into a photo twice as large: the face is
	// then ~10 px between the eyes at the detector's 640 px input.
	big := face.NewImage(2*doc.W, 2*doc.H)
	for y := range doc.H {
		copy(big.Pix[3*(y*big.W):], doc.Pix[3*y*doc.W:3*(y+1)*doc.W])
	}
	p, _, err := eng.FindPortrait(context.Background(), big)
	if err != nil {
		t.Fatal(err)
	}
	if p == nil || p.Pass != "tiles" {
		t.Fatalf("portrait %+v, want one found by the tile pass", p)
	}
	c := p.Box.Center()
	if float64(c.X) < box.X0 || float64(c.X) > box.X1 {
		t.Errorf("portrait at %v, printed at %+v", p.Box, box)
	}
}

func hasReason(rs []document.Reason, code string) bool {
	for _, r := range rs {
		if r.Code == code {
			return true
		}
	}
	return false
}
