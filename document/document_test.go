package document

import (
	"errors"
	"math"
	"testing"

	"github.com/mienhq/mien/face"
)

var thr = Thresholds{Match: 0.4, NoMatch: 0.3, MatchFAR: 1e-3, NoMatchFAR: 1e-2, Calibrated: true}

func good() *Portrait { return &Portrait{EyeDistance: 30, Sharpness: 50, Glare: 0.01, Yaw: 5} }

func TestDecide(t *testing.T) {
	tests := []struct {
		name   string
		in     Input
		result string
		codes  []string
	}{
		{"match", Input{Portrait: good(), SelfieFaces: 1, Score: 0.5, Thresholds: thr}, Match, []string{ReasonAboveThreshold}},
		{"at threshold", Input{Portrait: good(), SelfieFaces: 1, Score: 0.4, Thresholds: thr}, Match, []string{ReasonAboveThreshold}},
		{"no match", Input{Portrait: good(), SelfieFaces: 1, Score: 0.1, Thresholds: thr}, NoMatch, []string{ReasonBelowThreshold}},
		{"grey", Input{Portrait: good(), SelfieFaces: 1, Score: 0.35, Thresholds: thr}, CannotDecide, []string{ReasonGreyZone}},
		{"no portrait", Input{SelfieFaces: 1, Score: 0.9, Thresholds: thr}, CannotDecide, []string{ReasonNoPortrait}},
		{"small", Input{Portrait: &Portrait{EyeDistance: 8, Sharpness: 50}, SelfieFaces: 1, Score: 0.9, Thresholds: thr}, CannotDecide, []string{ReasonPortraitSmall}},
		{"blurred and glare", Input{Portrait: &Portrait{EyeDistance: 30, Sharpness: 1, Glare: 0.5}, SelfieFaces: 1, Score: 0.9, Thresholds: thr},
			CannotDecide, []string{ReasonPortraitBlurred, ReasonPortraitGlare}},
		{"turned", Input{Portrait: &Portrait{EyeDistance: 30, Sharpness: 50, Yaw: -50}, SelfieFaces: 1, Score: 0.9, Thresholds: thr}, CannotDecide, []string{ReasonPortraitTurned}},
		{"selfie none", Input{Portrait: good(), Score: 0.9, Thresholds: thr}, CannotDecide, []string{ReasonSelfieNoFace}},
		{"selfie several", Input{Portrait: good(), SelfieFaces: 3, Score: 0.9, Thresholds: thr}, CannotDecide, []string{ReasonSelfieSeveral}},
		{"selfie dominant", Input{Portrait: good(), SelfieFaces: 2, SelfieDominant: true, Score: 0.9, Thresholds: thr}, Match,
			[]string{ReasonSelfieLargestUsed, ReasonAboveThreshold}},
		{"ghost noted", Input{Portrait: good(), Ghost: true, SelfieFaces: 1, Score: 0.1, Thresholds: thr}, NoMatch,
			[]string{ReasonGhostFound, ReasonBelowThreshold}},
		{"uncalibrated", Input{Portrait: good(), SelfieFaces: 1, Score: 0.9, Thresholds: Thresholds{Match: 0.4, NoMatch: 0.3}}, Match,
			[]string{ReasonUncalibrated, ReasonAboveThreshold}},
	}
	for _, tt := range tests {
		d := Decide(tt.in, DefaultLimits)
		if d.Result != tt.result {
			t.Errorf("%s: decision %s, want %s (%v)", tt.name, d.Result, tt.result, d.Reasons)
		}
		var codes []string
		for _, r := range d.Reasons {
			codes = append(codes, r.Code)
			if r.Message == "" {
				t.Errorf("%s: reason %s has no message", tt.name, r.Code)
			}
		}
		if len(codes) != len(tt.codes) {
			t.Errorf("%s: reasons %v, want %v", tt.name, codes, tt.codes)
			continue
		}
		for i := range codes {
			if codes[i] != tt.codes[i] {
				t.Errorf("%s: reasons %v, want %v", tt.name, codes, tt.codes)
			}
		}
	}
}

// frontal makes a detection whose eyes are e pixels apart at (x, y), with
// the nose shifted sideways by shift eye-distances.
func frontal(x, y, e, shift, score float32) face.Detection {
	return face.Detection{Box: face.R(x-e, y-e, x+2*e, y+2.2*e), Score: score, Landmarks: face.Landmarks5{
		{X: x, Y: y}, {X: x + e, Y: y}, {X: x + e/2 + shift*e, Y: y + 0.6*e}, {X: x + 0.1*e, Y: y + 1.1*e}, {X: x + 0.9*e, Y: y + 1.1*e}}}
}

