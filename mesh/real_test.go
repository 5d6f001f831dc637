package mesh_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/internal/testenv"
	"github.com/mienhq/mien/mesh"
	"github.com/mienhq/mien/models"
)

// openMesh opens the standard pack's mesh and iris models, or skips.
func openMesh(t testing.TB) (*mesh.Model, *mien.Engine) {
	t.Helper()
	e := testenv.Engine(t, "standard")
	p := e.Pack()
	mm, ok := p.Model(models.RoleMesh)
	if !ok {
		t.Skipf("standard pack has no mesh model: %s", testenv.Enable)
	}
	im, ok := p.Model(models.RoleIris)
	if !ok {
		t.Skipf("standard pack has no iris model: %s", testenv.Enable)
	}
	mb, err := p.Read(mm)
	if err != nil {
		t.Fatal(err)
	}
	ib, err := p.Read(im)
	if err != nil {
		t.Fatal(err)
	}
	m, err := mesh.New(mb, mm, ib, im, mesh.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m, e
}

// load decodes an image and returns it with its best face, or fails.
func load(t testing.TB, e *mien.Engine, path string) (*face.Image, face.Detection) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := e.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	dets, err := e.Detect(context.Background(), img, mien.Options{}.Detect)
	if err != nil || len(dets) == 0 {
		t.Fatalf("%s: no face detected (%v)", filepath.Base(path), err)
	}
	return img, dets[0]
}
