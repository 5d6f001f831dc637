// Command spoofgen makes synthetic presentation attacks from photos, for
// `mien eval liveness`. It imitates what a camera sees when it is shown a
// replayed photo, not a real attack: a screen replay (the photo inside a
// bezel, on an RGB sub-pixel grid resampled at a slight angle, which makes
// moire, with a glare gradient), a print (CMY halftone dots on paper inside a
// white margin) and a re-encoding (4x downscale-upscale and JPEG quality 8,
// twice). Each source gives one image per kind; the output is deterministic.
//
//	go run ./scripts/spoofgen -out DIR photo.jpg ...   (writes DIR/screen, DIR/print, DIR/reencode)
package main

import (
	"bytes"
	"flag"
	"fmt"
	"hash/fnv"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	out := flag.String("out", "", "output directory (sub-directories per attack kind are created)")
	flag.Parse()
	if *out == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: spoofgen -out DIR photo.jpg ...")
		os.Exit(2)
	}
	kinds := map[string]func(*image.RGBA, *rand.Rand) image.Image{"screen": screen, "print": print, "reencode": reencode}
	for k := range kinds {
		if err := os.MkdirAll(filepath.Join(*out, k), 0o755); err != nil {
			fail(err)
		}
	}
	for _, p := range flag.Args() {
		src, err := load(p)
		if err != nil {
			fail(fmt.Errorf("%s: %w", p, err))
		}
		h := fnv.New64a()
		h.Write([]byte(filepath.Base(p)))
		for k, f := range kinds {
			rng := rand.New(rand.NewPCG(h.Sum64(), uint64(len(k))))
			name := strings.TrimSuffix(filepath.Base(p), filepath.Ext(p)) + "_" + k + ".jpg"
			if err := save(filepath.Join(*out, k, name), f(src, rng), 85); err != nil {
				fail(err)
			}
		}
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "spoofgen:", err)
	os.Exit(1)
}

func load(p string) (*image.RGBA, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		return nil, err
	}
	b := img.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			dst.Set(x, y, img.At(b.Min.X+x, b.Min.Y+y))
		}
	}
	return dst, nil
}

func save(p string, img image.Image, q int) error {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: q}); err != nil {
		return err
	}
	return os.WriteFile(p, buf.Bytes(), 0o644)
}

// bilinear samples src at (x, y) in pixel-centre coordinates; outside is bg.
func bilinear(src *image.RGBA, x, y float64, bg [3]float64) [3]float64 {
	x, y = x-0.5, y-0.5
	x0, y0 := math.Floor(x), math.Floor(y)
	fx, fy := x-x0, y-y0
	var out [3]float64
	for j := 0; j < 2; j++ {
		for i := 0; i < 2; i++ {
			w := (1 - math.Abs(float64(i)-fx)) * (1 - math.Abs(float64(j)-fy))
			px, py := int(x0)+i, int(y0)+j
			c := bg
			if image.Pt(px, py).In(src.Bounds()) {
				o := src.PixOffset(px, py)
				c = [3]float64{float64(src.Pix[o]), float64(src.Pix[o+1]), float64(src.Pix[o+2])}
			}
			for k := range out {
				out[k] += w * c[k]
			}
		}
	}
	return out
}

func clamp(v float64) uint8 { return uint8(math.Max(0, math.Min(255, math.Round(v)))) }

// screen shows src on a display with a 3x sub-pixel grid inside a dark bezel,
// re-photographed at a small angle and scale (moire), with glare and a tint.
func screen(src *image.RGBA, rng *rand.Rand) image.Image {
	const sub = 3 // display pixels per source pixel, each split into R, G, B stripes
	w, h := src.Bounds().Dx(), src.Bounds().Dy()
	disp := image.NewRGBA(image.Rect(0, 0, w*sub, h*sub))
	for y := 0; y < h*sub; y++ {
		for x := 0; x < w*sub; x++ {
			o := src.PixOffset(x/sub, y/sub)
			d := disp.PixOffset(x, y)
			// each column lights one of R, G, B (with some bleed into the
			// others); a darker line between pixel rows (screen door)
			row := 1.0
			if y%sub == sub-1 {
				row = 0.4
			}
			for c := 0; c < 3; c++ {
				k := 0.5
				if c == x%sub {
					k = 1.25
				}
				disp.Pix[d+c] = clamp(float64(src.Pix[o+c]) * k * row)
			}
			disp.Pix[d+3] = 255
		}
	}
	angle := (rng.Float64()*6 - 3) * math.Pi / 180
	fill := 0.78 + 0.1*rng.Float64() // share of the frame the screen's image fills
	tint := [3]float64{0.92, 0.98, 1.08}
	gx, gy := rng.Float64()*float64(w), rng.Float64()*float64(h)
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	cx, cy := float64(w)/2, float64(h)/2
	k := float64(sub) / fill
	sin, cos := math.Sin(angle), math.Cos(angle)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			dx, dy := float64(x)+0.5-cx, float64(y)+0.5-cy
			var c [3]float64 // 2x2 samples: a camera's blur, leaving moire
			for j := 0; j < 4; j++ {
				ex, ey := dx+0.25*float64(2*(j%2)-1), dy+0.25*float64(2*(j/2)-1)
				sx := (cos*ex+sin*ey)*k + float64(w*sub)/2
				sy := (-sin*ex+cos*ey)*k + float64(h*sub)/2
				s := bilinear(disp, sx, sy, [3]float64{18, 18, 20}) // bezel
				for i := range c {
					c[i] += s[i] / 4
				}
			}
			glare := 60 * math.Exp(-((float64(x)-gx)*(float64(x)-gx)+(float64(y)-gy)*(float64(y)-gy))/(2*float64(w*w)/16))
			o := dst.PixOffset(x, y)
			for i := 0; i < 3; i++ {
				dst.Pix[o+i] = clamp(c[i]*tint[i] + glare + rng.NormFloat64()*3)
			}
			dst.Pix[o+3] = 255
		}
	}
	return dst
}

