package quality

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mienhq/mien/face"
)

// scene is a deterministic image with smooth shading, some texture of
// strength tex and sensor-like noise, as a face's box holds.
func scene(w, h int, tex float64) *image.RGBA {
	rng := rand.New(rand.NewPCG(3, 4))
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			fx, fy := float64(x), float64(y)
			v := 120 + 50*math.Sin(fx/23)*math.Cos(fy/31) + tex*math.Sin((fx+2*fy)/5.3) + tex/2*math.Sin(fx/2.1) + rng.NormFloat64()*2
			c := func(a float64) uint8 { return uint8(max(0, min(255, a))) }
			m.Set(x, y, color.RGBA{c(v), c(v*0.8 + 20), c(v*0.6 + 10), 255})
		}
	}
	return m
}

// toFace copies an image into a face.Image.
func toFace(m image.Image) *face.Image {
	r := m.Bounds()
	out := face.NewImage(r.Dx(), r.Dy())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, cb, _ := m.At(x, y).RGBA()
			i := 3 * ((y-r.Min.Y)*out.W + (x - r.Min.X))
			out.Pix[i], out.Pix[i+1], out.Pix[i+2] = uint8(cr>>8), uint8(cg>>8), uint8(cb>>8)
		}
	}
	return out
}

func jpegRoundTrip(t *testing.T, m image.Image, q int) image.Image {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, m, &jpeg.Options{Quality: q}); err != nil {
		t.Fatal(err)
	}
	out, err := jpeg.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func whole(m *face.Image) face.Rect {
	return face.Rect{Max: face.Point{X: float32(m.W), Y: float32(m.H)}}
}

// TestJPEGQuality: a frame encoded by Go's encoder (libjpeg's tables) at
// a known quality reads within 5 of it from its pixels, whatever the box's
// offset from the grid; down to 75 always, above it when the grid shows.
func TestJPEGQuality(t *testing.T) {
	for _, tex := range []float64{0, 6, 20} {
		src := scene(256, 256, tex)
		for _, q := range []int{20, 30, 40, 50, 60, 70, 75, 85, 92} {
			f := toFace(jpegRoundTrip(t, src, q))
			for _, box := range []face.Rect{whole(f), {Min: face.Point{X: 3, Y: 5}, Max: face.Point{X: 203, Y: 181}}} {
				e, ok := JPEGQuality(f, box)
				switch {
				case !ok && q <= 75:
					t.Errorf("texture %v, quality %d, box %v: not measured", tex, q, box)
				case ok && (e < q-5 || e > q+3):
					t.Errorf("texture %v, quality %d, box %v: read %d", tex, q, box, e)
				}
			}
		}
	}
}

// TestJPEGQualityUnknown: a frame never compressed, or compressed and then
// scaled (its grid off the 8-pixel period), shows no quality.
func TestJPEGQualityUnknown(t *testing.T) {
	for _, tex := range []float64{0, 6, 20} {
		src := toFace(scene(256, 256, tex))
		if q, ok := JPEGQuality(src, whole(src)); ok {
			t.Errorf("texture %v, uncompressed: read quality %d", tex, q)
		}
		f := toFace(jpegRoundTrip(t, scene(256, 256, tex), 40))
		sc := face.NewImage(240, 240) // 3/2 of f's top left 160 pixels
		for y := range 240 {
			for x := range 240 {
				copy(sc.Pix[3*(y*240+x):3*(y*240+x)+3], f.Pix[3*((y*2/3)*f.W+x*2/3):])
			}
		}
		if q, ok := JPEGQuality(sc, whole(sc)); ok && q < MinJPEGQuality {
			t.Errorf("texture %v, quality 40 scaled by 3/2: read %d, under the limit", tex, q)
		}
	}
}

// TestJPEGQualityOtherTable: an encoder with its own table (here MPEG's
// default intra matrix scaled, as ffmpeg's MJPEG encoder does) fits no
// scaled standard table; its low frequencies' steps still read it as
// coarse when it is, and as fine when it is.
func TestJPEGQualityOtherTable(t *testing.T) {
	mpeg := [64]float64{
		8, 16, 19, 22, 26, 27, 29, 34, 16, 16, 22, 24, 27, 29, 34, 37,
		19, 22, 26, 27, 29, 34, 34, 38, 22, 22, 26, 27, 29, 34, 37, 40,
		22, 26, 27, 29, 32, 35, 40, 48, 26, 27, 29, 32, 35, 40, 48, 58,
		26, 27, 29, 34, 38, 46, 56, 69, 27, 29, 35, 38, 46, 56, 69, 83,
	}
	for _, c := range []struct {
		scale  float64 // ffmpeg's qscale/8, about
		coarse bool
	}{{3.1, true}, {1.25, true}, {0.35, false}} {
		var tab [64]float64
		for k := range tab {
			tab[k] = math.Max(1, math.Round(mpeg[k]*c.scale))
		}
		tab[0] = 8
		for _, tex := range []float64{6, 20} {
			f := quantise(toFace(scene(256, 256, tex)), tab)
			q, ok := JPEGQuality(f, whole(f))
			if c.coarse && (!ok || q >= MinJPEGQuality) {
				t.Errorf("MPEG table x%.2f, texture %v: read %d (measured %v), want under %d", c.scale, tex, q, ok, MinJPEGQuality)
			}
			if !c.coarse && ok && q < MinJPEGQuality {
				t.Errorf("MPEG table x%.2f, texture %v: read %d, want %d or more (or not known)", c.scale, tex, q, MinJPEGQuality)
			}
		}
	}
}

