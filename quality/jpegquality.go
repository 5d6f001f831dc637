package quality

import (
	"math"
	"sort"

	"github.com/mienhq/mien/face"
)

// MinJPEGQuality is the estimated JPEG quality under which a face is too
// compressed for the passive anti-spoof score to mean anything
// (docs/benchmarks.md, "Liveness: frames too compressed to judge"): the
// MiniFASNet ensemble reads the smoothing of hard compression as a live
// face's low detail, and printed photos re-encoded by ffmpeg's MJPEG
// encoder so that they read 39 or less scored as live (read 55: none).
// Clients should send 70 or more (the web page sends 85).
const MinJPEGQuality = 50

// JPEGQuality estimates the quality (libjpeg's 1-100 scale) a face's box
// was last compressed at, from its pixels alone: the 8x8 grid's phase is
// found from the luminance steps across the columns and rows of the box,
// then the grid's blocks are transformed (the JPEG DCT) and the
// quantisation step of seven low-frequency coefficients is read from
// their values, which cluster at its multiples; the steps, over the
// standard luminance table, give the quality. It works on any decoded
// frame (JPEG, or MJPEG from a video) as long as it was not scaled after
// it was compressed.
//
// ok is false when the box (clamped to the image) is under 32 pixels on a
// side or flat, or shows no block grid (no visible steps on an 8-pixel
// period: an uncompressed frame, a JPEG of quality 90 or more, or one
// scaled after compression); the quality is then unknown.
func JPEGQuality(img *face.Image, box face.Rect) (quality int, ok bool) {
	l, ok := lumBox(img, box)
	if !ok {
		return 0, false
	}
	xs, okx := gridPhases(l, true)
	ys, oky := gridPhases(l, false)
	if !okx || !oky {
		return 0, false
	}
	// the two strongest phases of each axis: at high quality the grid's
	// steps barely show, and a wrong phase's coefficients fit no table
	bestQ, bestFit := 0, -1.0
	for _, px := range xs {
		for _, py := range ys {
			coefs := gridBlocks(l, px, py)
			q, fit := fitTable(coefs)
			// an encoder with its own table (ffmpeg's MJPEG scales MPEG's)
			// fits no scaled standard table, or a finer one whose steps
			// divide its: the low frequencies' own steps, against the
			// standard table's, say how coarse it is
			if lq, ok := lowFrequencyQuality(coefs); ok && (q == 0 || lq < q-5) {
				q = lq
				fit = max(fit, 0) // a table fit ranks first
			}
			if q > 0 && fit > bestFit {
				bestQ, bestFit = q, fit
			}
			if bestFit >= 0.9 {
				return bestQ, true // the strongest phases fit a table well
			}
		}
	}
	return bestQ, bestQ > 0
}

// gridBlocks transforms the blocks of the grid whose steps lie after
// columns px and rows py (mod 8, image coordinates): at most maxBlocks,
// spread over the box.
func gridBlocks(l lum, px, py int) [][64]float64 {
	bx0 := ((px+1-l.x0)%8 + 8) % 8
	by0 := ((py+1-l.y0)%8 + 8) % 8
	var at [][2]int
	for by := by0; by+8 <= l.h; by += 8 {
		for bx := bx0; bx+8 <= l.w; bx += 8 {
			at = append(at, [2]int{bx, by})
		}
	}
	if len(at) > maxBlocks {
		kept := at[:0]
		for i := range maxBlocks {
			kept = append(kept, at[i*len(at)/maxBlocks])
		}
		at = kept
	}
	coefs := make([][64]float64, len(at))
	var tmp [64]float64
	for i, p := range at {
		blk := &coefs[i]
		for y := range 8 {
			for x := range 8 {
				blk[8*y+x] = float64(l.v[(p[1]+y)*l.w+p[0]+x]) - 128
			}
		}
		dct8x8(blk, &tmp)
	}
	return coefs
}

// lowFrequencyQuality reads the quantisation step of each of the nine
// lowest AC frequencies on its own (quantStep) and turns the median of
// their ratios to the standard table into libjpeg's quality scale; false
// when fewer than three steps are seen.
func lowFrequencyQuality(coefs [][64]float64) (int, bool) {
	var scales []float64
	c := make([]float64, len(coefs))
	for _, k := range lowAC {
		for b := range coefs {
			c[b] = coefs[b][k]
		}
		if step := quantStep(c); step > 0 {
			scales = append(scales, float64(step)*100/stdLuma[k/8][k%8])
		}
	}
	if len(scales) < 3 {
		return 0, false
	}
	sort.Float64s(scales)
	s := scales[len(scales)/2]
	q := 5000 / s
	if s <= 100 {
		q = (200 - s) / 2
	}
	return int(math.Round(math.Max(1, math.Min(100, q)))), true
}

