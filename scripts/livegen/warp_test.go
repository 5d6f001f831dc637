package main

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/mienhq/mien/internal/livegen"
	"github.com/mienhq/mien/mesh"
)

// TestCalibrateJaw: a synthetic head's jaw is opened until the mesh reads
// its least open session mouth (livegen.MinMouthPeak) the planner's margin
// over rest, or to the widest factor; the factor found must give that
// reading when rendered again, and a head that needs no more than the
// drawn drop keeps factor 1.
func TestCalibrateJaw(t *testing.T) {
	lfw, e := testEngine(t)
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
			r, err := headMouth(ctx, e, m, pose, h)
			if err != nil {
				t.Fatalf("%s: %v", person, err)
			}
			return r
		}
		over := raw(livegen.Head{Mouth: livegen.MinMouthPeak}) - raw(livegen.Head{})
		t.Logf("%s: jaw x%.2f, least session mouth reads %.3f over rest", person, jaw, over)
		if jaw < jawFactors[len(jawFactors)-1] && over < livegen.DefaultMargins().Mouth {
			t.Errorf("%s: jaw x%.2f reads %.3f over rest, under the margin %.2f", person, jaw, over, livegen.DefaultMargins().Mouth)
		}
	}
}
