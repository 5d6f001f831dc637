package eval

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"math"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// Curve is one labelled ROC curve.
type Curve struct {
	Label  string
	Points []ROCPoint
}

// Series is one labelled line of a chart.
type Series struct {
	Label string
	X, Y  []float64
}

// Chart is a line chart with labelled axes and a legend drawn inside the
// plot area (in the corner Legend names: "top right" or "bottom right").
type Chart struct {
	Title, XLabel, YLabel  string
	LogX, LogY             bool
	XMin, XMax, YMin, YMax float64
	Legend                 string
	Series                 []Series
}

const (
	chartW, chartH                       = 760, 540
	padLeft, padRight, padTop, padBottom = 78, 20, 40, 56
	charW, lineH                         = 7, 16
)

// plotRect is the area inside the axes.
func plotRect() image.Rectangle {
	return image.Rect(padLeft, padTop, chartW-padRight, chartH-padBottom)
}

// legendRect is where the legend box goes: inside the plot area, as wide
// as the longest label (labels too long for the plot are cut with "...").
func (c Chart) legendRect() image.Rectangle {
	p := plotRect()
	w := 0
	for _, s := range c.Series {
		w = max(w, len(fitLabel(s.Label)))
	}
	bw, bh := 34+w*charW, 8+lineH*len(c.Series)
	x1 := p.Max.X - 8
	if c.Legend == "top right" {
		return image.Rect(x1-bw, p.Min.Y+8, x1, p.Min.Y+8+bh)
	}
	return image.Rect(x1-bw, p.Max.Y-8-bh, x1, p.Max.Y-8)
}

// fitLabel cuts a label to what fits in the plot area's width.
func fitLabel(s string) string {
	maxChars := (plotRect().Dx() - 50) / charW
	if len(s) <= maxChars {
		return s
	}
	return s[:maxChars-3] + "..."
}

var palette = []color.RGBA{{200, 30, 30, 255}, {30, 90, 200, 255}, {30, 150, 60, 255}, {150, 60, 160, 255}, {220, 130, 0, 255}, {0, 150, 160, 255}}

// WritePNG draws the chart.
func (c Chart) WritePNG(w io.Writer) error {
	img := image.NewRGBA(image.Rect(0, 0, chartW, chartH))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	p := plotRect()
	tx, ty := c.transform(p)
	grey, black := color.RGBA{220, 220, 220, 255}, color.RGBA{0, 0, 0, 255}
	for _, t := range ticks(c.XMin, c.XMax, c.LogX) {
		x := tx(t)
		line(img, x, p.Min.Y, x, p.Max.Y, grey)
		s := tickLabel(t, c.LogX)
		label(img, x-len(s)*charW/2, p.Max.Y+16, s, black)
	}
	for _, t := range ticks(c.YMin, c.YMax, c.LogY) {
		y := ty(t)
		line(img, p.Min.X, y, p.Max.X, y, grey)
		s := tickLabel(t, c.LogY)
		label(img, p.Min.X-6-len(s)*charW, y+4, s, black)
	}
	line(img, p.Min.X, p.Min.Y, p.Min.X, p.Max.Y, black)
	line(img, p.Min.X, p.Max.Y, p.Max.X, p.Max.Y, black)
	label(img, max(4, (chartW-len(c.Title)*charW)/2), 24, c.Title, black)
	label(img, p.Min.X+(p.Dx()-len(c.XLabel)*charW)/2, chartH-12, c.XLabel, black)
	verticalLabel(img, 6, p.Min.Y+(p.Dy()+len(c.YLabel)*charW)/2, c.YLabel, black)
	clip := img.SubImage(p.Inset(-1)).(*image.RGBA)
	for i, s := range c.Series {
		col := palette[i%len(palette)]
		for j := 1; j < len(s.X) && j < len(s.Y); j++ {
			line(clip, tx(s.X[j-1]), ty(s.Y[j-1]), tx(s.X[j]), ty(s.Y[j]), col)
		}
	}
	c.drawLegend(img)
	if err := png.Encode(w, img); err != nil {
		return fmt.Errorf("eval: writing plot: %w", err)
	}
	return nil
}

