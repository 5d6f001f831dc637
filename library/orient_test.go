package library

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/imageio"
)

// TestStoredRegions checks the mapping of upright regions onto the stored
// image against imageio.Orient itself, for every EXIF orientation: a block
// drawn in a stored image is found in the upright one, and its region maps
// back onto the block.
func TestStoredRegions(t *testing.T) {
	const w, h = 40, 30
	bx0, by0, bx1, by1 := 5, 3, 17, 11 // the block in the stored image, [x0, x1) x [y0, y1)
	stored := face.NewImage(w, h)
	for y := by0; y < by1; y++ {
		for x := bx0; x < bx1; x++ {
			stored.Pix[3*(y*w+x)] = 255
		}
	}
	for o := 1; o <= 8; o++ {
		up := imageio.Orient(stored, o)
		x0, y0, x1, y1 := up.W, up.H, 0, 0
		for y := 0; y < up.H; y++ {
			for x := 0; x < up.W; x++ {
				if up.Pix[3*(y*up.W+x)] == 255 {
					x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x+1), max(y1, y+1)
				}
			}
		}
		r := Region{Name: "A", X: float64(x0+x1) / 2 / float64(up.W), Y: float64(y0+y1) / 2 / float64(up.H),
			W: float64(x1-x0) / float64(up.W), H: float64(y1-y0) / float64(up.H)}
		sw, sh, got := StoredRegions(up.W, up.H, []Region{r}, o)
		want := Region{Name: "A", X: float64(bx0+bx1) / 2 / w, Y: float64(by0+by1) / 2 / h, W: float64(bx1-bx0) / w, H: float64(by1-by0) / h}
		g := got[0]
		if sw != w || sh != h || g.Name != "A" || math.Abs(g.X-want.X) > 1e-9 || math.Abs(g.Y-want.Y) > 1e-9 ||
			math.Abs(g.W-want.W) > 1e-9 || math.Abs(g.H-want.H) > 1e-9 {
			t.Errorf("orientation %d: %dx%d %+v, want %dx%d %+v", o, sw, sh, g, w, h, want)
		}
	}
}

// TestSidecarOfARotatedPhoto: the XMP of a photo stored with EXIF
// orientation 6 gives the stored dimensions and stored-orientation regions.
func TestSidecarOfARotatedPhoto(t *testing.T) {
	l := open(t, t.TempDir())
	a := &fakeAnalyzer{}
	photos := analysed(t, a, 1, 1)
	if _, err := l.Record(t.Context(), a.ModelID(), photos); err != nil {
		t.Fatal(err)
	}
	p, _ := l.Photo(photos[0].Hash)
	jpeg6 := exif6JPEG(t)
	var up, rot bytes.Buffer
	l.WriteSidecar(&up, p.Hash, []byte("no orientation"))
	if err := l.WriteSidecar(&rot, p.Hash, jpeg6); err != nil {
		t.Fatal(err)
	}
	dims := func(w, h int) string { return `stDim:w="` + itoa(w) + `" stDim:h="` + itoa(h) + `"` }
	if !strings.Contains(up.String(), dims(p.Width, p.Height)) || !strings.Contains(rot.String(), dims(p.Height, p.Width)) {
		t.Fatalf("dimensions: upright\n%s\nrotated\n%s", up.String(), rot.String())
	}
	if up.String() == rot.String() {
		t.Fatal("the rotated photo's regions were not mapped")
	}
}

func itoa(v int) string { return strconv.Itoa(v) }

// exif6JPEG is imageio's fuzz seed: a small JPEG stored with EXIF orientation 6.
func exif6JPEG(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "imageio", "testdata", "seed-exif6.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	if info, err := imageio.DecodeConfig(b, imageio.Options{}); err != nil || info.Orientation != 6 {
		t.Fatalf("seed-exif6.jpg: %+v %v", info, err)
	}
	return b
}
