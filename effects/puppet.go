package effects

import (
	"fmt"
	"math"
	"sort"

	"github.com/mienhq/mien/face"
)

// Puppet is a still portrait that a live face drives: each frame, the
// portrait's mesh moves by the live face's motion since its neutral frame
// (the first frame a Renderer sees, or after Renderer.ResetPuppet), and the
// portrait is warped triangle by triangle (piecewise affine over a Delaunay
// triangulation of its mesh, a ring around the face that follows it half
// way, and the image border, which stays put). When the live mouth opens, the mouth's interior is filled
// with a dark fill. A Puppet is immutable and safe for concurrent use.
type Puppet struct {
	img  *face.Image
	face Face
	ctl  []face.Point // control points: the mesh, the ring, the border
	tris [][3]int32
}

// MaxPortraitSide bounds the portrait's sides.
const MaxPortraitSide = 4096

// ringScale is how far the fixed ring sits from the face centre, in units
// of the face oval's distance from it.
const ringScale = 1.35

// faceOval is MediaPipe's face outline, in order.
var faceOval = []int{10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
	152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109}

// innerLips is the inner lip contour, in order (upper lip from the
// image-left corner, then the lower lip back).
var innerLips = []int{78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308, 324, 318, 402, 317, 14, 87, 178, 88, 95}

// NewPuppet prepares a portrait and its face mesh (from the mesh stage, in
// the portrait's pixels). A nil face is ErrNoFace.
func NewPuppet(portrait *face.Image, f *Face) (*Puppet, error) {
	if err := portrait.Valid(); err != nil {
		return nil, fmt.Errorf("effects: portrait: %w", err)
	}
	if portrait.W > MaxPortraitSide || portrait.H > MaxPortraitSide {
		return nil, fmt.Errorf("effects: portrait is %dx%d, over the %d limit", portrait.W, portrait.H, MaxPortraitSide)
	}
	if f == nil {
		return nil, fmt.Errorf("%w in the portrait", ErrNoFace)
	}
	if err := f.Valid(); err != nil {
		return nil, err
	}
	if fr := faceFrame(f); !fr.usable || fr.along < 8 {
		return nil, fmt.Errorf("effects: the portrait's face is too small to drive (eye distance under 8 px)")
	}
	p := &Puppet{img: portrait, face: *f}
	p.face.Points = append([]face.Point(nil), f.Points...)
	p.ctl = append(append([]face.Point(nil), f.Points...), ring(f.Points, portrait.W, portrait.H)...)
	p.ctl = append(p.ctl, ImageBorder(portrait.W, portrait.H)...)
	p.tris = triangulate(p.ctl)
	return p, nil
}

// Size returns the portrait's size, which is the size a puppet renders at.
func (p *Puppet) Size() (w, h int) { return p.img.W, p.img.H }

// Face returns the portrait's mesh at rest.
func (p *Puppet) Face() Face { return p.face }

// ring is the face oval pushed out from the face centre, kept inside the image.
func ring(pts []face.Point, w, h int) []face.Point {
	c := mean(pts, faceOval...)
	out := make([]face.Point, 0, len(faceOval))
	for _, i := range faceOval {
		q := face.Point{X: c.X + ringScale*(pts[i].X-c.X), Y: c.Y + ringScale*(pts[i].Y-c.Y)}
		q.X = min(max(q.X, 1), float32(w-1))
		q.Y = min(max(q.Y, 1), float32(h-1))
		out = append(out, q)
	}
	return out
}

// puppetState is a Renderer's memory of the live face's neutral frame.
type puppetState struct {
	of      *Puppet
	neutral []face.Point
	target  []face.Point
	moved   []face.Point
}

// ResetPuppet makes the next live face the puppet's neutral frame.
func (r *Renderer) ResetPuppet() { r.puppet.of, r.puppet.neutral = nil, nil }

// drive renders the puppet into dst for the live face f and returns the
// portrait's moved face.
func (r *Renderer) drive(dst *face.Image, p *Puppet, f *Face) *Face {
	st := &r.puppet
	if st.of != p {
		st.of, st.neutral = p, nil
	}
	copy(dst.Pix, p.img.Pix)
	if f == nil || !faceFrame(f).usable { // no face, or one too small to read
		f = nil
	}
	if f == nil {
		r.moved = p.face
		return &r.moved
	}
	if st.neutral == nil {
		st.neutral = append([]face.Point(nil), f.Points...)
	}
	st.target = puppetTargets(st.target, p, st.neutral, f.Points)
	warpTriangles(dst, p.img, p.ctl, st.target, p.tris)
	st.moved = append(st.moved[:0], st.target[:NumPoints]...)
	r.moved = Face{Points: st.moved, MouthOpen: mouthOpen(st.moved)}
	fillMouth(dst, st.moved, p.face.Points)
	return &r.moved
}

