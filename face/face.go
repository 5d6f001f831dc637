// Package face holds the value types every stage of mien shares: points,
// rectangles, five-point landmarks, detections and embeddings. It imports
// only the standard library and has no behaviour beyond small geometry.
package face

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
)

// Point is a position in image pixels (x right, y down).
type Point struct {
	X float32 `json:"x"`
	Y float32 `json:"y"`
}

// Add returns p+q.
func (p Point) Add(q Point) Point { return Point{p.X + q.X, p.Y + q.Y} }

// Sub returns p-q.
func (p Point) Sub(q Point) Point { return Point{p.X - q.X, p.Y - q.Y} }

// Mul returns p scaled by k.
func (p Point) Mul(k float32) Point { return Point{p.X * k, p.Y * k} }

// Dist returns the Euclidean distance between p and q.
func (p Point) Dist(q Point) float32 {
	d := p.Sub(q)
	return float32(math.Hypot(float64(d.X), float64(d.Y)))
}

// Rect is an axis-aligned box [Min, Max) in image pixels, like image.Rectangle
// but in float32 so detector outputs keep their sub-pixel precision.
type Rect struct{ Min, Max Point }

// rectJSON is Rect's wire form: top-left corner and size.
type rectJSON struct {
	X      float32 `json:"x"`
	Y      float32 `json:"y"`
	Width  float32 `json:"width"`
	Height float32 `json:"height"`
}

// MarshalJSON writes {"x","y","width","height"}.
func (r Rect) MarshalJSON() ([]byte, error) {
	return json.Marshal(rectJSON{r.Min.X, r.Min.Y, r.Max.X - r.Min.X, r.Max.Y - r.Min.Y})
}

// UnmarshalJSON reads {"x","y","width","height"}.
func (r *Rect) UnmarshalJSON(b []byte) error {
	var j rectJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*r = R(j.X, j.Y, j.X+j.Width, j.Y+j.Height)
	return nil
}

// R is shorthand for Rect{Point{x0, y0}, Point{x1, y1}}.
func R(x0, y0, x1, y1 float32) Rect { return Rect{Point{x0, y0}, Point{x1, y1}} }

// Dx returns the width (0 for an empty rectangle).
func (r Rect) Dx() float32 { return max(0, r.Max.X-r.Min.X) }

// Dy returns the height (0 for an empty rectangle).
func (r Rect) Dy() float32 { return max(0, r.Max.Y-r.Min.Y) }

// Area returns Dx*Dy.
func (r Rect) Area() float32 { return r.Dx() * r.Dy() }

// Empty reports whether the rectangle contains no area.
func (r Rect) Empty() bool { return r.Min.X >= r.Max.X || r.Min.Y >= r.Max.Y }

// Center returns the centre point.
func (r Rect) Center() Point { return Point{(r.Min.X + r.Max.X) / 2, (r.Min.Y + r.Max.Y) / 2} }

// Intersect returns the largest rectangle inside both r and s (empty when they do not overlap).
func (r Rect) Intersect(s Rect) Rect {
	out := Rect{
		Min: Point{max(r.Min.X, s.Min.X), max(r.Min.Y, s.Min.Y)},
		Max: Point{min(r.Max.X, s.Max.X), min(r.Max.Y, s.Max.Y)},
	}
	if out.Empty() {
		return Rect{}
	}
	return out
}

// IoU returns the intersection over union of r and s, in [0, 1].
func (r Rect) IoU(s Rect) float32 {
	inter := r.Intersect(s).Area()
	union := r.Area() + s.Area() - inter
	if union <= 0 {
		return 0
	}
	return inter / union
}

// Scale returns r scaled by k about its centre.
func (r Rect) Scale(k float32) Rect {
	c := r.Center()
	hw, hh := r.Dx()*k/2, r.Dy()*k/2
	return R(c.X-hw, c.Y-hh, c.X+hw, c.Y+hh)
}

// Square returns the square of side max(Dx, Dy) with the same centre.
func (r Rect) Square() Rect {
	c := r.Center()
	h := max(r.Dx(), r.Dy()) / 2
	return R(c.X-h, c.Y-h, c.X+h, c.Y+h)
}

// Clamp returns r clipped to the rectangle (0,0)-(w,h).
func (r Rect) Clamp(w, h int) Rect {
	return r.Intersect(R(0, 0, float32(w), float32(h)))
}

// Landmark indices of the five-point layout, in the order of the ArcFace
// alignment template: image-left eye, image-right eye, nose tip,
// image-left mouth corner, image-right mouth corner.
const (
	LeftEye = iota
	RightEye
	Nose
	LeftMouth
	RightMouth
)

// Landmarks5 are five facial points in the ArcFace template order.
type Landmarks5 [5]Point

// EyeDistance returns the distance between the two eye points.
func (l Landmarks5) EyeDistance() float32 { return l[LeftEye].Dist(l[RightEye]) }

// Detection is one face found in an image.
type Detection struct {
	Box       Rect       `json:"box"`
	Score     float32    `json:"score"`
	Landmarks Landmarks5 `json:"landmarks"`
}

// Embedding is an L2-normalised face template together with the id of the
// recognizer model that made it. Templates from different models are not
// comparable.
type Embedding struct {
	Model  string    `json:"model"`
	Vector []float32 `json:"vector"`
}

// ErrModelMismatch is returned when two embeddings from different models are compared.
var ErrModelMismatch = errors.New("face: embeddings come from different models")

// Cosine returns the cosine similarity of two unit embeddings, in [-1, 1].
// It refuses embeddings of different models or lengths rather than returning 0.
func Cosine(a, b Embedding) (float32, error) {
	if a.Model != b.Model {
		return 0, fmt.Errorf("%w: %q vs %q", ErrModelMismatch, a.Model, b.Model)
	}
	if len(a.Vector) != len(b.Vector) || len(a.Vector) == 0 {
		return 0, fmt.Errorf("face: embedding lengths %d and %d differ or are empty", len(a.Vector), len(b.Vector))
	}
	return Dot(a.Vector, b.Vector), nil
}

// Dot returns the dot product of two equal-length vectors (8-way unrolled:
// the gallery search's inner loop).
func Dot(a, b []float32) float32 {
	n := min(len(a), len(b))
	a, b = a[:n], b[:n]
	var s0, s1, s2, s3, s4, s5, s6, s7 float32
	i := 0
	for ; i+8 <= n; i += 8 {
		aa, bb := a[i:i+8:i+8], b[i:i+8:i+8]
		s0 += aa[0] * bb[0]
		s1 += aa[1] * bb[1]
		s2 += aa[2] * bb[2]
		s3 += aa[3] * bb[3]
		s4 += aa[4] * bb[4]
		s5 += aa[5] * bb[5]
		s6 += aa[6] * bb[6]
		s7 += aa[7] * bb[7]
	}
	for ; i < n; i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3) + (s4 + s5) + (s6 + s7)
}

// Normalize scales v in place to unit length and returns its original norm.
// A zero vector is left unchanged and reports 0.
func Normalize(v []float32) float32 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	n := math.Sqrt(s)
	if n == 0 {
		return 0
	}
	inv := float32(1 / n)
	for i := range v {
		v[i] *= inv
	}
	return float32(n)
}