// lowAC are the nine lowest AC frequencies, row-major (v*8+u).
var lowAC = []int{1, 8, 9, 2, 16, 10, 17, 3, 24}

// quantStep reads one coefficient's quantisation step from its values:
// the commonest magnitude at least 1.5 from zero (a quantised AC
// coefficient is most often one step from zero), refined to the mean of
// the values within 1.5 of it, and kept when 80% of the values lie within
// a quarter step (at most 2) of its multiples. 0 when no step is seen:
// fewer than 8 values off zero, or values that do not cluster.
func quantStep(c []float64) int {
	const top = 160
	var h [top + 2]int
	var vals []float64
	for _, v := range c {
		a := math.Abs(v)
		if a < 1.5 || a > top {
			continue
		}
		vals = append(vals, a)
		h[int(math.Round(a))]++
	}
	if len(vals) < 8 {
		return 0
	}
	m, best := 0, 0
	for k := 2; k <= top; k++ {
		if n := h[k-1] + h[k] + h[k+1]; n > best {
			m, best = k, n
		}
	}
	var sum float64
	n := 0
	for _, a := range vals {
		if math.Abs(a-float64(m)) <= 1.5 {
			sum += a
			n++
		}
	}
	step := math.Round(sum / float64(n))
	if step < 2 {
		return 0
	}
	tol := math.Min(2, step/4)
	fit := 0
	for _, a := range vals {
		if math.Abs(a-step*math.Round(a/step)) <= tol {
			fit++
		}
	}
	if float64(fit) < 0.8*float64(len(vals)) {
		return 0
	}
	return int(step)
}

// fitTable finds the lowest quality whose scaled standard table the AC
// coefficients fit: of the coefficients at least half their step from zero
// (zeros fit every table), 80% lie within a quarter step (at most 2) of a
// multiple of it, with 8 such coefficients at least (a heavily compressed
// smooth face keeps few off zero) and a fifth of them one step from zero
// (the commonest level of a quantised coefficient: a finer table whose
// steps divide the encoder's sees them several steps out, and must not be
// taken for it). Coarser tables than the encoder's leave the coefficients
// one step from zero between their multiples. 0 when none fits.
func fitTable(coefs [][64]float64) (quality int, fit float64) {
	if len(coefs) < 4 {
		return 0, 0
	}
	// the coefficients off zero, once: a table whose steps are 2 or more
	// counts none of the others
	type coef struct {
		k int
		c float64
	}
	var cs []coef
	for b := range coefs {
		for _, k := range fitAC {
			if c := coefs[b][k]; math.Abs(c) >= 1 {
				cs = append(cs, coef{k, c})
			}
		}
	}
	bail := int(0.2*float64(len(cs))) + 1 // more misfits than this: under 80% of any n
	for q := 1; q <= 95; q++ {
		t := table(q)
		n, ok, one, miss := 0, 0, 0, 0
		for _, e := range cs {
			step := t[e.k]
			if step < 2 || math.Abs(e.c) < step/2 {
				continue
			}
			n++
			if r := math.Round(e.c / step); math.Abs(e.c-step*r) <= math.Min(2, step/4) {
				ok++
				if r == 1 || r == -1 {
					one++
				}
			} else if miss++; miss > bail {
				break
			}
		}
		if n >= 8 && float64(ok) >= 0.8*float64(n) && float64(one) >= 0.2*float64(n) {
			return q, float64(ok) / float64(n)
		}
	}
	return 0, 0
}

// maxBlocks bounds the blocks read (a face about 90 pixels wide).
const maxBlocks = 128

// fitAC are the AC frequencies fitTable reads, row-major: those under 5 in
// both directions (a face's detail is there; the others are mostly zero).
var fitAC = func() (ks []int) {
	for v := range 5 {
		for u := range 5 {
			if u+v > 0 {
				ks = append(ks, 8*v+u)
			}
		}
	}
	return ks
}()