// puppetTargets moves the portrait's control points: each mesh point by the
// live face's displacement from its neutral frame, with the live face's
// translation and scale change removed and mapped into the portrait's
// scale and orientation (a similarity fitted from neutral to portrait);
// the ring takes half its oval point's motion and the border stays.
func puppetTargets(dst []face.Point, p *Puppet, neutral, live []face.Point) []face.Point {
	dst = append(dst[:0], p.ctl...)
	nc, ns := centroidScale(neutral, rigid)
	lc, ls := centroidScale(live, rigid)
	a, b := fitRotScale(neutral, p.face.Points) // neutral -> portrait, linear part [a -b; b a]
	k := ns / ls
	for i := 0; i < NumPoints; i++ {
		// live point in the neutral's frame (centre and size), minus the neutral point
		dx := (live[i].X-lc.X)*k + nc.X - neutral[i].X
		dy := (live[i].Y-lc.Y)*k + nc.Y - neutral[i].Y
		dst[i].X += a*dx - b*dy
		dst[i].Y += b*dx + a*dy
	}
	// the ring follows its face-oval point half way, so the band between
	// the face and the still border stretches gently, not at one seam
	w, h := float32(p.img.W), float32(p.img.H)
	for k, i := range faceOval {
		q := &dst[NumPoints+k]
		q.X = min(max(q.X+ringFollow*(dst[i].X-p.ctl[i].X), 0), w)
		q.Y = min(max(q.Y+ringFollow*(dst[i].Y-p.ctl[i].Y), 0), h)
	}
	return dst
}

// ringFollow is how much of its oval point's motion the ring takes.
const ringFollow = 0.5

// rigid are mesh points that an expression hardly moves (eye corners,
// nose bridge and ridge): the live face's position and size come from
// them, so an open mouth is not taken for a head movement.
var rigid = []int{33, 133, 362, 263, 168, 6, 197, 195, 5, 4}

// centroidScale is the centroid and RMS distance from it of the points idx
// (all mesh points when idx is nil).
func centroidScale(pts []face.Point, idx []int) (face.Point, float32) {
	if idx == nil {
		idx = allPoints[:]
	}
	c := mean(pts, idx...)
	var s float64
	for _, i := range idx {
		p := pts[i]
		s += float64((p.X-c.X)*(p.X-c.X) + (p.Y-c.Y)*(p.Y-c.Y))
	}
	return c, float32(math.Sqrt(s/float64(len(idx)))) + 1e-6
}

var allPoints = func() (a [NumPoints]int) {
	for i := range a {
		a[i] = i
	}
	return a
}()

// fitRotScale is the least-squares rotation and scale (as a, b of the
// matrix [a -b; b a]) taking the centred points of src onto those of dst.
func fitRotScale(src, dst []face.Point) (float32, float32) {
	sc, _ := centroidScale(src, nil)
	dc, _ := centroidScale(dst, nil)
	var num1, num2, den float64
	for i := 0; i < NumPoints; i++ {
		x, y := float64(src[i].X-sc.X), float64(src[i].Y-sc.Y)
		u, v := float64(dst[i].X-dc.X), float64(dst[i].Y-dc.Y)
		num1 += x*u + y*v
		num2 += x*v - y*u
		den += x*x + y*y
	}
	if den == 0 {
		return 1, 0
	}
	return float32(num1 / den), float32(num2 / den)
}

// Warp renders the portrait into dst with its mesh moved to the given
// points (NumPoints, in the portrait's pixels): the same piecewise-affine
// warp as a driven puppet (the ring follows half way, the border stays, an
// opened mouth is filled dark), but with the targets given directly, for
// callers that pose the mesh themselves (a head turned in 3D). dst must be
// the portrait's size. depth, when not nil, is each point's depth (smaller
// is nearer): the triangles are then drawn far to near, so that a turned
// nose covers the cheek behind it, as it would.
func (p *Puppet) Warp(dst *face.Image, points []face.Point, depth []float32) error {
	if err := dst.Valid(); err != nil {
		return fmt.Errorf("effects: destination: %w", err)
	}
	if dst.W != p.img.W || dst.H != p.img.H || len(points) != NumPoints {
		return fmt.Errorf("effects: warp needs a %dx%d destination and %d points (got %dx%d, %d)", p.img.W, p.img.H, NumPoints, dst.W, dst.H, len(points))
	}
	to := append([]face.Point(nil), p.ctl...)
	copy(to, points)
	w, h := float32(p.img.W), float32(p.img.H)
	for k, i := range faceOval {
		q := &to[NumPoints+k]
		q.X = min(max(q.X+ringFollow*(to[i].X-p.ctl[i].X), 0), w)
		q.Y = min(max(q.Y+ringFollow*(to[i].Y-p.ctl[i].Y), 0), h)
	}
	tris := p.tris
	if len(depth) == NumPoints {
		tris = byDepth(tris, depth)
	}
	copy(dst.Pix, p.img.Pix)
	warpTriangles(dst, p.img, p.ctl, to, tris)
	fillMouth(dst, to[:NumPoints], p.face.Points)
	return nil
}

// byDepth orders triangles far to near: those with a ring or border corner
// first (they lie behind the face), then the mesh's by their corners'
// mean depth, deepest first.
func byDepth(tris [][3]int32, depth []float32) [][3]int32 {
	out := append([][3]int32(nil), tris...)
	key := func(t [3]int32) float32 {
		var s float32
		for _, i := range t {
			if int(i) >= NumPoints {
				return float32(math.Inf(1))
			}
			s += depth[i]
		}
		return s / 3
	}
	sort.SliceStable(out, func(i, j int) bool { return key(out[i]) > key(out[j]) })
	return out
}
