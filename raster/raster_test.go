package raster

import (
	"math"
	"testing"

	"github.com/mienhq/mien/face"
)

func TestPackLayoutsAndPadding(t *testing.T) {
	img := face.NewImage(2, 1)
	copy(img.Pix, []uint8{10, 20, 30, 40, 50, 60})
	f := Format{Layout: "NCHW", Channels: "BGR", Mean: [3]float32{0, 0, 0}, Std: [3]float32{1, 1, 1}}
	dst := make([]float32, 3*3*2)
	if err := Pack(dst, img, 3, 2, f); err != nil {
		t.Fatal(err)
	}
	// Plane 0 is blue: 30, 60, then padding 0.
	want := []float32{30, 60, 0, 0, 0, 0, 20, 50, 0, 0, 0, 0, 10, 40, 0, 0, 0, 0}
	for i := range want {
		if dst[i] != want[i] {
			t.Fatalf("NCHW BGR: got %v, want %v", dst, want)
		}
	}
	f = Format{Layout: "NHWC", Channels: "RGB", Mean: [3]float32{127.5, 127.5, 127.5}, Std: [3]float32{127.5, 127.5, 127.5}}
	dst = make([]float32, 3*2*1)
	Pack(dst, img, 2, 1, f)
	if math.Abs(float64(dst[0])-(10-127.5)/127.5) > 1e-6 || math.Abs(float64(dst[5])-(60-127.5)/127.5) > 1e-6 {
		t.Fatalf("NHWC RGB normalised: %v", dst)
	}
	f = Format{Layout: "NCHW", Channels: "GRAY", Std: [3]float32{1}}
	dst = make([]float32, 2)
	Pack(dst, img, 2, 1, f)
	if dst[0] != 18 || dst[1] != 48 { // 0.299*10+0.587*20+0.114*30 = 18.15
		t.Fatalf("GRAY: %v", dst)
	}
	if err := Pack(make([]float32, 5), img, 2, 1, f); err == nil {
		t.Fatal("wrong tensor size: want an error")
	}
	if (Format{Layout: "CHW", Channels: "RGB", Std: [3]float32{1, 1, 1}}).Validate() == nil {
		t.Fatal("bad layout: want an error")
	}
}

func TestResizeAndCrop(t *testing.T) {
	img := face.NewImage(64, 32)
	for i := range img.Pix {
		img.Pix[i] = 200
	}
	r := Resize(img, 16, 8)
	if r.W != 16 || r.H != 8 {
		t.Fatalf("size %dx%d", r.W, r.H)
	}
	if v, _, _ := r.At(8, 4); v != 200 {
		t.Fatalf("uniform image resized: centre %d", v)
	}
	c := Crop(img, face.R(-32, 0, 32, 32), 64, 32) // left half outside: black
	if v, _, _ := c.At(5, 10); v != 0 {
		t.Fatalf("outside pixel %d, want 0", v)
	}
	if v, _, _ := c.At(50, 10); v != 200 {
		t.Fatalf("inside pixel %d, want 200", v)
	}
	fl := FlipH(c)
	if v, _, _ := fl.At(5, 10); v != 200 {
		t.Fatalf("flipped pixel %d", v)
	}
}

func TestAffineInvert(t *testing.T) {
	m := Affine{2, -1, 5, 1, 2, -3}
	inv, err := m.Invert()
	if err != nil {
		t.Fatal(err)
	}
	p := face.Point{X: 7, Y: -2}
	q := inv.Apply(m.Apply(p))
	if math.Abs(float64(q.X-p.X)) > 1e-4 || math.Abs(float64(q.Y-p.Y)) > 1e-4 {
		t.Fatalf("round trip %v -> %v", p, q)
	}
	if _, err := (Affine{1, 2, 0, 2, 4, 0}).Invert(); err == nil {
		t.Fatal("singular: want an error")
	}
}

func BenchmarkPack640x480(b *testing.B) {
	img := face.NewImage(640, 480)
	dst := make([]float32, 3*640*480)
	f := Format{Layout: "NCHW", Channels: "BGR", Std: [3]float32{1, 1, 1}}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		Pack(dst, img, 640, 480, f)
	}
}

// TestPackReusedBuffer: packing into a reused tensor (as the detector does
// with its pooled buffers) gives what a fresh one does: every padding value,
// to the right of the image and below it, is the black level again, whatever
// the buffer held.
func TestPackReusedBuffer(t *testing.T) {
	img := face.NewImage(3, 2)
	for i := range img.Pix {
		img.Pix[i] = uint8(10 * i)
	}
	f := Format{Layout: "NCHW", Channels: "BGR", Mean: [3]float32{1, 2, 3}, Std: [3]float32{2, 2, 2}}
	fresh := make([]float32, 3*5*4)
	if err := Pack(fresh, img, 5, 4, f); err != nil {
		t.Fatal(err)
	}
	reused := make([]float32, len(fresh))
	for i := range reused {
		reused[i] = 99
	}
	if err := Pack(reused, img, 5, 4, f); err != nil {
		t.Fatal(err)
	}
	for i := range fresh {
		if fresh[i] != reused[i] {
			t.Fatalf("value %d: reused buffer %v, fresh %v", i, reused[i], fresh[i])
		}
	}
	// plane 0 (blue, mean 1, std 2): row 0 is the image, then two black values
	if got := fresh[3:5]; got[0] != -0.5 || got[1] != -0.5 {
		t.Fatalf("right padding %v, want the black level -0.5", got)
	}
	if got := fresh[2*5*4-1]; got != -1 { // the last value of plane 1 (mean 2)
		t.Fatalf("bottom padding %v, want -1", got)
	}
}