func TestPick(t *testing.T) {
	portrait := frontal(100, 100, 40, 0, 0.9)
	ghost := frontal(600, 100, 18, 0, 0.8)
	turnedBig := frontal(300, 300, 44, 0.5, 0.9)
	tests := []struct {
		name     string
		dets     []face.Detection
		want, gh int
	}{
		{"none", nil, -1, -1},
		{"one", []face.Detection{portrait}, 0, -1},
		{"ghost after", []face.Detection{ghost, portrait}, 1, 0},
		{"frontal beats a slightly larger turned face", []face.Detection{turnedBig, portrait}, 1, -1},
	}
	for _, tt := range tests {
		p, g := Pick(tt.dets)
		if p != tt.want || g != tt.gh {
			t.Errorf("%s: Pick = %d, %d; want %d, %d", tt.name, p, g, tt.want, tt.gh)
		}
	}
	if f := Frontality(portrait.Landmarks); f != 1 {
		t.Errorf("frontal face: frontality %v, want 1", f)
	}
	if f := Frontality(turnedBig.Landmarks); !(f < 0.7 && f > 0.2) {
		t.Errorf("turned face: frontality %v, want in (0.2, 0.7)", f)
	}
}

func TestTilesCoverAndMapBack(t *testing.T) {
	tiles := Tiles(1280, 960)
	if len(tiles) != 9 || tiles[8].Max != (face.Point{X: 1280, Y: 960}) || tiles[0].Min != (face.Point{}) {
		t.Fatalf("tiles %v do not cover 1280x960 in 3x3", tiles)
	}
	// a face found at (10,20)-(30,40) on the centre tile resized to 1280x960
	d := MapBack(face.Detection{Box: face.R(10, 20, 30, 40), Landmarks: face.Landmarks5{{X: 20, Y: 30}}}, tiles[4], 1280, 960)
	if d.Box != face.R(325, 250, 335, 260) || d.Landmarks[0] != (face.Point{X: 330, Y: 255}) {
		t.Errorf("mapped back to %v %v", d.Box, d.Landmarks[0])
	}
}

func TestCalibrate(t *testing.T) {
	imp := make([]float32, 10000)
	for i := range imp {
		imp[i] = float32(i) / 10000 // 0 .. 0.9999
	}
	pts, err := Calibrate(imp, []float64{1e-3, 1e-2})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pts {
		if got := Rate(imp, p.Cosine); got > p.FAR || got < p.FAR*0.9 {
			t.Errorf("threshold %v at FAR %g lets %g through", p.Cosine, p.FAR, got)
		}
	}
	if _, err := Calibrate(imp[:500], []float64{1e-3}); err == nil {
		t.Error("500 impostor scores calibrated FAR 1e-3")
	}
	c := Calibration{Points: pts}
	mid, err := c.Cosine(math.Sqrt(1e-3 * 1e-2))
	if err != nil || !(mid < pts[0].Cosine && mid > pts[1].Cosine) {
		t.Errorf("interpolated threshold %v (%v) not between %v and %v", mid, err, pts[1].Cosine, pts[0].Cosine)
	}
	if _, err := c.Cosine(1e-5); err == nil {
		t.Error("FAR 1e-5 outside the calibration was accepted")
	}
	if _, err := For("no-such-recognizer"); !errors.Is(err, ErrNotCalibrated) {
		t.Errorf("For(unknown) = %v, want ErrNotCalibrated", err)
	}
}

func TestGlare(t *testing.T) {
	img := face.NewImage(100, 100)
	for i := range img.Pix {
		img.Pix[i] = 120
	}
	box := face.R(0, 0, 100, 100)
	if g := Glare(img, box); g != 0 {
		t.Errorf("grey image: glare %v", g)
	}
	for y := 10; y < 50; y++ { // the top half of the central 80x80 blown out
		for x := 10; x < 90; x++ {
			copy(img.Pix[3*(y*100+x):], []uint8{250, 252, 255})
		}
	}
	if g := Glare(img, box); math.Abs(float64(g)-0.5) > 0.01 {
		t.Errorf("half blown out: glare %v, want 0.5", g)
	}
}

// TestShippedCalibration: the table for the packs' recognizer is there,
// ordered, and the thresholds fall as the rate rises.
func TestShippedCalibration(t *testing.T) {
	c, err := For("faceplugin-arcface-512")
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(c.Points); i++ {
		if !(c.Points[i].FAR > c.Points[i-1].FAR && c.Points[i].Cosine < c.Points[i-1].Cosine) {
			t.Errorf("points %v are not ordered by FAR with falling thresholds", c.Points)
		}
	}
	m, err := c.Cosine(1e-3)
	n, err2 := c.Cosine(1e-2)
	if err != nil || err2 != nil || !(m > n) || c.Source == "" {
		t.Errorf("thresholds at 1e-3 %v and 1e-2 %v (%v, %v); source %q", m, n, err, err2, c.Source)
	}
}
