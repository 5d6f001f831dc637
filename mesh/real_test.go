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
	if _, ok := p.Model(models.RoleMesh); !ok {
		t.Skipf("standard pack has no mesh model: %s", testenv.Enable)
	}
	if _, ok := p.Model(models.RoleIris); !ok {
		t.Skipf("standard pack has no iris model: %s", testenv.Enable)
	}
	m := openWith(t, e, mesh.Options{})
	return m, e
}

// openWith opens the engine pack's mesh and iris models with options.
func openWith(t testing.TB, e *mien.Engine, opts mesh.Options) *mesh.Model {
	t.Helper()
	p := e.Pack()
	mm, _ := p.Model(models.RoleMesh)
	im, _ := p.Model(models.RoleIris)
	mb, err := p.Read(mm)
	if err != nil {
		t.Fatal(err)
	}
	ib, err := p.Read(im)
	if err != nil {
		t.Fatal(err)
	}
	m, err := mesh.New(mb, mm, ib, im, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
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
