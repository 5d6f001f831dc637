package document

import (
	"math"

	"github.com/mienhq/mien/face"
)

// Pick returns the index in dets of the document's portrait, the face
// with the best product of size (eye distance), frontality and detector
// score, and the index of a ghost image: another face well apart from it
// and at most 80% of its size (a document's second, fainter portrait).
// Either is -1 when there is none.
func Pick(dets []face.Detection) (portrait, ghost int) {
	portrait, ghost = -1, -1
	best := float32(-1)
	for i, d := range dets {
		if v := d.Landmarks.EyeDistance() * Frontality(d.Landmarks) * d.Score; v > best {
			best, portrait = v, i
		}
	}
	if portrait < 0 {
		return -1, -1
	}
	p := dets[portrait]
	size := float32(0)
	for i, d := range dets {
		e := d.Landmarks.EyeDistance()
		if i == portrait || d.Box.IoU(p.Box) > 0.05 || e > 0.8*p.Landmarks.EyeDistance() {
			continue
		}
		if e > size {
			size, ghost = e, i
		}
	}
	return portrait, ghost
}

// Frontality is 1 for a face looking straight at the camera, falling
// towards 0.3 as the nose moves sideways to the outer edge of an eye
// (a turned face, or landmarks that are not a face's).
func Frontality(l face.Landmarks5) float32 {
	mid := l[face.LeftEye].Add(l[face.RightEye]).Mul(0.5)
	dx, dy := float64(l[face.RightEye].X-l[face.LeftEye].X), float64(l[face.RightEye].Y-l[face.LeftEye].Y)
	half := math.Hypot(dx, dy) / 2
	if half < 1e-6 {
		return 0
	}
	n := l[face.Nose].Sub(mid)
	off := math.Abs((float64(n.X)*dx + float64(n.Y)*dy) / (2 * half)) // along the eye line
	return float32(1 - 0.7*math.Min(1, off/half))
}

// Tiles cuts a w x h image into 3x3 overlapping tiles, each half its width
// and height, for a second detection pass in which small faces are seen
// larger.
func Tiles(w, h int) []face.Rect {
	tw, th := float32(w)/2, float32(h)/2
	var out []face.Rect
	for j := range 3 {
		for i := range 3 {
			x, y := float32(i)*tw/2, float32(j)*th/2
			out = append(out, face.R(x, y, x+tw, y+th))
		}
	}
	return out
}

// MapBack moves a detection made on tile (resized to tw x th pixels) back
// into the coordinates of the image the tile was cut from.
func MapBack(d face.Detection, tile face.Rect, tw, th int) face.Detection {
	sx, sy := tile.Dx()/float32(tw), tile.Dy()/float32(th)
	p := func(q face.Point) face.Point { return face.Point{X: tile.Min.X + q.X*sx, Y: tile.Min.Y + q.Y*sy} }
	d.Box = face.Rect{Min: p(d.Box.Min), Max: p(d.Box.Max)}
	for i := range d.Landmarks {
		d.Landmarks[i] = p(d.Landmarks[i])
	}
	return d
}
