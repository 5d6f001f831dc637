package mesh_test

import (
	"context"
	"image"
	"image/color"
	"image/png"
	"os"
	"testing"

	"github.com/mienhq/mien/internal/testenv"
	"github.com/mienhq/mien/mesh"
)

func TestDump(t *testing.T) {
	out := os.Getenv("MESH_DUMP")
	if out == "" {
		t.Skip("set MESH_DUMP=file.png")
	}
	m, e := openMesh(t)
	img, d := load(t, e, testenv.Shared(t, os.Getenv("MESH_IMG")))
	ms, err := m.Locate(context.Background(), img, mesh.FromDetection(d, m.Scale), nil)
	if err != nil {
		t.Fatal(err)
	}
	rgba := image.NewRGBA(image.Rect(0, 0, img.W, img.H))
	for y := 0; y < img.H; y++ {
		for x := 0; x < img.W; x++ {
			r, g, b := img.At(x, y)
			rgba.Set(x, y, color.RGBA{r, g, b, 255})
		}
	}
	dot := func(x, y float32, c color.RGBA) {
		for dy := -1; dy <= 1; dy++ {
			for dx := -1; dx <= 1; dx++ {
				rgba.Set(int(x)+dx, int(y)+dy, c)
			}
		}
	}
	for _, p := range ms.Points {
		dot(p.X, p.Y, color.RGBA{0, 255, 0, 255})
	}
	for _, e := range ms.Eyes {
		for _, p := range e.Contour[:16] {
			dot(p.X, p.Y, color.RGBA{255, 0, 0, 255})
		}
		dot(e.Iris[0].X, e.Iris[0].Y, color.RGBA{0, 0, 255, 255})
	}
	for _, p := range d.Landmarks {
		dot(p.X, p.Y, color.RGBA{255, 255, 0, 255})
	}
	f, _ := os.Create(out)
	png.Encode(f, rgba)
	f.Close()
}