// quantise compresses a face.Image's luminance as JPEG does with table tab
// (grey out: R = G = B = the decoded luminance).
func quantise(m *face.Image, tab [64]float64) *face.Image {
	out := face.NewImage(m.W, m.H)
	var blk, tmp [64]float64
	for by := 0; by+8 <= m.H; by += 8 {
		for bx := 0; bx+8 <= m.W; bx += 8 {
			for y := range 8 {
				for x := range 8 {
					i := 3 * ((by+y)*m.W + bx + x)
					blk[8*y+x] = 0.299*float64(m.Pix[i]) + 0.587*float64(m.Pix[i+1]) + 0.114*float64(m.Pix[i+2]) - 128
				}
			}
			dct8x8(&blk, &tmp)
			for k := range blk {
				blk[k] = tab[k] * math.Round(blk[k]/tab[k])
			}
			// inverse: the DCT's basis is orthonormal, so its transpose
			for y := range 8 {
				for x := range 8 {
					var s float64
					for v := range 8 {
						for u := range 8 {
							s += blk[8*v+u] * norm[u] * norm[v] * cosTab[x][u] * cosTab[y][v]
						}
					}
					g := uint8(max(0, min(255, math.Round(s+128))))
					i := 3 * ((by+y)*m.W + bx + x)
					out.Pix[i], out.Pix[i+1], out.Pix[i+2] = g, g, g
				}
			}
		}
	}
	return out
}

// TestJPEGQualityNotMeasurable: a box under 32 pixels, a box off the
// image, a flat image and an invalid or nil image give no quality; a box
// partly outside is clamped.
func TestJPEGQualityNotMeasurable(t *testing.T) {
	f := toFace(jpegRoundTrip(t, scene(96, 96, 6), 40))
	small := face.Rect{Min: face.Point{X: 10, Y: 10}, Max: face.Point{X: 40, Y: 60}}
	off := face.Rect{Min: face.Point{X: 100, Y: 100}, Max: face.Point{X: 200, Y: 200}}
	flat := face.NewImage(64, 64)
	for _, c := range []struct {
		name string
		img  *face.Image
		box  face.Rect
	}{{"small box", f, small}, {"box off the image", f, off}, {"flat", flat, whole(flat)}, {"invalid", &face.Image{W: 10, H: 10}, whole(f)}, {"nil", nil, whole(f)}} {
		if q, ok := JPEGQuality(c.img, c.box); ok {
			t.Errorf("%s: read quality %d", c.name, q)
		}
	}
	part := face.Rect{Min: face.Point{X: -20, Y: -20}, Max: face.Point{X: 90, Y: 90}}
	if q, ok := JPEGQuality(f, part); !ok || q < 35 || q > 43 {
		t.Errorf("box partly outside: read %d (measured %v), want about 40", q, ok)
	}
}

// BenchmarkJPEGQuality: a 200x220 face box, compressed at 92 and 40, and
// never compressed (the slowest: no table fits).
func BenchmarkJPEGQuality(b *testing.B) {
	t := &testing.T{}
	src := scene(256, 256, 6)
	box := face.Rect{Min: face.Point{X: 20, Y: 10}, Max: face.Point{X: 220, Y: 230}}
	for _, c := range []struct {
		name string
		img  *face.Image
	}{{"q92", toFace(jpegRoundTrip(t, src, 92))}, {"q40", toFace(jpegRoundTrip(t, src, 40))}, {"raw", toFace(src)}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				JPEGQuality(c.img, box)
			}
		})
	}
}

func faceToRGBA(m *face.Image) *image.RGBA {
	out := image.NewRGBA(image.Rect(0, 0, m.W, m.H))
	for i := 0; i < m.W*m.H; i++ {
		out.Pix[4*i], out.Pix[4*i+1], out.Pix[4*i+2], out.Pix[4*i+3] = m.Pix[3*i], m.Pix[3*i+1], m.Pix[3*i+2], 255
	}
	return out
}
