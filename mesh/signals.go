package mesh

import (
	"math"

	"github.com/mienhq/mien/face"
)

// Signals are per-frame expression measures, each a ratio of distances on
// the mesh so that they do not depend on the face's size in the image.
// They are geometry, not an emotion or attribute classifier.
type Signals struct {
	// EyeOpen is each eye's aspect ratio (mean lid gap over corner
	// distance) from the iris model's eye contour, or from the mesh when
	// iris refinement is off: index 0 is the image-left eye. Open eyes are
	// about 0.25-0.35; closed ones fall below about 0.12.
	EyeOpen [2]float32 `json:"eye_open"`
	// MouthOpen is the inner-lip gap over the mouth width.
	MouthOpen float32 `json:"mouth_open"`
	// BrowRaise is the mean gap from the brows to the upper lids over the
	// outer-eye-corner distance.
	BrowRaise float32 `json:"brow_raise"`
	// Smile is the lift of the mouth corners above the lip centre line,
	// over the mouth width (positive: corners up).
	Smile float32 `json:"smile"`
	// MouthWidth is the mouth-corner distance over the outer-eye-corner distance.
	MouthWidth float32 `json:"mouth_width"`
	// Gaze is where the irises sit in the eyes, averaged over both eyes, in
	// eye widths from the eye centre (x to the image right, y down); zero
	// without iris refinement.
	Gaze face.Point `json:"gaze"`
}

// Mesh indices used by the signals.
const (
	lipUpper, lipLower   = 13, 14
	mouthLeft, mouthRght = 61, 291
	eyeOuterL, eyeOuterR = 33, 263
)

// eyeLids are the (upper, lower) lid pairs of the eye contour (iris model
// indices) and of the mesh (image-left eye, image-right eye).
var (
	contourLids = [3][2]int{{11, 3}, {12, 4}, {13, 5}}
	meshLids    = [2][3][2]int{{{160, 144}, {159, 145}, {158, 153}}, {{385, 380}, {386, 374}, {387, 373}}}
	meshCorners = [2][2]int{{33, 133}, {362, 263}}
	browUpper   = [2][2]int{{105, 159}, {334, 386}} // brow point, upper-lid point
)

// Measure computes the expression signals of a mesh.
func Measure(m *Mesh) Signals {
	var s Signals
	p := func(i int) face.Point { return m.Points[i].XY() }
	eyes := p(eyeOuterL).Dist(p(eyeOuterR))
	mouthW := p(mouthLeft).Dist(p(mouthRght))
	if eyes < 1e-3 || mouthW < 1e-3 {
		return s
	}
	for e := 0; e < 2; e++ {
		if m.HasIris {
			c := &m.Eyes[e].Contour
			s.EyeOpen[e] = aspect(c[0].XY(), c[8].XY(), func(k int) (face.Point, face.Point) {
				return c[contourLids[k][0]].XY(), c[contourLids[k][1]].XY()
			})
		} else {
			s.EyeOpen[e] = aspect(p(meshCorners[e][0]), p(meshCorners[e][1]), func(k int) (face.Point, face.Point) {
				return p(meshLids[e][k][0]), p(meshLids[e][k][1])
			})
		}
	}
	s.MouthOpen = p(lipUpper).Dist(p(lipLower)) / mouthW
	s.BrowRaise = (p(browUpper[0][0]).Dist(p(browUpper[0][1])) + p(browUpper[1][0]).Dist(p(browUpper[1][1]))) / (2 * eyes)
	s.MouthWidth = mouthW / eyes
	s.Smile = lift(p(mouthLeft), p(mouthRght), p(lipUpper).Add(p(lipLower)).Mul(0.5), p(eyeOuterL), p(eyeOuterR)) / mouthW
	if m.HasIris {
		s.Gaze = gaze(m)
	}
	return s
}

// aspect is the mean lid gap over the corner distance.
func aspect(a, b face.Point, lid func(k int) (face.Point, face.Point)) float32 {
	w := a.Dist(b)
	if w < 1e-3 {
		return 0
	}
	var sum float32
	for k := 0; k < 3; k++ {
		u, l := lid(k)
		sum += u.Dist(l)
	}
	return sum / (3 * w)
}

// lift is how far the mouth corners sit above the lip centre, measured
// perpendicular to the eye line (so head roll does not count).
func lift(l, r, centre, eyeL, eyeR face.Point) float32 {
	d := eyeR.Sub(eyeL)
	n := float32(math.Hypot(float64(d.X), float64(d.Y)))
	// unit "down" vector of the face: the eye line turned +90 degrees
	down := face.Point{X: -d.Y / n, Y: d.X / n}
	corners := l.Add(r).Mul(0.5).Sub(centre)
	return -(corners.X*down.X + corners.Y*down.Y)
}

// gaze is the mean iris offset from the eye centre in eye widths.
func gaze(m *Mesh) face.Point {
	var g face.Point
	for e := 0; e < 2; e++ {
		c := &m.Eyes[e].Contour
		a, b := c[0].XY(), c[8].XY()
		if e == 1 {
			a, b = b, a
		}
		w := a.Dist(b)
		if w < 1e-3 {
			return face.Point{}
		}
		ux := b.Sub(a).Mul(1 / w)
		off := m.Eyes[e].Iris[0].XY().Sub(a.Add(b).Mul(0.5))
		g = g.Add(face.Point{X: (off.X*ux.X + off.Y*ux.Y) / w, Y: (-off.X*ux.Y + off.Y*ux.X) / w})
	}
	return g.Mul(0.5)
}
