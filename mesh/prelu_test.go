package mesh_test

import (
	"context"
	"math"
	"path/filepath"
	"sort"
	"testing"

	"github.com/mienhq/mien/internal/testenv"
	"github.com/mienhq/mien/mesh"
	"github.com/mienhq/mien/models"
	"github.com/mienhq/mien/onnx"
)

// TestMeshPReluAsConv: the mesh and iris models with Options.FastPRelu
// (PRelu as depthwise convolutions, onnx.PReluAsConv) place every mesh,
// eye-contour and iris point where the models as shipped do, to 1e-3 of
// the mesh crop's side (0.19 px of the model's 192x192 input), on the faces of the real fixtures and every 97th LFW photo; and the
// rewrite does change both graphs (23 and 53 PRelu), so this is not a
// comparison of a model with itself.
func TestMeshPReluAsConv(t *testing.T) {
	shipped, e := openMesh(t)
	fast := openWith(t, e, mesh.Options{FastPRelu: true})
	for role, want := range map[string]int{models.RoleMesh: 23, models.RoleIris: 53} {
		m, _ := e.Pack().Model(role)
		b, err := e.Pack().Read(m)
		if err != nil {
			t.Fatal(err)
		}
		if _, n, err := onnx.PReluAsConv(b); err != nil || n != want {
			t.Fatalf("%s: rewrote %d PRelu (%v), want %d", m.ID, n, err, want)
		}
	}
	var files []string
	for _, dir := range []string{"fixtures/antispoof", "fixtures/pexels", "fixtures/insightface"} {
		m, _ := filepath.Glob(filepath.Join(testenv.Shared(t, dir), "*.jp*g"))
		files = append(files, m...)
	}
	lfw, _ := filepath.Glob(filepath.Join(testenv.Shared(t, "data/lfw/images"), "*", "*.jpg"))
	sort.Strings(lfw)
	for i := 0; i < len(lfw); i += 97 {
		files = append(files, lfw[i])
	}
	var worst, presence float64
	faces := 0
	for _, f := range files {
		img, d := load(t, e, f)
		roi := mesh.FromDetection(d, fast.Scale)
		a, err := fast.Locate(context.Background(), img, roi, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, err := shipped.Locate(context.Background(), img, roi, nil)
		if err != nil {
			t.Fatal(err)
		}
		faces++
		presence = max(presence, math.Abs(float64(a.Presence-b.Presence)))
		d1 := maxPointDiff(a, b) / float64(roi.Size) // image pixels over the crop's side
		worst = max(worst, d1)
		if d1 > 1e-3 || presence > 1e-4 {
			t.Errorf("%s: points differ by up to %.3g of the crop's side, presence by %.2g", filepath.Base(f), d1, presence)
		}
	}
	t.Logf("%d faces: points differ by at most %.3g of the crop's side (%.3g px of the 192x192 input), presence by %.3g", faces, worst, 192*worst, presence)
	if faces < 40 {
		t.Fatalf("only %d faces compared", faces)
	}
	if worst == 0 {
		// the rewrite rounds a * x differently: identical points on every
		// face mean FastPRelu ran the graphs as shipped
		t.Error("bit-identical points on every face: the rewritten graphs were not run")
	}
}

// maxPointDiff is the largest distance between matching points (mesh, eye
// contours, irises) of two meshes, in image pixels.
func maxPointDiff(a, b mesh.Mesh) float64 {
	var worst float64
	see := func(p, q mesh.Point3) {
		worst = max(worst, math.Hypot(float64(p.X-q.X), float64(p.Y-q.Y)))
	}
	for i := range a.Points {
		see(a.Points[i], b.Points[i])
	}
	for e := range a.Eyes {
		for i := range a.Eyes[e].Contour {
			see(a.Eyes[e].Contour[i], b.Eyes[e].Contour[i])
		}
		for i := range a.Eyes[e].Iris {
			see(a.Eyes[e].Iris[i], b.Eyes[e].Iris[i])
		}
	}
	return worst
}