func (c Chart) drawLegend(img *image.RGBA) {
	if len(c.Series) == 0 {
		return
	}
	r := c.legendRect()
	draw.Draw(img, r, image.White, image.Point{}, draw.Src)
	grey := color.RGBA{160, 160, 160, 255}
	line(img, r.Min.X, r.Min.Y, r.Max.X, r.Min.Y, grey)
	line(img, r.Min.X, r.Max.Y, r.Max.X, r.Max.Y, grey)
	line(img, r.Min.X, r.Min.Y, r.Min.X, r.Max.Y, grey)
	line(img, r.Max.X, r.Min.Y, r.Max.X, r.Max.Y, grey)
	for i, s := range c.Series {
		col := palette[i%len(palette)]
		y := r.Min.Y + 4 + lineH*i + lineH/2
		line(img, r.Min.X+6, y, r.Min.X+26, y, col)
		label(img, r.Min.X+30, y+4, fitLabel(s.Label), col)
	}
}

// transform maps data to pixel coordinates (values outside the range are
// clamped just past the plot's edge, where the clip drops them).
func (c Chart) transform(p image.Rectangle) (func(float64) int, func(float64) int) {
	f := func(v, lo, hi float64, log bool) float64 {
		if log {
			v, lo, hi = math.Log10(math.Max(v, lo/10)), math.Log10(lo), math.Log10(hi)
		}
		return math.Max(-0.01, math.Min(1.01, (v-lo)/(hi-lo)))
	}
	tx := func(v float64) int { return p.Min.X + int(math.Round(f(v, c.XMin, c.XMax, c.LogX)*float64(p.Dx()))) }
	ty := func(v float64) int { return p.Max.Y - int(math.Round(f(v, c.YMin, c.YMax, c.LogY)*float64(p.Dy()))) }
	return tx, ty
}

// ticks are the decades of a log axis, or five steps of a linear one.
func ticks(lo, hi float64, log bool) []float64 {
	var out []float64
	if log {
		for e := math.Ceil(math.Log10(lo) - 1e-9); e <= math.Log10(hi)+1e-9; e++ {
			out = append(out, math.Pow(10, e))
		}
		return out
	}
	for i := 0; i <= 5; i++ {
		out = append(out, lo+(hi-lo)*float64(i)/5)
	}
	return out
}

func tickLabel(v float64, log bool) string {
	if log {
		if v >= 0.01 {
			return fmt.Sprintf("%g", v)
		}
		return fmt.Sprintf("1e%d", int(math.Round(math.Log10(v))))
	}
	return fmt.Sprintf("%.3g", v)
}

// PlotROC writes a PNG of ROC curves: false-accept rate on a log axis from
// minFAR to 1, true-accept rate from minTAR to 1.
func PlotROC(w io.Writer, title string, curves []Curve, minFAR, minTAR float64) error {
	c := Chart{Title: title, XLabel: "false accept rate (impostor pairs accepted, log scale)", YLabel: "true accept rate (genuine pairs accepted)",
		LogX: true, XMin: minFAR, XMax: 1, YMin: minTAR, YMax: 1, Legend: "bottom right"}
	for _, cv := range curves {
		s := Series{Label: cv.Label}
		for _, p := range cv.Points {
			s.X, s.Y = append(s.X, p.FAR), append(s.Y, p.TAR)
		}
		c.Series = append(c.Series, s)
	}
	return c.WritePNG(w)
}

// ROCTitle is the ROC plot's title for a pairs file.
func ROCTitle(pairsFile string, pairs int) string {
	return fmt.Sprintf("ROC: %s pairs from %s", thousands(pairs), pairsFile)
}

// thousands writes n with comma separators.
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func line(img *image.RGBA, x0, y0, x1, y1 int, c color.RGBA) {
	n := max(abs(x1-x0), abs(y1-y0), 1)
	for i := 0; i <= n; i++ {
		x := x0 + (x1-x0)*i/n
		y := y0 + (y1-y0)*i/n
		if (image.Point{x, y}).In(img.Rect) {
			img.SetRGBA(x, y, c)
		}
		if (image.Point{x, y + 1}).In(img.Rect) {
			img.SetRGBA(x, y+1, c)
		}
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func label(img *image.RGBA, x, y int, s string, c color.RGBA) {
	d := font.Drawer{Dst: img, Src: image.NewUniform(c), Face: basicfont.Face7x13, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

// verticalLabel draws s reading upwards, its baseline's start at (x, y).
func verticalLabel(img *image.RGBA, x, y int, s string, c color.RGBA) {
	tmp := image.NewRGBA(image.Rect(0, 0, len(s)*charW, lineH))
	label(tmp, 0, 12, s, c)
	for ty := 0; ty < tmp.Rect.Dy(); ty++ {
		for tx := 0; tx < tmp.Rect.Dx(); tx++ {
			if _, _, _, a := tmp.At(tx, ty).RGBA(); a > 0 {
				img.Set(x+ty, y-tx, tmp.At(tx, ty))
			}
		}
	}
}
