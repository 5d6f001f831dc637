package mesh_test

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/mienhq/mien/internal/testenv"
	"github.com/mienhq/mien/landmark"
	"github.com/mienhq/mien/mesh"
	"github.com/mienhq/mien/models"
)

// overlap pairs the iBUG 68-point layout with the MediaPipe mesh where both
// name the same place: eye corners, nose tip, nose base, mouth corners,
// lip middles and chin.
var overlap = []struct {
	name      string
	ibug, msh int
}{
	{"eye outer (image-left)", 36, 33}, {"eye inner (image-left)", 39, 133},
	{"eye inner (image-right)", 42, 362}, {"eye outer (image-right)", 45, 263},
	{"nose tip", 30, 1}, {"nose base", 33, 2},
	{"mouth corner (image-left)", 48, 61}, {"mouth corner (image-right)", 54, 291},
	{"upper lip top", 51, 0}, {"lower lip bottom", 57, 17}, {"chin", 8, 152},
}

// TestLFWAgreement68 compares the mesh with the pack's 68-point model on
// the first image of the first 300 LFW people (sorted by name): the mean
// distance between matching points over the 68-point model's outer-eye-corner
// distance. Both are model outputs, so this is agreement, not error against
// hand labels. Figures go to docs/benchmarks.md.
func TestLFWAgreement68(t *testing.T) {
	if testing.Short() {
		t.Skip("LFW agreement skipped in -short mode")
	}
	m, e := openMesh(t)
	lmModel, ok := e.Pack().Model(models.RoleLandmarks)
	if !ok {
		t.Skipf("no 68-point model in the pack: %s", testenv.Enable)
	}
	b, err := e.Pack().Read(lmModel)
	if err != nil {
		t.Fatal(err)
	}
	lm, err := landmark.New(b, lmModel, landmark.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lm.Close()
	dir := testenv.Shared(t, "data/lfw/images")
	people, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(people, func(i, j int) bool { return people[i].Name() < people[j].Name() })
	const n = 300
	sums := make([]float64, len(overlap))
	var all []float64
	used := 0
	for _, p := range people[:min(n, len(people))] {
		files, _ := filepath.Glob(filepath.Join(dir, p.Name(), "*.jpg"))
		if len(files) == 0 {
			continue
		}
		sort.Strings(files)
		img, d := load(t, e, files[0])
		pts, err := lm.Locate(context.Background(), img, d.Box)
		if err != nil {
			t.Fatal(err)
		}
		tr := mesh.NewTracker(m, mesh.TrackOptions{})
		tr.Reset(d)
		f, ok, err := tr.Step(context.Background(), img, 0)
		if err != nil || !ok {
			t.Logf("%s: no mesh (%v)", files[0], err)
			continue
		}
		iod := float64(pts[36].Dist(pts[45]))
		var per float64
		for k, o := range overlap {
			dist := float64(f.Mesh.Points[o.msh].XY().Dist(pts[o.ibug])) / iod
			sums[k] += dist
			per += dist
		}
		all = append(all, per/float64(len(overlap)))
		used++
	}
	if used < n*9/10 {
		t.Fatalf("meshed %d of %d images", used, n)
	}
	sort.Float64s(all)
	var mean float64
	for _, v := range all {
		mean += v
	}
	mean /= float64(len(all))
	for k, o := range overlap {
		t.Logf("%-27s %.4f", o.name, sums[k]/float64(used))
	}
	t.Logf("LFW, %d images: mean normalised distance %.4f, median %.4f, 90th percentile %.4f", used, mean, all[len(all)/2], all[len(all)*9/10])
	if mean > 0.1 || math.IsNaN(mean) {
		t.Fatalf("mean normalised distance %.4f: the mesh and the 68-point model disagree by over 10%% of the eye span", mean)
	}
}
