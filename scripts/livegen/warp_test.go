package main

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/detect"
	"github.com/mienhq/mien/internal/livegen"
	"github.com/mienhq/mien/internal/testenv"
	"github.com/mienhq/mien/mesh"
)

// TestCalibrateJaw: a synthetic head's jaw is opened until the mesh reads
// its least open session mouth (livegen.MinMouthPeak) the planner's margin
// over rest, or to the widest factor; the factor found must give that
// reading when rendered again, and a head that needs no more than the
// drawn drop keeps factor 1.
func TestCalibrateJaw(t *testing.T) {
	lfw := testenv.Shared(t, "data/lfw/images")
	e, err := mien.Open(testenv.Pack(t, "standard"), mien.Options{Runtime: testenv.Runtime(t), Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ctx := context.Background()
	m, err := e.OpenMesh(mesh.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	for _, person := range []string{"Justine_Henin", "Gwyneth_Paltrow"} {
		photos, err := survey(ctx, e, lfw, filepath.Join(t.TempDir(), "survey.jsonl"), person, nil, 1, 40)
		if err != nil {
			t.Fatal(err)
		}
		rest, ok := livegen.RestPhoto(photos)
		if !ok {
			t.Fatalf("%s: no rest photo", person)
		}
		prev := jawToMargin
		jawToMargin = true
		pose, jaw, err := poser(ctx, e, m, lfw, rest)
		jawToMargin = prev
		if err != nil {
			t.Fatal(err)
		}
		if jaw < jawFactors[0] || jaw > jawFactors[len(jawFactors)-1] {
			t.Fatalf("%s: jaw factor %.2f outside %v", person, jaw, jawFactors)
		}
		raw := func(h livegen.Head) float32 { // the calibrated poser scales the jaw itself
			img, err := pose(h)
			if err != nil {
				t.Fatal(err)
			}
			dets, err := e.Detect(ctx, img, detect.Options{})
			if err != nil || len(dets) == 0 {
				t.Fatalf("%s: no face in the rendered head (%v)", person, err)
			}
			main, _ := mien.LivenessFaces(dets)
			tr := mesh.NewTracker(m, mesh.TrackOptions{})
			tr.Reset(main)
			f, ok, err := tr.Step(ctx, img, 0)
			if err != nil || !ok {
				t.Fatalf("%s: the mesh lost the rendered head (%v)", person, err)
			}
			return f.Signals.MouthOpen
		}
		over := raw(livegen.Head{Mouth: livegen.MinMouthPeak}) - raw(livegen.Head{})
		t.Logf("%s: jaw x%.2f, least session mouth reads %.3f over rest", person, jaw, over)
		if jaw < jawFactors[len(jawFactors)-1] && over < livegen.DefaultMargins().Mouth {
			t.Errorf("%s: jaw x%.2f reads %.3f over rest, under the margin %.2f", person, jaw, over, livegen.DefaultMargins().Mouth)
		}
	}
}
