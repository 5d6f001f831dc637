package imageio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/mienhq/mien/face"
)

func shared(t testing.TB, rel string) []byte {
	t.Helper()
	p := filepath.Join("..", "..", "shared", rel)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Skipf("%s not found (../shared is absent): %v", p, err)
	}
	return b
}

func encodePNG(t testing.TB, w, h int) []byte {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := range m.Pix {
		m.Pix[i] = uint8(i)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, m); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// pngHeader builds a valid PNG signature + IHDR claiming w x h, with no data.
func pngHeader(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2
	binary.Write(&b, binary.BigEndian, uint32(13))
	chunk := append([]byte("IHDR"), ihdr...)
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

func TestLimitsCheckedBeforeDecoding(t *testing.T) {
	_, err := Decode(pngHeader(100000, 100000), Options{})
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("100000x100000 header: got %v, want ErrTooLarge", err)
	}
	_, err = Decode(pngHeader(8000, 8000), Options{})
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("64 MP header: got %v, want ErrTooLarge (pixel budget)", err)
	}
	small := encodePNG(t, 20, 10)
	if _, err := Decode(small, Options{MaxBytes: 10}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("MaxBytes: got %v", err)
	}
	if _, err := Decode(small, Options{MaxSide: 15}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("MaxSide: got %v", err)
	}
	m, err := Decode(small, Options{})
	if err != nil || m.W != 20 || m.H != 10 || len(m.Pix) != 600 {
		t.Fatalf("small PNG: %v %v", m, err)
	}
}

func TestBadInput(t *testing.T) {
	for name, data := range map[string][]byte{
		"empty": nil,
		"text":  []byte("hello, this is not an image"),
		"bmp":   []byte("BM\x00\x00\x00\x00\x00\x00"),
	} {
		if _, err := Decode(data, Options{}); !errors.Is(err, ErrUnsupported) {
			t.Errorf("%s: got %v, want ErrUnsupported", name, err)
		}
	}
	var buf bytes.Buffer
	jpeg.Encode(&buf, image.NewGray(image.Rect(0, 0, 64, 48)), nil)
	full := buf.Bytes()
	for _, cut := range []int{3, 20, len(full) / 2, len(full) - 10} {
		if _, err := Decode(full[:cut], Options{}); !errors.Is(err, ErrCorrupt) {
			t.Errorf("JPEG cut at %d of %d: got %v, want ErrCorrupt", cut, len(full), err)
		}
	}
}

func tiff(order binary.ByteOrder, orientation uint16, typ uint16) []byte {
	b := make([]byte, 8+2+12+4)
	if order == binary.LittleEndian {
		copy(b, "II")
	} else {
		copy(b, "MM")
	}
	order.PutUint16(b[2:], 42)
	order.PutUint32(b[4:], 8)
	order.PutUint16(b[8:], 1)
	order.PutUint16(b[10:], 0x0112)
	order.PutUint16(b[12:], typ)
	order.PutUint32(b[14:], 1)
	if typ == 3 {
		order.PutUint16(b[18:], orientation)
	} else {
		order.PutUint32(b[18:], uint32(orientation))
	}
	return b
}

func TestExifOrientation(t *testing.T) {
	for _, bo := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		for o := uint16(1); o <= 8; o++ {
			if got := ExifOrientation(tiff(bo, o, 3)); got != int(o) {
				t.Errorf("%v orientation %d: got %d", bo, o, got)
			}
		}
		if got := ExifOrientation(tiff(bo, 6, 4)); got != 6 {
			t.Errorf("%v LONG: got %d", bo, got)
		}
		if got := ExifOrientation(tiff(bo, 9, 3)); got != 1 {
			t.Errorf("%v out of range: got %d", bo, got)
		}
	}
	good := tiff(binary.LittleEndian, 6, 3)
	for cut := 0; cut < len(good); cut++ {
		_ = ExifOrientation(good[:cut]) // must not panic
	}
	bad := append([]byte(nil), good...)
	binary.LittleEndian.PutUint32(bad[4:], 0xFFFFFFF0) // IFD offset past the end
	if ExifOrientation(bad) != 1 {
		t.Error("hostile offset: want 1")
	}
}

func TestOrientMovesMarkedPixel(t *testing.T) {
	// 3x2 image with a red pixel at (0,0) (top-left as stored).
	src := face.NewImage(3, 2)
	src.Pix[0] = 255
	want := map[int][2]int{ // orientation -> (x, y) of the red pixel in the upright image
		1: {0, 0}, 2: {2, 0}, 3: {2, 1}, 4: {0, 1}, 5: {0, 0}, 6: {1, 0}, 7: {1, 2}, 8: {0, 2},
	}
	for o, p := range want {
		out := Orient(src, o)
		if o >= 5 && (out.W != 2 || out.H != 3) {
			t.Fatalf("orientation %d: size %dx%d, want 2x3", o, out.W, out.H)
		}
		if r, _, _ := out.At(p[0], p[1]); r != 255 {
			t.Errorf("orientation %d: red pixel not at %v", o, p)
		}
	}
}

