// Package docsynth makes synthetic identity documents for testing ID-photo
// vs selfie matching: a card or passport data page of a fictional state with
// a real portrait printed small (reduced resolution, colour shift, halftone
// screen, JPEG), fictional text fields, a guilloche-like background and a
// faint second portrait (ghost image), then "photographed" at an angle with
// glare, blur, noise, uneven lighting and JPEG compression.
//
// Everything is deterministic in the seed it is given. The documents are an
// imitation for testing, not a forgery aid: the state, names and numbers are
// invented and every document says SPECIMEN.
package docsynth

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"math/rand/v2"

	"golang.org/x/image/draw"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// Layouts of the documents.
const (
	LayoutCard     = "id-card"  // ID-1 card, 1000x630
	LayoutPassport = "passport" // passport data page, 1000x700 with an MRZ
)

// layout places the parts of a document on its canvas.
type layout struct {
	w, h     int
	portrait image.Rectangle
	ghost    image.Rectangle
	fieldsX  int
	title    string
}

func layoutOf(name string) layout {
	if name == LayoutPassport {
		return layout{w: 1000, h: 700, portrait: image.Rect(40, 110, 290, 422), ghost: image.Rect(815, 180, 935, 330),
			fieldsX: 320, title: "REPUBLIC OF ZEMBLA  PASSPORT  SPECIMEN"}
	}
	return layout{w: 1000, h: 630, portrait: image.Rect(40, 120, 290, 432), ghost: image.Rect(820, 300, 940, 450),
		fieldsX: 320, title: "ZEMBLA  IDENTITY CARD  SPECIMEN"}
}

// Card is a rendered document before it is photographed.
type Card struct {
	Img      *image.RGBA
	Portrait image.Rectangle // where the portrait is printed
	Ghost    image.Rectangle // where the ghost image is printed
	Name     string
}

var fonts = struct{ regular, bold, mono *opentype.Font }{mustFont(goregular.TTF), mustFont(gobold.TTF), mustFont(gomono.TTF)}

func mustFont(b []byte) *opentype.Font {
	f, err := opentype.Parse(b)
	if err != nil {
		panic(fmt.Sprintf("docsynth: %v", err))
	}
	return f
}

// RenderCard draws a document of the layout with portrait (a head-and-
// shoulders photo) printed on it.
func RenderCard(name string, portrait image.Image, rng *rand.Rand) (*Card, error) {
	l := layoutOf(name)
	img := image.NewRGBA(image.Rect(0, 0, l.w, l.h))
	guilloche(img, rng)
	band := color.RGBA{uint8(30 + rng.IntN(60)), uint8(50 + rng.IntN(60)), uint8(90 + rng.IntN(80)), 255}
	draw.Draw(img, image.Rect(0, 0, l.w, 80), &image.Uniform{band}, image.Point{}, draw.Src)
	printed, err := printPhoto(portrait, l.portrait.Dx(), l.portrait.Dy(), rng)
	if err != nil {
		return nil, err
	}
	blend(img, l.portrait, printed, 0.94, false)
	ghost, err := printPhoto(portrait, l.ghost.Dx(), l.ghost.Dy(), rng)
	if err != nil {
		return nil, err
	}
	blend(img, l.ghost, ghost, 0.22+0.1*rng.Float64(), true)
	person := fictionalName(rng)
	if err := writeFields(img, l, person, band, rng); err != nil {
		return nil, err
	}
	return &Card{Img: img, Portrait: l.portrait, Ghost: l.ghost, Name: person}, nil
}

// guilloche fills img with a pale background of interlaced sine rosettes and
// waves, the look (not the security) of a banknote-style pattern.
func guilloche(img *image.RGBA, rng *rand.Rand) {
	b := img.Bounds()
	base := [3]float64{225 + 25*rng.Float64(), 225 + 25*rng.Float64(), 215 + 30*rng.Float64()}
	ink := [3]float64{base[0] - 60 - 40*rng.Float64(), base[1] - 40 - 50*rng.Float64(), base[2] - 30 - 40*rng.Float64()}
	cx, cy := float64(b.Dx())*(0.55+0.2*rng.Float64()), float64(b.Dy())*(0.4+0.2*rng.Float64())
	k, f1, amp := float64(6+rng.IntN(8)), 0.05+0.03*rng.Float64(), 8+8*rng.Float64()
	wf, wa, wp := 0.01+0.01*rng.Float64(), 10+10*rng.Float64(), 9+6*rng.Float64()
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			dx, dy := float64(x)-cx, float64(y)-cy
			r, th := math.Hypot(dx, dy), math.Atan2(dy, dx)
			v1 := math.Abs(math.Sin(f1 * (r + amp*math.Sin(k*th))))
			v2 := math.Abs(math.Sin(math.Pi * (float64(y) + wa*math.Sin(wf*float64(x))) / wp))
			a := 0.0
			if v1 < 0.12 {
				a = 0.5
			}
			if v2 < 0.08 {
				a = math.Max(a, 0.35)
			}
			i := img.PixOffset(x, y)
			for c := range 3 {
				img.Pix[i+c] = clamp(base[c]*(1-a) + ink[c]*a)
			}
			img.Pix[i+3] = 255
		}
	}
}