// table is libjpeg's luminance table at a quality, in row-major order.
func table(q int) (t [64]float64) {
	s := 5000 / float64(q)
	if q >= 50 {
		s = float64(200 - 2*q)
	}
	for k := range 64 {
		v := math.Floor((stdLuma[k/8][k%8]*s + 50) / 100)
		t[k] = math.Max(1, math.Min(255, v))
	}
	return t
}

// stdLuma is the JPEG standard's luminance table (ITU-T T.81 K.1), row v,
// column u: libjpeg scales it by quality.
var stdLuma = [8][8]float64{
	{16, 11, 10, 16, 24, 40, 51, 61},
	{12, 12, 14, 19, 26, 58, 60, 55},
	{14, 13, 16, 24, 40, 57, 69, 56},
	{14, 17, 22, 29, 51, 87, 80, 62},
	{18, 22, 37, 56, 68, 109, 103, 77},
	{24, 35, 55, 64, 81, 104, 113, 92},
	{49, 64, 78, 87, 103, 121, 120, 101},
	{72, 92, 95, 98, 112, 100, 103, 99},
}

var cosTab = func() (t [8][8]float64) {
	for x := range 8 {
		for u := range 8 {
			t[x][u] = math.Cos(float64(2*x+1) * float64(u) * math.Pi / 16)
		}
	}
	return t
}()

// norm is the DCT's scale per frequency: sqrt(1/8) for 0, sqrt(2/8) else.
var norm = [8]float64{math.Sqrt(0.125), 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5}

// dct8x8 replaces an 8x8 block (row-major, y*8+x) by its JPEG DCT
// coefficients (row v, column u); tmp is scratch. The transform is
// separable: along each row, then along each column.
func dct8x8(b, tmp *[64]float64) {
	for y := range 8 {
		dct8(b[8*y:], 1, tmp[8*y:], 1)
	}
	for u := range 8 {
		dct8(tmp[u:], 8, b[u:], 8)
	}
}

// dct8 is the 8-point DCT of src[0], src[step], ... into dst[0],
// dst[dstep], ...
func dct8(src []float64, step int, dst []float64, dstep int) {
	for k := range 8 {
		var s float64
		for i := range 8 {
			s += src[i*step] * cosTab[i][k]
		}
		dst[k*dstep] = s * norm[k]
	}
}

// lum is the luminance of a box, in image coordinates from (x0, y0).
type lum struct {
	v      []float32
	x0, y0 int
	w, h   int
}

func lumBox(img *face.Image, box face.Rect) (lum, bool) {
	x0, y0, x1, y1, ok := pixelBox(img, box)
	if !ok || x1-x0 < 32 || y1-y0 < 32 {
		return lum{}, false
	}
	l := lum{v: make([]float32, (x1-x0)*(y1-y0)), x0: x0, y0: y0, w: x1 - x0, h: y1 - y0}
	for y := y0; y < y1; y++ {
		row := img.Pix[3*(y*img.W+x0) : 3*(y*img.W+x1)]
		for i := range l.w {
			r, g, b := float32(row[3*i]), float32(row[3*i+1]), float32(row[3*i+2])
			l.v[(y-y0)*l.w+i] = 0.299*r + 0.587*g + 0.114*b
		}
	}
	return l, true
}

// gridPhases returns the two 8-pixel phases (in image coordinates) of
// the strongest mean luminance steps across columns (cols) or rows (the
// step between pixel p and p+1 for p%8 == phase), strongest first; false
// when the box is flat.
func gridPhases(l lum, cols bool) ([]int, bool) {
	var sum, n [8]float64
	for y := range l.h {
		r := l.v[y*l.w : (y+1)*l.w]
		if cols {
			for x := 0; x < l.w-1; x++ {
				k := (l.x0 + x) % 8
				sum[k] += math.Abs(float64(r[x+1] - r[x]))
				n[k]++
			}
		} else if y < l.h-1 {
			nx := l.v[(y+1)*l.w : (y+2)*l.w]
			k := (l.y0 + y) % 8
			for x := range l.w {
				sum[k] += math.Abs(float64(nx[x] - r[x]))
				n[k]++
			}
		}
	}
	idx := []int{0, 1, 2, 3, 4, 5, 6, 7}
	var v [8]float64
	var total float64
	for k := range v {
		if n[k] == 0 {
			return nil, false
		}
		v[k] = sum[k] / n[k]
		total += v[k]
	}
	if total < 0.8 {
		return nil, false
	}
	sort.SliceStable(idx, func(i, j int) bool { return v[idx[i]] > v[idx[j]] })
	return idx[:2], true
}
