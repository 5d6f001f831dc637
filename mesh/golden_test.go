package mesh_test

import (
	"context"
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/imageio"
	"github.com/mienhq/mien/internal/testenv"
	"github.com/mienhq/mien/mesh"
)

var update = flag.Bool("update", false, "rewrite testdata/golden_*.json from the current output")

// golden is a fixed region (so the detector does not enter) and the points
// the mesh and iris models gave for it, rounded to 0.01 px.
type golden struct {
	Photo  string        `json:"photo"`
	ROI    mesh.ROI      `json:"roi"`
	Points [][3]float32  `json:"points"`
	Iris   [2][3]float32 `json:"iris"`
}

// TestGolden compares the mesh of a fixture in a fixed region with the
// stored points (tolerance 0.5 px), so a change in cropping, normalisation
// or output mapping shows. Regenerate with:
//
//	go test -tags "$(cat .build-tags)" ./mesh -run TestGolden -update
func TestGolden(t *testing.T) {
	m, _ := openMesh(t)
	path := filepath.Join("testdata", "golden_rob_lowe.json")
	g := golden{Photo: "fixtures/insightface/bulk_Rob_Lowe_0001.jpg",
		ROI: mesh.ROI{Center: face.Point{X: 125, Y: 128}, Size: 150, Angle: 0.05}}
	b, err := os.ReadFile(testenv.Shared(t, g.Photo))
	if err != nil {
		t.Fatal(err)
	}
	img, err := imageio.Decode(b, imageio.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.Locate(context.Background(), img, g.ROI, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := func(v float32) float32 { return float32(math.Round(float64(v)*100) / 100) }
	for _, p := range got.Points {
		g.Points = append(g.Points, [3]float32{r(p.X), r(p.Y), r(p.Z)})
	}
	for e := range got.Eyes {
		p := got.Eyes[e].Iris[0]
		g.Iris[e] = [3]float32{r(p.X), r(p.Y), r(p.Z)}
	}
	if *update {
		out, _ := json.MarshalIndent(g, "", " ")
		if err := os.WriteFile(path, out, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	var want golden
	if b, err = os.ReadFile(path); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	if len(want.Points) != mesh.NumPoints || want.ROI != g.ROI {
		t.Fatalf("golden file holds %d points for region %+v", len(want.Points), want.ROI)
	}
	worst := float32(0)
	for i, p := range g.Points {
		worst = max(worst, face.Point{X: p[0], Y: p[1]}.Dist(face.Point{X: want.Points[i][0], Y: want.Points[i][1]}))
	}
	for e := range g.Iris {
		worst = max(worst, face.Point{X: g.Iris[e][0], Y: g.Iris[e][1]}.Dist(face.Point{X: want.Iris[e][0], Y: want.Iris[e][1]}))
	}
	if worst > 0.5 {
		t.Fatalf("mesh moved by up to %.2f px from %s (run with -update if the change is intended)", worst, path)
	}
}