// printPhoto turns a photo into a printed w x h portrait: JPEG as stored by
// the issuer, resolution reduced by 2-3x, colours washed and shifted, and a
// fine halftone screen.
func printPhoto(src image.Image, w, h int, rng *rand.Rand) (*image.RGBA, error) {
	red := 2 + rng.Float64()
	small := image.NewRGBA(image.Rect(0, 0, int(float64(w)/red), int(float64(h)/red)))
	draw.ApproxBiLinear.Scale(small, small.Bounds(), src, src.Bounds(), draw.Src, nil)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, small, &jpeg.Options{Quality: 45 + rng.IntN(30)}); err != nil {
		return nil, fmt.Errorf("docsynth: %w", err)
	}
	dec, err := jpeg.Decode(&buf)
	if err != nil {
		return nil, fmt.Errorf("docsynth: %w", err)
	}
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.BiLinear.Scale(out, out.Bounds(), dec, dec.Bounds(), draw.Src, nil)
	sat, con := 0.6+0.3*rng.Float64(), 0.75+0.15*rng.Float64()
	tint := [3]float64{rng.NormFloat64() * 8, rng.NormFloat64() * 8, rng.NormFloat64() * 8}
	period := 3.0 + 2*rng.Float64()
	for y := range h {
		for x := range w {
			i := out.PixOffset(x, y)
			r, g, b := float64(out.Pix[i]), float64(out.Pix[i+1]), float64(out.Pix[i+2])
			l := 0.299*r + 0.587*g + 0.114*b
			dot := 1 - 0.1*(0.5+0.5*math.Cos(2*math.Pi*float64(x)/period)*math.Cos(2*math.Pi*float64(y)/period))
			for c, v := range [3]float64{r, g, b} {
				v = l + sat*(v-l)
				v = 128 + con*(v-128) + 12 + tint[c]
				out.Pix[i+c] = clamp(v * dot)
			}
		}
	}
	return out, nil
}

// blend draws src into r of dst with opacity a; grey draws it in grey, washed
// towards the background (a ghost image).
func blend(dst *image.RGBA, r image.Rectangle, src *image.RGBA, a float64, grey bool) {
	for y := 0; y < r.Dy(); y++ {
		for x := 0; x < r.Dx(); x++ {
			si, di := src.PixOffset(x, y), dst.PixOffset(r.Min.X+x, r.Min.Y+y)
			l := 0.299*float64(src.Pix[si]) + 0.587*float64(src.Pix[si+1]) + 0.114*float64(src.Pix[si+2])
			for c := range 3 {
				v := float64(src.Pix[si+c])
				if grey {
					v = l
				}
				dst.Pix[di+c] = clamp(float64(dst.Pix[di+c])*(1-a) + v*a)
			}
		}
	}
}

var syllables = []string{"ka", "lo", "mir", "ta", "ven", "sa", "dor", "el", "ri", "nu", "bas", "ko", "zan", "pe", "lin", "or", "ma", "tev"}

// fictionalName makes an invented "SURNAME, Given" pair.
func fictionalName(rng *rand.Rand) string {
	word := func(n int) string {
		s := ""
		for range n {
			s += syllables[rng.IntN(len(syllables))]
		}
		return s
	}
	sur, giv := word(2+rng.IntN(2)), word(2)
	return fmt.Sprintf("%s, %s", upper(sur), upper(giv[:1])+giv[1:])
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 32
		}
	}
	return string(b)
}

// writeFields prints the title, the labelled fields and, on a passport, a
// machine-readable zone of the fictional state ("ZMB").
func writeFields(img *image.RGBA, l layout, person string, band color.RGBA, rng *rand.Rand) error {
	face := func(f *opentype.Font, size float64) (font.Face, error) {
		return opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
	}
	title, err := face(fonts.bold, 34)
	if err != nil {
		return fmt.Errorf("docsynth: %w", err)
	}
	label, _ := face(fonts.regular, 17)
	value, _ := face(fonts.bold, 27)
	text(img, title, 40, 52, l.title, color.RGBA{250, 250, 245, 255})
	ink := color.RGBA{25, 25, 40, 255}
	dob := fmt.Sprintf("%02d.%02d.%d", 1+rng.IntN(28), 1+rng.IntN(12), 1950+rng.IntN(50))
	docNo := fmt.Sprintf("ZX%07d", rng.IntN(10000000))
	fields := [][2]string{{"SURNAME, GIVEN NAMES", person}, {"DATE OF BIRTH", dob}, {"DOCUMENT NO.", docNo},
		{"DATE OF EXPIRY", fmt.Sprintf("%02d.%02d.%d", 1+rng.IntN(28), 1+rng.IntN(12), 2030+rng.IntN(8))}}
	for i, f := range fields {
		y := 135 + 70*i
		text(img, label, l.fieldsX, y, f[0], color.RGBA{band.R, band.G, band.B, 255})
		text(img, value, l.fieldsX, y+30, f[1], ink)
	}
	if l.h >= 700 {
		mono, _ := face(fonts.mono, 30)
		mrz := fmt.Sprintf("P<ZMB%s", mrzName(person))
		text(img, mono, 40, 610, pad(mrz, 44), ink)
		text(img, mono, 40, 655, pad(docNo+"<0ZMB"+fmt.Sprint(rng.IntN(1000000)), 44), ink)
	}
	return nil
}

func mrzName(person string) string {
	b := []byte(upper(person))
	for i, c := range b {
		if c == ',' || c == ' ' {
			b[i] = '<'
		}
	}
	return string(b)
}

func pad(s string, n int) string {
	for len(s) < n {
		s += "<"
	}
	return s[:n]
}

func text(img *image.RGBA, f font.Face, x, y int, s string, c color.RGBA) {
	d := font.Drawer{Dst: img, Src: &image.Uniform{c}, Face: f, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

func clamp(v float64) uint8 { return uint8(math.Max(0, math.Min(255, math.Round(v)))) }
