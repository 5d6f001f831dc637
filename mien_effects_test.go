package mien_test

import (
	"context"
	"testing"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/effects"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/imageio"
	"github.com/mienhq/mien/internal/testenv"
	"github.com/mienhq/mien/mesh"
)

// effectsFace meshes the largest face of a fixture for the effects.
func effectsFace(t *testing.T, rel string) (*face.Image, effects.Face) {
	t.Helper()
	e := testenv.Engine(t, "standard")
	m, err := e.OpenMesh(mesh.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	img, err := imageio.Decode(read(t, rel), imageio.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tr := mesh.NewTracker(m, mesh.TrackOptions{})
	f, ok, err := e.TrackMesh(context.Background(), tr, img, 0)
	if err != nil || !ok {
		t.Fatalf("%s: no mesh (%v)", rel, err)
	}
	return img, mien.EffectsFace(f)
}
