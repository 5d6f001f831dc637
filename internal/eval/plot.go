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

// PlotROC writes a PNG of ROC curves: false-accept rate on a log axis from
// minFAR to 1, true-accept rate from minTAR to 1.
func PlotROC(w io.Writer, title string, curves []Curve, minFAR, minTAR float64) error {
	const W, H, left, right, top, bottom = 720, 520, 70, 20, 40, 50
	img := image.NewRGBA(image.Rect(0, 0, W, H))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	pw, ph := float64(W-left-right), float64(H-top-bottom)
	lx0 := math.Log10(minFAR)
	px := func(far float64) int { return left + int((math.Log10(far)-lx0)/(0-lx0)*pw) }
	py := func(tar float64) int { return top + int((1-tar)/(1-minTAR)*ph) }
	grey, black := color.RGBA{220, 220, 220, 255}, color.RGBA{0, 0, 0, 255}
	for e := lx0; e <= 0; e++ {
		x := px(math.Pow(10, e))
		line(img, x, top, x, H-bottom, grey)
		label(img, x-16, H-bottom+16, fmt.Sprintf("1e%d", int(e)), black)
	}
	for t := minTAR; t <= 1.0001; t += (1 - minTAR) / 5 {
		y := py(t)
		line(img, left, y, W-right, y, grey)
		label(img, 8, y+4, fmt.Sprintf("%.3f", t), black)
	}
	line(img, left, top, left, H-bottom, black)
	line(img, left, H-bottom, W-right, H-bottom, black)
	label(img, left, 24, title, black)
	label(img, W/2-80, H-12, "false accept rate (log)", black)
	colors := []color.RGBA{{200, 30, 30, 255}, {30, 90, 200, 255}, {30, 150, 60, 255}, {150, 60, 160, 255}}
	for ci, c := range curves {
		col := colors[ci%len(colors)]
		for i := 1; i < len(c.Points); i++ {
			a, b := c.Points[i-1], c.Points[i]
			line(img, px(a.FAR), py(math.Max(a.TAR, minTAR)), px(b.FAR), py(math.Max(b.TAR, minTAR)), col)
		}
		label(img, W-right-260, H-bottom-20-16*ci, c.Label, col)
	}
	if err := png.Encode(w, img); err != nil {
		return fmt.Errorf("eval: writing plot: %w", err)
	}
	return nil
}

func line(img *image.RGBA, x0, y0, x1, y1 int, c color.RGBA) {
	n := max(abs(x1-x0), abs(y1-y0), 1)
	for i := 0; i <= n; i++ {
		x := x0 + (x1-x0)*i/n
		y := y0 + (y1-y0)*i/n
		img.SetRGBA(x, y, c)
		img.SetRGBA(x, y+1, c)
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
