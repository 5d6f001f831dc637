package mien_test

import (
	"context"
	"strings"
	"testing"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/driver"
	"github.com/mienhq/mien/effects"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/imageio"
	"github.com/mienhq/mien/internal/testenv"
	"github.com/mienhq/mien/mesh"
	"github.com/mienhq/mien/raster"
)

// TestMeshPathsComputeNoTemplate: issue 13's paths (mesh tracking with
// re-detection, the two-goroutine pipeline, the driver monitor, every
// effect) run over real frames, and the recognizer never runs: no template
// is computed. The count is shown to move when a template is computed, so
// the check can fail. (The WebSocket stream and the web pages are checked
// the same way in internal/server: TestMeshStreamModes, TestWebUILive.)
func TestMeshPathsComputeNoTemplate(t *testing.T) {
	e := testenv.Engine(t, "standard")
	m, err := e.OpenMesh(mesh.Options{Sessions: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	img, err := imageio.Decode(read(t, "fixtures/insightface/reaction_open_eyes.png"), imageio.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	before := e.RecognizerRuns()
	mon, err := driver.New(driver.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tr := mesh.NewTracker(m, mesh.TrackOptions{Smooth: true})
	p := mesh.NewPipeline(ctx, mesh.NewTracker(m, mesh.TrackOptions{}), e.MeshDetector())
	go func() {
		for i := range 6 {
			p.Submit(ctx, img, float64(i)/15, nil)
		}
		p.Close()
	}()
	for r := range p.Results() {
		if !r.OK || r.Err != nil {
			t.Fatalf("pipeline: ok %v err %v", r.OK, r.Err)
		}
	}
	sticker, err := effects.Builtin("glasses")
	if err != nil {
		t.Fatal(err)
	}
	fx := effects.NewRenderer()
	out := face.NewImage(img.W, img.H)
	for i := range 6 {
		shifted := face.NewImage(img.W, img.H)
		raster.Warp(shifted, img, raster.Affine{1, 0, float32(i), 0, 1, 0})
		f, ok, err := e.TrackMesh(ctx, tr, shifted, float64(i)/15)
		if err != nil || !ok {
			t.Fatalf("frame %d: ok %v err %v", i, ok, err)
		}
		if _, err := mon.Update(mien.DriverSample(f, ok, float64(i)/15)); err != nil {
			t.Fatal(err)
		}
		ef := mien.EffectsFace(f)
		if err := fx.Render(out, shifted, &ef, effects.Params{Sticker: sticker, Beautify: 0.5, Slim: 0.3, EyeEnlarge: 0.3, ToneLift: 0.3}); err != nil {
			t.Fatal(err)
		}
	}
	if got := e.RecognizerRuns(); got != before {
		t.Fatalf("the recognizer ran %d times on the mesh, driver and effects paths; it must never run", got-before)
	}
	dets, err := e.Detect(ctx, img, mien.Options{}.Detect)
	if err != nil || len(dets) == 0 {
		t.Fatalf("detect: %v", err)
	}
	if _, err := e.Embed(ctx, img, dets[0]); err != nil {
		t.Fatal(err)
	}
	if e.RecognizerRuns() == before {
		t.Fatal("computing a template did not move the recognizer's count: the check above cannot fail")
	}
}

// TestMeshPackagesImportNoIdentity: the mesh, driver and effects stages
// depend on no package that computes, holds or matches templates.
func TestMeshPackagesImportNoIdentity(t *testing.T) {
	pkgs := listPackages(t)
	for _, stage := range []string{"mesh", "driver", "effects"} {
		p, ok := pkgs[stage]
		if !ok {
			t.Fatalf("package %s not found", stage)
		}
		for _, d := range p.Deps {
			rel, ours := strings.CutPrefix(d, module+"/")
			if !ours {
				continue // the standard library (its "embed" is not ours)
			}
			for _, banned := range []string{"embed", "index", "internal/gallery", "internal/store", "cluster"} {
				if rel == banned || strings.HasPrefix(rel, banned+"/") {
					t.Errorf("%s depends on %s", stage, d)
				}
			}
		}
	}
}
