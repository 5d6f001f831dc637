package track

import (
	"strings"
	"testing"

	"github.com/mienhq/mien/face"
)

func TestScenarios(t *testing.T) {
	for _, tc := range []struct {
		name     string
		frames   int
		walkers  []walker
		fps      int
		opts     Options
		switches int
		ids      int // distinct confirmed ids that followed real walkers
		falseIDs int
	}{
		{name: "one walker", frames: 60, walkers: []walker{{x: 0, y: 300, vx: 12, size: 80, from: 1, to: 60}}, ids: 1},
		{name: "three at once", frames: 60, walkers: []walker{
			{x: 0, y: 150, vx: 12, size: 80, from: 1, to: 60},
			{x: 1200, y: 350, vx: -15, size: 90, from: 5, to: 60},
			{x: 100, y: 550, vx: 8, vy: -1, size: 70, from: 10, to: 60}}, ids: 3},
		{name: "crossing, lanes 30 px apart", frames: 60, walkers: []walker{
			{x: 100, y: 300, vx: 12, size: 80, from: 1, to: 60},
			{x: 820, y: 330, vx: -12, size: 80, from: 1, to: 60}}, ids: 2},
		{name: "crossing, nearer face hides the other", frames: 60, walkers: []walker{
			{x: 100, y: 300, vx: 12, size: 80, from: 1, to: 60},
			{x: 820, y: 305, vx: -12, size: 80, from: 1, to: 60, hidden: [][2]int{{26, 36}}}}, ids: 2},
		{name: "diagonal crossing", frames: 50, walkers: []walker{
			{x: 100, y: 100, vx: 14, vy: 10, size: 90, from: 1, to: 50},
			{x: 100, y: 600, vx: 14, vy: -10, size: 90, from: 1, to: 50}}, ids: 2},
		{name: "occlusion gap under MaxLost", frames: 70, walkers: []walker{
			{x: 0, y: 300, vx: 10, size: 80, from: 1, to: 70, hidden: [][2]int{{20, 39}}}}, ids: 1},
		{name: "occlusion gap over MaxLost", frames: 90, opts: Options{MaxLost: 10}, walkers: []walker{
			{x: 0, y: 300, vx: 10, size: 80, from: 1, to: 90, hidden: [][2]int{{20, 39}}}}, switches: 1, ids: 2},
		{name: "walks out, another walks in where it would be", frames: 60, opts: Options{Bounds: face.R(0, 0, 1280, 720)}, walkers: []walker{
			{x: 1100, y: 300, vx: 20, size: 80, from: 1, to: 10},
			{x: 1270, y: 300, vx: -20, size: 80, from: 12, to: 40}}, ids: 2},
		{name: "false positives never confirm", frames: 100, fps: 3, walkers: []walker{
			{x: 0, y: 300, vx: 10, size: 80, from: 1, to: 100}}, ids: 1},
		{name: "fast walker at a low frame rate", frames: 12, walkers: []walker{
			{x: 0, y: 300, vx: 97, size: 120, from: 1, to: 12}}, ids: 1},
		// a 45 px face moving 61 px a frame (a person far from a 720p camera
		// at 5 fps): tracked only with the tentative buffer (before: no track)
		{name: "small face moving more than its width", frames: 15, walkers: []walker{
			{x: 0, y: 300, vx: 61, size: 45, from: 1, to: 15}}, ids: 1},
		{name: "weak detections keep the track", frames: 60, walkers: []walker{
			{x: 0, y: 300, vx: 10, size: 80, from: 1, to: 60, weak: [][2]int{{20, 35}}}}, ids: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := New(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			m := evaluate(tr, simulate(tc.frames, tc.walkers, tc.fps, 1))
			distinct := 0
			for _, ids := range m.ids {
				distinct += len(ids)
			}
			if m.switches != tc.switches || distinct != tc.ids || m.falseIDs != tc.falseIDs || m.shared != 0 {
				t.Errorf("switches %d, ids %v (%d shared), false ids %d; want %d switches, %d ids, %d false",
					m.switches, m.ids, m.shared, m.falseIDs, tc.switches, tc.ids, tc.falseIDs)
			}
		})
	}
}

