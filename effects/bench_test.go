package effects

import (
	"syscall"
	"testing"
	"time"

	"github.com/mienhq/mien/face"
)

// benchScene is a 640x480 frame with the test mesh placed as the mesh
// benchmarks' frame places it (the 4:3 centre of the 250x250 photo scaled
// by 2.56: a face about 110 px between the eye centres).
func benchScene(b *testing.B) (*face.Image, Face) {
	f := testFace(&testing.T{})
	f = transformed(f, face.Point{}, 2.56, 0, 0, 2.56, face.Point{X: 0, Y: -31.25 * 2.56})
	return skinImage(640, 480, 1), f
}

func benchRender(b *testing.B, p Params) {
	img, f := benchScene(b)
	dst := face.NewImage(img.W, img.H)
	if p.Puppet != nil {
		w, h := p.Puppet.Size()
		dst = face.NewImage(w, h)
	}
	r := NewRenderer()
	live := []Face{f, rotated(openMouth(f, 25), 8)}
	b.ReportAllocs()
	start := cpuTime()
	defer func() { reportCPU(b, start) }()
	i := 0
	for b.Loop() {
		i++
		if err := r.Render(dst, img, &live[i%2], p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCopy640(b *testing.B) { benchRender(b, Params{}) }
func BenchmarkSticker640(b *testing.B) {
	s, _ := Builtin("glasses")
	benchRender(b, Params{Sticker: s})
}
func BenchmarkHat640(b *testing.B)      { s, _ := Builtin("hat"); benchRender(b, Params{Sticker: s}) }
func BenchmarkBeautify640(b *testing.B) { benchRender(b, Params{Beautify: 0.6}) }
func BenchmarkReshape640(b *testing.B)  { benchRender(b, Params{Slim: 0.5, EyeEnlarge: 0.5}) }
func BenchmarkToneLift640(b *testing.B) { benchRender(b, Params{ToneLift: 0.5}) }

func BenchmarkPuppet640(b *testing.B) {
	img, f := benchScene(b)
	p, err := NewPuppet(img, &f)
	if err != nil {
		b.Fatal(err)
	}
	benchRender(b, Params{Puppet: p})
}

// BenchmarkAll640 is every effect but the puppet at once.
func BenchmarkAll640(b *testing.B) {
	s, _ := Builtin("glasses")
	benchRender(b, Params{Sticker: s, Beautify: 0.6, Slim: 0.5, EyeEnlarge: 0.5, ToneLift: 0.5})
}

func BenchmarkNewPuppet(b *testing.B) {
	img, f := benchScene(b)
	for b.Loop() {
		if _, err := NewPuppet(img, &f); err != nil {
			b.Fatal(err)
		}
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU adds the CPU time per operation (less inflated than wall time
// by other processes on a shared machine).
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N)/1e6, "cpu-ms/op")
}
