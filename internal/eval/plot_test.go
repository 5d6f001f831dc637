package eval

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"
)

func TestROCTitleSaysThePairsCount(t *testing.T) {
	if got := ROCTitle("pairs.txt", 1200); !strings.Contains(got, "1,200 pairs") || strings.Contains(got, "6,000") {
		t.Fatalf("title %q", got)
	}
	if got := ROCTitle("x", 6000); !strings.Contains(got, "6,000 pairs") {
		t.Fatalf("title %q", got)
	}
	if thousands(1234567) != "1,234,567" || thousands(12) != "12" {
		t.Fatal(thousands(1234567))
	}
}

func decodePlot(t *testing.T, write func(*bytes.Buffer) error) *image.RGBA {
	t.Helper()
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		t.Fatal(err)
	}
	m, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	rgba := image.NewRGBA(m.Bounds())
	for y := m.Bounds().Min.Y; y < m.Bounds().Max.Y; y++ {
		for x := m.Bounds().Min.X; x < m.Bounds().Max.X; x++ {
			rgba.Set(x, y, m.At(x, y))
		}
	}
	return rgba
}

// count counts pixels of colour c in r.
func count(img *image.RGBA, r image.Rectangle, c color.RGBA) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if img.RGBAAt(x, y) == c {
				n++
			}
		}
	}
	return n
}

// The legend sits inside the plot area whatever the label's length, and
// both axes carry labels.
func TestPlotLegendInsideAndAxesLabelled(t *testing.T) {
	long := "yunet-n + faceplugin-arcface-512, flip on, 99.52% accuracy on the full LFW pairs protocol run"
	curves := []Curve{{Label: long, Points: []ROCPoint{{1e-3, 0.95}, {1e-2, 0.98}, {1, 1}}}, {Label: "short", Points: []ROCPoint{{1e-3, 0.92}, {1, 1}}}}
	img := decodePlot(t, func(b *bytes.Buffer) error { return PlotROC(b, "t", curves, 1e-3, 0.9) })
	p := plotRect()
	c := Chart{Series: []Series{{Label: long}, {Label: "short"}}}
	if lr := c.legendRect(); !lr.In(p) {
		t.Fatalf("legend %v outside the plot area %v", lr, p)
	}
	// No pixel of the first curve's colour right of the plot area (the old
	// legend ran off the image's edge).
	if n := count(img, image.Rect(p.Max.X+1, 0, chartW, chartH), palette[0]); n != 0 {
		t.Fatalf("%d pixels of the legend or curve right of the plot area", n)
	}
	if n := count(img, c.legendRect(), palette[1]); n < 20 {
		t.Fatalf("second legend entry not drawn (%d pixels)", n)
	}
	black := color.RGBA{0, 0, 0, 255}
	if n := count(img, image.Rect(0, p.Min.Y, 22, p.Max.Y), black); n < 100 {
		t.Fatalf("no y-axis label (%d dark pixels left of the ticks)", n)
	}
	if n := count(img, image.Rect(p.Min.X, chartH-26, p.Max.X, chartH), black); n < 100 {
		t.Fatalf("no x-axis label (%d dark pixels under the ticks)", n)
	}
}

func TestDETChartDraws(t *testing.T) {
	r := &Result{NonMated: []float32{0.1, 0.2, 0.3, 0.5}, Mated: []MatedResult{{true, 0.6}, {true, 0.4}, {false, 0.7}, {true, 0.25}}}
	pts := r.DET()
	// Thresholds 0.5, 0.3, 0.2, 0.1: FPIR 1/4..4/4; DIR 1/4, 2/4, 3/4, 3/4.
	want := []DETPoint{{0.25, 0.75}, {0.5, 0.5}, {0.75, 0.25}, {1, 0.25}}
	if len(pts) != len(want) {
		t.Fatalf("%v", pts)
	}
	for i := range want {
		if pts[i] != want[i] {
			t.Fatalf("point %d: %v, want %v", i, pts[i], want[i])
		}
	}
	ch := DETChart("DET", []Series{DETSeries("max", pts)}, 1e-3, 1e-3)
	img := decodePlot(t, func(b *bytes.Buffer) error { return ch.WritePNG(b) })
	if n := count(img, plotRect(), palette[0]); n < 50 {
		t.Fatalf("curve not drawn (%d pixels)", n)
	}
}
