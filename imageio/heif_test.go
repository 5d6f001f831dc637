package imageio

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// testdata/portrait.heic and portrait.avif are examples/portrait-1.jpg (a
// downscaled Pexels photo, Pexels licence) encoded by Debian's heif-enc -q 40.

func TestSniffHEIF(t *testing.T) {
	for _, name := range []string{"portrait.heic", "portrait.avif"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		if f := Sniff(data); f != "heif" {
			t.Errorf("%s sniffed as %q", name, f)
		}
	}
	if f := Sniff([]byte("\x00\x00\x00\x18ftypisom\x00\x00\x00\x00")); f != "" {
		t.Errorf("an MP4 sniffed as %q", f)
	}
}

func TestDecodeHEIF(t *testing.T) {
	ref, err := os.ReadFile(filepath.Join("..", "examples", "portrait-1.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := Decode(ref, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"portrait.heic", "portrait.avif"} {
		data, _ := os.ReadFile(filepath.Join("testdata", name))
		if !HEIF {
			_, err := Decode(data, Options{})
			if !errors.Is(err, ErrUnsupported) {
				t.Fatalf("%s without libheif: %v, want ErrUnsupported", name, err)
			}
			t.Logf("%s: %v", name, err)
			continue
		}
		info, err := DecodeConfig(data, Options{})
		if err != nil || info.Format != "heif" || info.Width != want.W || info.Height != want.H {
			t.Fatalf("%s config: %+v %v, want %dx%d", name, info, err, want.W, want.H)
		}
		got, err := Decode(data, Options{})
		if err != nil {
			t.Fatal(err)
		}
		// Lossy at quality 40: the mean absolute difference from the JPEG it was made from stays small.
		var sum int
		for i := range got.Pix {
			d := int(got.Pix[i]) - int(want.Pix[i])
			sum += max(d, -d)
		}
		if mad := float64(sum) / float64(len(got.Pix)); mad > 8 {
			t.Errorf("%s differs from the source by %.1f levels on average", name, mad)
		}
		if _, err := DecodeConfig(data, Options{MaxPixels: 1000}); !errors.Is(err, ErrTooLarge) {
			t.Errorf("%s over the pixel budget: %v", name, err)
		}
		for _, cut := range []int{40, len(data) / 2, len(data) - 10} {
			if _, err := Decode(data[:cut], Options{}); !errors.Is(err, ErrCorrupt) {
				t.Errorf("%s cut at %d bytes: %v, want ErrCorrupt", name, cut, err)
			}
		}
	}
}

// BenchmarkDecodeHEIF decodes the 480x480 test photos and, where Debian's
// heif-enc is installed, a 12 MP HEIC (a phone photo's size) made from it.
func BenchmarkDecodeHEIF(b *testing.B) {
	if !HEIF {
		b.Skip("built without libheif (build tag heif)")
	}
	files := map[string][]byte{}
	for _, name := range []string{"portrait.heic", "portrait.avif"} {
		files[name], _ = os.ReadFile(filepath.Join("testdata", name))
	}
	if enc, err := exec.LookPath("heif-enc"); err == nil {
		src, _ := os.ReadFile(filepath.Join("..", "examples", "portrait-1.jpg"))
		img, _ := Decode(src, Options{})
		big := image.NewRGBA(image.Rect(0, 0, 4032, 3024))
		for y := 0; y < 3024; y++ {
			for x := 0; x < 4032; x++ {
				i := 3 * ((y*img.H/3024)*img.W + x*img.W/4032)
				big.Set(x, y, color.RGBA{img.Pix[i], img.Pix[i+1], img.Pix[i+2], 255})
			}
		}
		dir := b.TempDir()
		var buf bytes.Buffer
		jpeg.Encode(&buf, big, &jpeg.Options{Quality: 92})
		os.WriteFile(filepath.Join(dir, "big.jpg"), buf.Bytes(), 0o600)
		if err := exec.Command(enc, "-q", "50", "-o", filepath.Join(dir, "big.heic"), filepath.Join(dir, "big.jpg")).Run(); err == nil {
			files["heic_4032x3024"], _ = os.ReadFile(filepath.Join(dir, "big.heic"))
		}
	}
	for name, data := range files {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for i := 0; i < b.N; i++ {
				if _, err := Decode(data, Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