// TestMotionPredictionMeasured runs the crossing scenes with and without
// motion prediction: prediction is what keeps the ids apart.
func TestMotionPredictionMeasured(t *testing.T) {
	scenes := [][]walker{
		{{x: 100, y: 300, vx: 12, size: 80, from: 1, to: 60}, {x: 820, y: 330, vx: -12, size: 80, from: 1, to: 60}},
		{{x: 100, y: 300, vx: 12, size: 80, from: 1, to: 60}, {x: 820, y: 305, vx: -12, size: 80, from: 1, to: 60, hidden: [][2]int{{26, 36}}}},
		{{x: 0, y: 300, vx: 20, size: 80, from: 1, to: 60, hidden: [][2]int{{20, 29}}}},
	}
	total := map[string]int{}
	for _, beta := range []float32{0.3, -1} {
		name := map[bool]string{true: "alpha-beta", false: "no motion"}[beta > 0]
		for seed := uint64(1); seed <= 5; seed++ {
			for _, ws := range scenes {
				tr, _ := New(Options{Beta: beta})
				m := evaluate(tr, simulate(60, ws, 0, seed))
				total[name] += m.switches
				for _, ids := range m.ids {
					total[name] += len(ids) - 1 // fragments count as errors too
				}
			}
		}
	}
	t.Logf("id errors over 15 runs: %v", total)
	if total["alpha-beta"] != 0 || total["no motion"] == 0 {
		t.Errorf("id errors %v: want none with prediction and some without", total)
	}
}

func TestLifecycle(t *testing.T) {
	tr, _ := New(Options{ConfirmHits: 3, MaxLost: 2})
	d := []Detection{det(100, 100, 50, 0.9)}
	var states []string
	var ids []uint64
	var ended int
	for f := 1; f <= 8; f++ {
		in := d
		if f >= 5 {
			in = nil // gone
		}
		r := tr.Update(in)
		ended += len(r.Ended)
		if len(r.Tracks) == 1 {
			states = append(states, r.Tracks[0].State.String())
			ids = append(ids, r.Tracks[0].ID)
		} else {
			states = append(states, "-")
		}
	}
	want := "tentative confirmed confirmed confirmed lost lost - -"
	// frame 1 and 2 tentative? ConfirmHits 3 confirms on the third hit
	want = "tentative tentative confirmed confirmed lost lost - -"
	if got := strings.Join(states, " "); got != want || ended != 1 || ids[0] != 0 || ids[2] != 1 {
		t.Errorf("states %q (want %q), ids %v, ended %d", got, want, ids, ended)
	}
	if r := tr.Update([]Detection{det(400, 100, 50, 0.5)}); len(r.Tracks) != 0 {
		t.Errorf("a low-score detection started a track: %+v", r.Tracks)
	}
}

func TestBestShot(t *testing.T) {
	tr, _ := New(Options{ConfirmHits: 1})
	frames := []struct {
		size, quality float32
		improved      bool
	}{
		{40, 0, true},      // first
		{60, 0, true},      // bigger
		{90, 0.2, false},   // bigger but blurry: 90/112*0.2 = 0.16 < 60/112*0.9
		{100, 0.95, true},  // big and sharp
		{160, 0.9, true},   // past ShotSide: size saturates, 1*0.9 > 0.85
		{200, 0.85, false}, // bigger still, not better
	}
	for i, f := range frames {
		d := det(300+float32(i)*5, 300, f.size, 0.9)
		d.Quality = f.quality
		r := tr.Update([]Detection{d})
		if len(r.Tracks) != 1 || r.Tracks[0].BestImproved != f.improved {
			t.Fatalf("frame %d: tracks %+v, want improved=%v", i+1, r.Tracks, f.improved)
		}
	}
	best := tr.Flush()[0].Best
	if best.Frame != 5 || best.Box.Dx() != 160 {
		t.Errorf("best shot %+v, want frame 5 (160 px, quality 0.9)", best)
	}
}

// TestIDsPerCamera: each Tracker numbers its own tracks; nothing is shared.
func TestIDsPerCamera(t *testing.T) {
	a, _ := New(Options{ConfirmHits: 1})
	b, _ := New(Options{ConfirmHits: 1})
	d := []Detection{det(100, 100, 50, 0.9)}
	for i := 0; i < 3; i++ {
		a.Update(d)
	}
	ra, rb := a.Update(d), b.Update(d)
	if ra.Tracks[0].ID != 1 || rb.Tracks[0].ID != 1 {
		t.Errorf("ids %d and %d: each camera starts at 1", ra.Tracks[0].ID, rb.Tracks[0].ID)
	}
}

func TestOptionsRejected(t *testing.T) {
	for _, o := range []Options{
		{HighScore: 0.3, LowScore: 0.5},
		{HighScore: 1.5},
		{MatchIoU: 2},
		{Alpha: 1.5},
		{Buffer: 3},
	} {
		if _, err := New(o); err == nil || !strings.HasPrefix(err.Error(), "track: ") {
			t.Errorf("New(%+v) = %v, want a track: error", o, err)
		}
	}
}