// print renders src as a CMY halftone (dot screens at 15, 75 and 0 degrees)
// on slightly warm paper with a white margin, photographed softly.
func print(src *image.RGBA, rng *rand.Rand) image.Image {
	w, h := src.Bounds().Dx(), src.Bounds().Dy()
	const up = 3 // halftone at 3x, then averaged down
	cell := 5.0 + rng.Float64()*2
	angles := [3]float64{15, 75, 0}
	margin := 0.08 + 0.06*rng.Float64()
	paper := [3]float64{246, 240, 226}
	big := image.NewRGBA(image.Rect(0, 0, w*up, h*up))
	for y := 0; y < h*up; y++ {
		for x := 0; x < w*up; x++ {
			u, v := (float64(x)+0.5)/up, (float64(y)+0.5)/up
			d := big.PixOffset(x, y)
			big.Pix[d+3] = 255
			// the printed photo fills the frame minus a paper margin
			su := (u/float64(w)-margin)/(1-2*margin)*float64(w) + 0
			sv := (v/float64(h)-margin)/(1-2*margin)*float64(h) + 0
			inside := su >= 0 && sv >= 0 && su < float64(w) && sv < float64(h)
			var c [3]float64
			if inside {
				c = bilinear(src, su, sv, paper)
			}
			for i := 0; i < 3; i++ {
				val := paper[i]
				if inside {
					ink := 1 - c[i]/255 // cyan, magenta, yellow coverage
					a := angles[i] * math.Pi / 180
					pu := math.Cos(a)*float64(x) + math.Sin(a)*float64(y)
					pv := -math.Sin(a)*float64(x) + math.Cos(a)*float64(y)
					fu := pu/cell - math.Floor(pu/cell) - 0.5
					fv := pv/cell - math.Floor(pv/cell) - 0.5
					if math.Hypot(fu, fv) < math.Sqrt(ink/math.Pi) { // dot area = coverage
						val = paper[i] * 0.12
					}
				}
				big.Pix[d+i] = clamp(val)
			}
		}
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			o := dst.PixOffset(x, y)
			for i := 0; i < 3; i++ {
				var s float64
				for j := 0; j < up*up; j++ {
					s += float64(big.Pix[big.PixOffset(x*up+j%up, y*up+j/up)+i])
				}
				dst.Pix[o+i] = clamp(s/(up*up) + rng.NormFloat64()*4)
			}
			dst.Pix[o+3] = 255
		}
	}
	return dst
}

// reencode downscales src 4x (box filter), scales it back up (bilinear) and
// JPEG-encodes it at quality 8, twice.
func reencode(src *image.RGBA, _ *rand.Rand) image.Image {
	w, h := src.Bounds().Dx(), src.Bounds().Dy()
	sw, sh := max(1, w/4), max(1, h/4)
	small := image.NewRGBA(image.Rect(0, 0, sw, sh))
	for y := 0; y < sh; y++ {
		for x := 0; x < sw; x++ {
			var s [3]int
			for j := 0; j < 16; j++ {
				o := src.PixOffset(min(w-1, 4*x+j%4), min(h-1, 4*y+j/4))
				for i := 0; i < 3; i++ {
					s[i] += int(src.Pix[o+i])
				}
			}
			small.SetRGBA(x, y, color.RGBA{uint8(s[0] / 16), uint8(s[1] / 16), uint8(s[2] / 16), 255})
		}
	}
	var img image.Image = small
	up := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := bilinear(small, (float64(x)+0.5)*float64(sw)/float64(w), (float64(y)+0.5)*float64(sh)/float64(h), [3]float64{})
			up.SetRGBA(x, y, color.RGBA{clamp(c[0]), clamp(c[1]), clamp(c[2]), 255})
		}
	}
	img = up
	for i := 0; i < 2; i++ {
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 8}); err != nil {
			fail(err)
		}
		var err error
		if img, err = jpeg.Decode(&buf); err != nil {
			fail(err)
		}
	}
	return img
}
