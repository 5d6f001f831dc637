package effects

import (
	"math"

	"github.com/mienhq/mien/face"
)

// stickerMap is the affine map between sticker pixels and image pixels
// for one face: image = origin + (sx - u0)*ka*e + (sy - v0)*kc*n.
type stickerMap struct {
	ox, oy float32 // origin: the anchor point in the image
	u0, v0 float32 // the anchor in sticker pixels
	fr     frame
	ka, kc float32 // image pixels per sticker pixel along e and along n
}

func (s *Sticker) mapFor(f *Face) (stickerMap, bool) {
	fr := faceFrame(f)
	if !fr.usable {
		return stickerMap{}, false
	}
	pl := placements[s.anchor]
	w, h := s.Size()
	o := mean(f.Points, pl.Points...)
	k := pl.Width / float32(w)
	return stickerMap{ox: o.X, oy: o.Y, u0: pl.U * float32(w), v0: pl.V * float32(h), fr: fr,
		ka: k * fr.along, kc: k * fr.across}, true
}

func (m stickerMap) toImage(sx, sy float32) face.Point {
	a, c := (sx-m.u0)*m.ka, (sy-m.v0)*m.kc
	return face.Point{X: m.ox + a*m.fr.ex + c*m.fr.nx, Y: m.oy + a*m.fr.ey + c*m.fr.ny}
}

func (m stickerMap) toSticker(x, y float32) (float32, float32) {
	dx, dy := x-m.ox, y-m.oy
	return m.u0 + (dx*m.fr.ex+dy*m.fr.ey)/m.ka, m.v0 + (dx*m.fr.nx+dy*m.fr.ny)/m.kc
}

// Place returns where the sticker's corners land on the face (top-left,
// top-right, bottom-right, bottom-left); ok is false when the mesh is too
// small or degenerate to carry it.
func (s *Sticker) Place(f *Face) (corners [4]face.Point, ok bool) {
	if f.Valid() != nil {
		return corners, false
	}
	m, ok := s.mapFor(f)
	if !ok {
		return corners, false
	}
	w, h := s.Size()
	for i, c := range [4][2]float32{{0, 0}, {float32(w), 0}, {float32(w), float32(h)}, {0, float32(h)}} {
		corners[i] = m.toImage(c[0], c[1])
	}
	return corners, true
}

// Draw composites the sticker over img at the face f: scaled, turned with
// the head's roll and shortened along the eye line as the head turns.
func (s *Sticker) Draw(img *face.Image, f *Face) {
	corners, ok := s.Place(f)
	if !ok || img.Valid() != nil {
		return
	}
	m, _ := s.mapFor(f)
	x0, y0, x1, y1 := bbox(corners[:], img.W, img.H)
	for y := y0; y < y1; y++ {
		row := img.Pix[3*y*img.W:]
		for x := x0; x < x1; x++ {
			sx, sy := m.toSticker(float32(x)+0.5, float32(y)+0.5)
			r, g, b, a := s.sample(sx-0.5, sy-0.5)
			if a <= 0 {
				continue
			}
			p := row[3*x : 3*x+3]
			ia := 1 - a
			p[0] = uint8(r + ia*float32(p[0]) + 0.5)
			p[1] = uint8(g + ia*float32(p[1]) + 0.5)
			p[2] = uint8(b + ia*float32(p[2]) + 0.5)
		}
	}
}

// bbox is the integer bounding box of pts clamped to w x h.
func bbox(pts []face.Point, w, h int) (x0, y0, x1, y1 int) {
	minX, minY := float32(math.Inf(1)), float32(math.Inf(1))
	maxX, maxY := float32(math.Inf(-1)), float32(math.Inf(-1))
	for _, p := range pts {
		minX, maxX = min(minX, p.X), max(maxX, p.X)
		minY, maxY = min(minY, p.Y), max(maxY, p.Y)
	}
	x0, y0 = max(0, int(math.Floor(float64(minX)))), max(0, int(math.Floor(float64(minY))))
	x1, y1 = min(w, int(math.Ceil(float64(maxX)))+1), min(h, int(math.Ceil(float64(maxY)))+1)
	return x0, y0, x1, y1
}

// sample is the bilinear sample of the sticker at (sx, sy) with
// premultiplied colour (0..255) and alpha (0..1); outside is transparent.
func (s *Sticker) sample(sx, sy float32) (r, g, b, a float32) {
	w, h := s.img.Rect.Dx(), s.img.Rect.Dy()
	if sx <= -1 || sy <= -1 || sx >= float32(w) || sy >= float32(h) {
		return 0, 0, 0, 0
	}
	fx, fy := float32(math.Floor(float64(sx))), float32(math.Floor(float64(sy)))
	ix, iy := int(fx), int(fy)
	ax, ay := sx-fx, sy-fy
	for dy := 0; dy < 2; dy++ {
		for dx := 0; dx < 2; dx++ {
			x, y := ix+dx, iy+dy
			if x < 0 || y < 0 || x >= w || y >= h {
				continue
			}
			wt := (1 - ax) * (1 - ay)
			switch {
			case dx == 1 && dy == 0:
				wt = ax * (1 - ay)
			case dx == 0 && dy == 1:
				wt = (1 - ax) * ay
			case dx == 1 && dy == 1:
				wt = ax * ay
			}
			i := y*s.img.Stride + 4*x
			p := s.img.Pix[i : i+4]
			pa := wt * float32(p[3]) / 255
			r += pa * float32(p[0])
			g += pa * float32(p[1])
			b += pa * float32(p[2])
			a += pa
		}
	}
	return r, g, b, a
}