func TestFixturesRotatedByExif(t *testing.T) {
	for _, name := range []string{"image_T1.jpg", "image_F1.jpg", "image_F2.jpg"} {
		data := shared(t, "fixtures/antispoof/"+name)
		info, err := DecodeConfig(data, Options{})
		if err != nil {
			t.Fatal(name, err)
		}
		if info.Orientation == 1 {
			t.Fatalf("%s: expected a rotation tag, got orientation 1", name)
		}
		m, err := Decode(data, Options{})
		if err != nil {
			t.Fatal(name, err)
		}
		w, h := info.Width, info.Height
		if info.Orientation >= 5 {
			w, h = h, w
		}
		if m.W != w || m.H != h {
			t.Errorf("%s (orientation %d): %dx%d, want %dx%d", name, info.Orientation, m.W, m.H, w, h)
		}
	}
}

func TestSeedWithExifOrientation(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "seed-exif6.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	info, err := DecodeConfig(data, Options{})
	if err != nil || info.Orientation != 6 {
		t.Fatalf("%+v %v", info, err)
	}
	m, err := Decode(data, Options{})
	if err != nil || m.W != 4 || m.H != 6 {
		t.Fatalf("6x4 stored with orientation 6: got %v %v, want 4x6", m, err)
	}
	m, _ = Decode(data, Options{IgnoreOrientation: true})
	if m.W != 6 {
		t.Fatalf("IgnoreOrientation: %dx%d", m.W, m.H)
	}
}

func TestWebPNamedJPEG(t *testing.T) {
	data := shared(t, "fixtures/insightface/RD_d1.jpeg")
	info, err := DecodeConfig(data, Options{})
	if err != nil || info.Format != "webp" {
		t.Fatalf("RD_d1.jpeg: %+v %v, want webp", info, err)
	}
	if _, err := Decode(data, Options{}); err != nil {
		t.Fatal(err)
	}
}

func TestYCbCrMatchesStdlib(t *testing.T) {
	src := image.NewRGBA(image.Rect(0, 0, 33, 17))
	for y := 0; y < 17; y++ {
		for x := 0; x < 33; x++ {
			src.Set(x, y, color.RGBA{uint8(40 + x*4), uint8(60 + y*6), uint8(100 + x + y), 255})
		}
	}
	var buf bytes.Buffer
	jpeg.Encode(&buf, src, &jpeg.Options{Quality: 95})
	m, err := Decode(buf.Bytes(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := jpeg.Decode(bytes.NewReader(buf.Bytes()))
	// libjpeg-turbo upsamples chroma smoothly where image/jpeg replicates
	// it, so with turbojpeg only the average difference is bounded.
	maxPixel, maxMean := 3, 1.0
	if TurboJPEG {
		maxPixel, maxMean = 255, 6.0 // summed over R, G and B
	}
	total := 0
	for y := 0; y < 17; y++ {
		for x := 0; x < 33; x++ {
			r, g, b, _ := ref.At(x, y).RGBA()
			mr, mg, mb := m.At(x, y)
			d := absd(int(r>>8), int(mr)) + absd(int(g>>8), int(mg)) + absd(int(b>>8), int(mb))
			if d > maxPixel {
				t.Fatalf("(%d,%d): got %d,%d,%d want %d,%d,%d", x, y, mr, mg, mb, r>>8, g>>8, b>>8)
			}
			total += d
		}
	}
	if mean := float64(total) / (33 * 17); mean > maxMean {
		t.Fatalf("mean difference %.2f per pixel, want <= %.1f", mean, maxMean)
	}
}

func absd(a, b int) int {
	if a < b {
		return b - a
	}
	return a - b
}

func FuzzDecode(f *testing.F) {
	f.Add(encodePNG(f, 4, 3))
	var buf bytes.Buffer
	jpeg.Encode(&buf, image.NewGray(image.Rect(0, 0, 8, 8)), nil)
	f.Add(buf.Bytes())
	f.Add(pngHeader(3, 3))
	f.Add([]byte("RIFF\x00\x00\x00\x00WEBPVP8 "))
	f.Add([]byte("GIF89a"))
	seeds, _ := filepath.Glob(filepath.Join("testdata", "seed*"))
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	o := Options{MaxPixels: 1 << 20, MaxSide: 4096}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Decode(data, o)
		if err != nil {
			return
		}
		if m.W*m.H > o.MaxPixels || len(m.Pix) != 3*m.W*m.H {
			t.Fatalf("decoded %dx%d with %d bytes", m.W, m.H, len(m.Pix))
		}
	})
}

func BenchmarkDecode(b *testing.B) {
	for _, s := range [][2]int{{640, 480}, {1920, 1080}, {4000, 3000}} {
		src := image.NewRGBA(image.Rect(0, 0, s[0], s[1]))
		for i := range src.Pix {
			src.Pix[i] = uint8(i * 31 >> 4)
		}
		var buf bytes.Buffer
		jpeg.Encode(&buf, src, &jpeg.Options{Quality: 90})
		data := buf.Bytes()
		b.Run(sizeName(s), func(b *testing.B) {
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

func sizeName(s [2]int) string {
	return "jpeg_" + itoa(s[0]) + "x" + itoa(s[1])
}

func itoa(v int) string {
	var b []byte
	for v > 0 {
		b = append([]byte{byte('0' + v%10)}, b...)
		v /= 10
	}
	return string(b)
}
