package mien_test

import (
	"context"
	"testing"

	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/imageio"
	"github.com/mienhq/mien/internal/testenv"
	"github.com/mienhq/mien/mesh"
)

// TestTrackMesh runs the engine's mesh tracking over a face, a blank frame
// and the face again: the detector runs on the first frame and after the
// loss only, and the track comes back.
func TestTrackMesh(t *testing.T) {
	e := testenv.Engine(t, "standard")
	m, err := e.OpenMesh(mesh.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if !m.HasIris() {
		t.Fatal("the standard pack's iris model was not opened")
	}
	img, err := imageio.Decode(read(t, "fixtures/insightface/bulk_Rob_Lowe_0001.jpg"), imageio.Options{})
	if err != nil {
		t.Fatal(err)
	}
	blank := face.NewImage(img.W, img.H)
	tr := mesh.NewTracker(m, mesh.TrackOptions{})
	want := []struct {
		img         *face.Image
		ok, redetct bool
	}{{img, true, true}, {img, true, false}, {blank, false, false}, {img, true, true}, {img, true, false}}
	for i, w := range want {
		f, ok, err := e.TrackMesh(context.Background(), tr, w.img, float64(i)/30)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if ok != w.ok || (ok && f.Redetected != w.redetct) {
			t.Fatalf("frame %d: ok %v redetected %v, want %v %v", i, ok, f.Redetected, w.ok, w.redetct)
		}
	}
}
