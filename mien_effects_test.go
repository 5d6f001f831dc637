package mien_test

import (
	"context"
	"errors"
	"testing"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/detect"
	"github.com/mienhq/mien/effects"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/imageio"
	"github.com/mienhq/mien/internal/testenv"
	"github.com/mienhq/mien/mesh"
)

// TestGeometryEngineComputesNoTemplate: an engine opened with
// NoRecognizer meshes a face and renders effects, and every call that
// would compute a template fails with ErrNoRecognizer.
func TestGeometryEngineComputesNoTemplate(t *testing.T) {
	e, err := mien.Open(testenv.Pack(t, "standard"), mien.Options{Runtime: testenv.Runtime(t), Workers: 1, NoRecognizer: true})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	img, err := imageio.Decode(read(t, "fixtures/insightface/bulk_Rob_Lowe_0001.jpg"), imageio.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	dets, err := e.Detect(ctx, img, detect.Options{})
	if err != nil || len(dets) == 0 {
		t.Fatalf("detect: %v, %d faces", err, len(dets))
	}
	if _, err := e.Embed(ctx, img, dets[0]); !errors.Is(err, mien.ErrNoRecognizer) {
		t.Errorf("Embed: %v, want ErrNoRecognizer", err)
	}
	if _, err := e.AnalyzeImage(ctx, img, detect.Options{}); !errors.Is(err, mien.ErrNoRecognizer) {
		t.Errorf("AnalyzeImage: %v, want ErrNoRecognizer", err)
	}
	if _, err := e.Threshold(1e-3); err == nil {
		t.Error("Threshold answered without a recognizer")
	}
	m, err := e.OpenMesh(mesh.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	f, ok, err := e.TrackMesh(ctx, mesh.NewTracker(m, mesh.TrackOptions{}), img, 0)
	if err != nil || !ok {
		t.Fatalf("mesh: %v", err)
	}
	ef := mien.EffectsFace(f)
	if len(ef.Points) != mesh.NumPoints || !ef.HasIris || ef.Iris[0] != f.Mesh.Eyes[0].Iris[0].XY() || ef.Points[152] != f.Mesh.Points[152].XY() {
		t.Fatalf("EffectsFace lost the mesh: %d points, iris %v", len(ef.Points), ef.HasIris)
	}
	s, _ := effects.Builtin("mask")
	dst := face.NewImage(img.W, img.H)
	if err := effects.Render(dst, img, &ef, effects.Params{Sticker: s, Beautify: 0.5}); err != nil {
		t.Fatal(err)
	}
}

// TestStickerForeshortensOnTurnedHeads: on real meshes, glasses on a head
// turned by about 40 degrees (pose_left_face) are narrower for their
// height than on a near-frontal one (Rob Lowe), by about the cosine of
// the turn.
func TestStickerForeshortensOnTurnedHeads(t *testing.T) {
	e, err := mien.Open(testenv.Pack(t, "standard"), mien.Options{Runtime: testenv.Runtime(t), Workers: 1, NoRecognizer: true})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	m, err := e.OpenMesh(mesh.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	s, _ := effects.Builtin("glasses")
	aspect := map[string]float64{}
	for _, rel := range []string{"fixtures/insightface/bulk_Rob_Lowe_0001.jpg", "fixtures/insightface/pose_left_face.jpeg"} {
		img, err := imageio.Decode(read(t, rel), imageio.Options{})
		if err != nil {
			t.Fatal(err)
		}
		f, ok, err := e.TrackMesh(context.Background(), mesh.NewTracker(m, mesh.TrackOptions{}), img, 0)
		if err != nil || !ok {
			t.Fatalf("%s: no mesh (%v)", rel, err)
		}
		ef := mien.EffectsFace(f)
		c, ok := s.Place(&ef)
		if !ok {
			t.Fatalf("%s: no placement", rel)
		}
		aspect[rel] = float64(c[0].Dist(c[1]) / c[1].Dist(c[2]))
		t.Logf("%s: yaw %.0f, sticker aspect %.2f", rel, f.Pose.Yaw, aspect[rel])
	}
	front, turned := aspect["fixtures/insightface/bulk_Rob_Lowe_0001.jpg"], aspect["fixtures/insightface/pose_left_face.jpeg"]
	if r := turned / front; r > 0.85 || r < 0.5 {
		t.Errorf("turned/frontal sticker aspect %.2f; want about cos(40 degrees) = 0.77 (0.5..0.85)", r)
	}
}
