package library

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestXMPFlatReadersLineUp: in a photo whose first face is unnamed and
// second named, readers that flatten the regions into parallel lists
// (exiftool's RegionName, RegionAreaX) must pair the name with its own
// face. They list names only for regions that have one, so the named
// regions come first. Checked with exiftool when it is installed
// (apt-get install libimage-exiftool-perl), and on the XML always.
func TestXMPFlatReadersLineUp(t *testing.T) {
	photos, dir := t.TempDir(), t.TempDir()
	writePhotos(t, photos, 2, 2)
	// face 0 (x 10-40): person 1, unnamed; face 1 (x 50-80): person 2, named Bob
	os.WriteFile(filepath.Join(photos, "two.jpg"), []byte("person 1 variant 7\nperson 2 variant 7\n"), 0o644)
	l := open(t, dir)
	if _, err := l.Add(context.Background(), &fakeAnalyzer{}, photos, AddOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := l.Name(personOf(l)["p02"], "Bob"); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	if _, err := l.WriteSidecars(out, false); err != nil {
		t.Fatal(err)
	}
	sidecar := filepath.Join(out, "two.xmp")
	b, err := os.ReadFile(sidecar)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Regions []struct {
			Name string `xml:"Name,attr"`
			Area struct {
				X float64 `xml:"x,attr"`
			} `xml:"Area"`
		} `xml:"RDF>Description>Regions>RegionList>Bag>li>Description"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Regions) != 2 || doc.Regions[0].Name != "Bob" || math.Abs(doc.Regions[0].Area.X-0.65) > 1e-4 ||
		doc.Regions[1].Name != "" || math.Abs(doc.Regions[1].Area.X-0.25) > 1e-4 {
		t.Errorf("regions %+v, want Bob at x 0.65 first, then the unnamed face at 0.25", doc.Regions)
	}
	exiftool, err := exec.LookPath("exiftool")
	if err != nil {
		t.Log("exiftool not installed (apt-get install libimage-exiftool-perl): checked the XML only")
		return
	}
	cmd := exec.Command(exiftool, "-j", "-n", "-RegionName", "-RegionAreaX", sidecar)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	js, err := cmd.Output()
	if err != nil {
		t.Fatalf("exiftool: %v %s", err, stderr.String())
	}
	var flat []struct {
		RegionName  any
		RegionAreaX []float64
	}
	if err := json.Unmarshal(js, &flat); err != nil || len(flat) != 1 {
		t.Fatalf("exiftool answered %s: %v", js, err)
	}
	names := flat[0].RegionName
	if l, ok := names.([]any); ok && len(l) == 1 {
		names = l[0]
	}
	if names != "Bob" || len(flat[0].RegionAreaX) != 2 || math.Abs(flat[0].RegionAreaX[0]-0.65) > 1e-4 {
		t.Errorf("exiftool pairs names %v with areas %v: Bob is at x 0.65\n%s", flat[0].RegionName, flat[0].RegionAreaX, js)
	}
}
