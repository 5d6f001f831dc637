package embed_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"testing"
	"time"

	"github.com/mienhq/mien/embed"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/imageio"
	"github.com/mienhq/mien/internal/testenv"
	"github.com/mienhq/mien/onnx"
	"github.com/mienhq/mien/raster"
)

func open(t testing.TB, o embed.Options) *embed.Embedder {
	p := testenv.Pack(t, "standard")
	if err := onnx.Init(testenv.Runtime(t)); err != nil {
		t.Fatal(err)
	}
	m, _ := p.ModelByID("faceplugin-arcface-512")
	b, err := p.Read(m)
	if err != nil {
		t.Fatal(err)
	}
	e, err := embed.New(b, m, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// crops returns n LFW photos scaled to the recognizer's 112x112 input (not
// aligned: the tests compare runs with each other, not with people).
func crops(t testing.TB, n int) []*face.Image {
	dir := testenv.Shared(t, "data/lfw/images")
	paths, _ := filepath.Glob(filepath.Join(dir, "A*", "*.jpg"))
	sort.Strings(paths)
	if len(paths) < n {
		t.Skipf("%d LFW photos under %s, want %d", len(paths), dir, n)
	}
	out := make([]*face.Image, n)
	for i := range out {
		data, err := os.ReadFile(paths[i*len(paths)/n])
		if err != nil {
			t.Fatal(err)
		}
		img, err := imageio.Decode(data, imageio.Options{})
		if err != nil {
			t.Fatal(err)
		}
		out[i] = raster.Resize(img, 112, 112)
	}
	return out
}

// TestEmbedCropsEqualsEmbed: batched runs (with and without flip, batch
// sizes that split the crops unevenly) answer exactly what one crop at a
// time does.
func TestEmbedCropsEqualsEmbed(t *testing.T) {
	cs := crops(t, 11)
	for _, flip := range []bool{false, true} {
		one := open(t, embed.Options{Sessions: 1, Flip: flip})
		want := make([]face.Embedding, len(cs))
		for i, c := range cs {
			var err error
			if want[i], err = one.Embed(context.Background(), c); err != nil {
				t.Fatal(err)
			}
		}
		for _, b := range []int{1, 4, 16} {
			e := open(t, embed.Options{Sessions: 1, Flip: flip, Batch: b})
			if e.Batch() != b {
				t.Fatalf("batch %d: the recognizer runs %d at a time", b, e.Batch())
			}
			got, err := e.EmbedCrops(context.Background(), cs)
			if err != nil || len(got) != len(cs) {
				t.Fatalf("flip %v batch %d: %d templates, %v", flip, b, len(got), err)
			}
			for i := range got {
				if got[i].Model != want[i].Model || !equal(got[i].Vector, want[i].Vector) {
					t.Fatalf("flip %v batch %d: crop %d differs from Embed's (cosine %v)", flip, b, i, cos(got[i], want[i]))
				}
			}
		}
	}
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func equal(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func cos(a, b face.Embedding) float32 { c, _ := face.Cosine(a, b); return c }

func TestEmbedCropsRefusesWrongSize(t *testing.T) {
	e := open(t, embed.Options{Sessions: 1, Batch: 4})
	cs := crops(t, 2)
	cs[1] = raster.Resize(cs[1], 100, 100)
	if _, err := e.EmbedCrops(context.Background(), cs); err == nil {
		t.Fatal("a 100x100 crop was embedded")
	}
}

// BenchmarkEmbedCrops runs the recognizer (no flip) at batch sizes 1-16 on
// one session; ms/image is the figure to compare.
func BenchmarkEmbedCrops(b *testing.B) {
	cs := crops(b, 16)
	for _, n := range []int{1, 2, 4, 8, 16} {
		b.Run(fmt.Sprintf("batch=%d", n), func(b *testing.B) {
			e := open(b, embed.Options{Sessions: 1, Batch: n})
			b.ResetTimer()
			cpu0 := cpuTime()
			for range b.N {
				if _, err := e.EmbedCrops(context.Background(), cs[:n]); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N*n), "ms/image")
			b.ReportMetric((cpuTime()-cpu0).Seconds()*1000/float64(b.N*n), "cpu-ms/image")
		})
	}
}

// TestRecognizerPReluAsConv: the recognizer as embed runs it (PRelu as
// depthwise convolutions, onnx.PReluAsConv) gives the templates the model
// as shipped gives, to float noise (not bit for bit), on LFW crops; and the rewrite does
// change the standard pack's recognizer (all 33 PRelu), so the comparison
// is not of a model with itself.
func TestRecognizerPReluAsConv(t *testing.T) {
	p := testenv.Pack(t, "standard")
	e := open(t, embed.Options{Sessions: 1})
	m, _ := p.ModelByID("faceplugin-arcface-512")
	model, err := p.Read(m)
	if err != nil {
		t.Fatal(err)
	}
	if _, n, err := onnx.PReluAsConv(model); err != nil || n != 33 {
		t.Fatalf("rewrote %d PRelu (%v), want the recognizer's 33", n, err)
	}
	shipped, err := onnx.NewSession(model, m.Inputs, m.Outputs, onnx.SessionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer shipped.Close()
	f := raster.Format{Layout: m.Pre.Layout, Channels: m.Pre.Channels, Mean: m.Pre.Mean, Std: m.Pre.Std}
	for i, c := range crops(t, 12) {
		got, err := e.Embed(context.Background(), c)
		if err != nil {
			t.Fatal(err)
		}
		data := make([]float32, 3*112*112)
		if err := raster.Pack(data, c, 112, 112, f); err != nil {
			t.Fatal(err)
		}
		out, err := shipped.Run(onnx.Tensor{Shape: []int64{1, 3, 112, 112}, Data: data})
		if err != nil {
			t.Fatal(err)
		}
		if face.Normalize(out[0].Data) == 0 {
			t.Fatal("the shipped model returned a zero vector")
		}
		want := face.Embedding{Model: got.Model, Vector: out[0].Data}
		if c := cos(got, want); c < 0.999999 {
			t.Errorf("crop %d: cosine %.9f to the shipped model's template, want >= 0.999999", i, c)
		}
	}
}
