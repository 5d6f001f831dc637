package livegen

import (
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/mienhq/mien/effects"
	"github.com/mienhq/mien/face"
)

// faceOval is MediaPipe's face outline, in order (from the forehead's top,
// clockwise in the image).
var faceOval = []int{10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
	152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109}

// The head's outline ring: how far out from the face oval's centre its
// points sit, in units of the oval's distance from it, at the sides (ears)
// and above (hair); how deep they sit, as the share of the way from the
// face oval's point back to the turning pivot (the head's centre, where
// its outline is);
// and how little of the head's motion the ring below the chin (the neck)
// takes. The still ring beyond it holds the background.
const (
	headRingSide   = 1.28
	headRingTop    = 1.5
	headRingBelow  = 1.2
	headRingBack   = 0.6
	neckFollow     = 0.35
	stillRing      = 2.0
	depthSmoothing = 3
	headBands      = 3
)

// HeadWarper renders a synthetic head from one photo and its face mesh:
// the photo warped piecewise-affinely over control points that are the
// face mesh, a ring around the face on the head's outline (hair, ears,
// the sides of the head), which PoseHead turns with the face in 3D, a
// still ring beyond it (the background) and the image border. It differs
// from effects.Puppet.Warp, whose ring follows the face only half way and
// flat: there the hair, ears and outline stay behind while the face
// turns. A HeadWarper is immutable and safe for concurrent use.
type HeadWarper struct {
	img      *face.Image
	from     []face.Point // mesh, head ring, still ring, border: where they are in img
	z        []float32    // the mesh's depths, smoothed (SmoothDepth)
	ringZ    []float32    // the head ring's depths (mesh pixels, smaller nearer)
	follow   []float64    // how much of the head's motion each head-ring point takes
	tris     [][3]int32
	restMesh []face.Point
}

// NewHeadWarper prepares the photo img and its face mesh at rest (468
// points in img's pixels, depths z in the same pixels, smaller nearer).
// The depths are smoothed first (SmoothDepth): the mesh model's depths
// are rough where the face turns away at its sides, and a neighbour
// nearer than its outer neighbour there folds the near cheek over itself
// as the head turns (a sawtooth of skin at the face's edge).
func NewHeadWarper(img *face.Image, pts []face.Point, z []float32) (*HeadWarper, error) {
	if err := img.Valid(); err != nil {
		return nil, fmt.Errorf("livegen: head photo: %w", err)
	}
	if len(pts) != 468 || len(z) != len(pts) {
		return nil, fmt.Errorf("livegen: a head needs 468 mesh points with depths (got %d, %d)", len(pts), len(z))
	}
	z = SmoothDepth(pts, z, depthSmoothing)
	ring, ringZ, follow := headRing(pts, z)
	hw := &HeadWarper{img: img, z: z, ringZ: ringZ, follow: follow, restMesh: append([]face.Point(nil), pts...)}
	hw.from = append(append([]face.Point(nil), pts...), ring...)
	hw.from = append(hw.from, still(pts, img.W, img.H)...)
	hw.from = append(hw.from, effects.ImageBorder(img.W, img.H)...)
	hw.tris = effects.Triangulate(hw.from)
	if len(hw.tris) == 0 {
		return nil, fmt.Errorf("livegen: the head's control points do not triangulate")
	}
	return hw, nil
}

// ovalFrame is the face oval's centre and the face's half width (mesh).
func ovalFrame(pts []face.Point) (cx, cy, half float64) {
	minX, maxX := math.Inf(1), math.Inf(-1)
	for _, i := range faceOval {
		cx, cy = cx+float64(pts[i].X), cy+float64(pts[i].Y)
	}
	for _, p := range pts {
		minX, maxX = math.Min(minX, float64(p.X)), math.Max(maxX, float64(p.X))
	}
	n := float64(len(faceOval))
	return cx / n, cy / n, (maxX - minX) / 2
}

// headRing is the head's outline ring: each face-oval point pushed out from
// the oval's centre (to the ears at the sides, into the hair above, onto
// the neck below), headRingBack of the way from its oval point's depth back
// to the turning pivot's; below the chin it takes only neckFollow of the head's
// motion. Between the face oval and it lie headBands-1 more rings, their
// places and depths interpolated, so the side of the head stretches
// smoothly as it turns into view (one band of triangles from the face's
// edge to the ear fans into a sawtooth of skin).
func headRing(pts []face.Point, z []float32) ([]face.Point, []float32, []float64) {
	cx, cy, half := ovalFrame(pts)
	var cz float64
	for _, d := range z {
		cz += float64(d)
	}
	cz /= float64(len(z))
	pz := cz + 0.5*(2*half) // PoseMesh's pivot
	var ring []face.Point
	var ringZ []float32
	var follow []float64
	for b := 1; b <= headBands; b++ {
		t := float64(b) / headBands
		for _, i := range faceOval {
			dx, dy := float64(pts[i].X)-cx, float64(pts[i].Y)-cy
			r := math.Hypot(dx, dy) + 1e-9
			up, down := math.Max(0, -dy/r), math.Max(0, dy/r)
			s := headRingSide + (headRingTop-headRingSide)*up + (headRingBelow-headRingSide)*down
			s = 1 + t*(s-1)
			ring = append(ring, face.Point{X: float32(cx + s*dx), Y: float32(cy + s*dy)})
			// the outline lies between the face's edge and the pivot's depth,
			// never in front of the edge (a ring nearer than the face's
			// edge would fold over it as the head turns)
			zr := float64(z[i]) + headRingBack*math.Max(0, pz-float64(z[i]))
			ringZ = append(ringZ, float32(float64(z[i])+t*(zr-float64(z[i]))))
			follow = append(follow, 1-(1-neckFollow)*down*down*t)
		}
	}
	return ring, ringZ, follow
}

// still is a ring well outside the head that stays put (the background).
func still(pts []face.Point, w, h int) []face.Point {
	cx, cy, _ := ovalFrame(pts)
	out := make([]face.Point, 0, len(faceOval)/2)
	for k := 0; k < len(faceOval); k += 2 {
		p := pts[faceOval[k]]
		q := face.Point{X: float32(cx + stillRing*(float64(p.X)-cx)), Y: float32(cy + stillRing*(float64(p.Y)-cy))}
		if q.X > 1 && q.Y > 1 && q.X < float32(w-1) && q.Y < float32(h-1) {
			out = append(out, q)
		}
	}
	return out
}

// Render draws the head with its mesh at mesh (468 points, e.g. the rest
// mesh with the lips closed; the depths are the warper's) in pose h into
// dst (the photo's size): the
// mesh and the head ring posed together by PoseHead, the triangles drawn
// far to near (the still background first, then by their corners' mean
// depth), so a turned nose covers the cheek behind it and the far ear
// goes behind the face. It returns the posed mesh.
func (hw *HeadWarper) Render(dst *face.Image, mesh []face.Point, h Head) ([]face.Point, error) {
	if err := dst.Valid(); err != nil {
		return nil, fmt.Errorf("livegen: head destination: %w", err)
	}
	if dst.W != hw.img.W || dst.H != hw.img.H || len(mesh) != 468 {
		return nil, fmt.Errorf("livegen: a head renders %dx%d from 468 points (got %dx%d, %d)", hw.img.W, hw.img.H, dst.W, dst.H, len(mesh))
	}
	nr := len(hw.ringZ)
	ring := hw.from[468 : 468+nr]
	posed, depth, pr, prz := PoseHead(mesh, hw.z, ring, hw.ringZ, h)
	to := append([]face.Point(nil), hw.from...)
	copy(to, posed)
	deep := make([]float32, len(to))
	copy(deep, depth)
	for k := range pr {
		f := float32(hw.follow[k])
		to[468+k] = face.Point{X: ring[k].X + f*(pr[k].X-ring[k].X), Y: ring[k].Y + f*(pr[k].Y-ring[k].Y)}
		deep[468+k] = prz[k]
	}
	for i := 468 + nr; i < len(deep); i++ {
		deep[i] = float32(math.Inf(1))
	}
	copy(dst.Pix, hw.img.Pix)
	effects.WarpTriangles(dst, hw.img, hw.from, to, farToNear(hw.tris, deep))
	return posed, nil
}

// farToNear orders triangles by their corners' mean depth, deepest first
// (a triangle with a still corner is behind everything).
func farToNear(tris [][3]int32, depth []float32) [][3]int32 {
	out := append([][3]int32(nil), tris...)
	key := func(t [3]int32) float32 {
		var s float32
		for _, i := range t {
			s += depth[i]
		}
		return s / 3
	}
	sort.SliceStable(out, func(i, j int) bool { return key(out[i]) > key(out[j]) })
	return out
}

// SmoothDepth returns the depths z of the mesh pts smoothed iters times:
// each point's depth halfway to the mean of its neighbours' (the edges of a
// Delaunay triangulation of the points). The points do not move.
func SmoothDepth(pts []face.Point, z []float32, iters int) []float32 {
	out := append([]float32(nil), z...)
	if len(pts) != len(z) || iters <= 0 {
		return out
	}
	nb := make([][]int32, len(pts))
	for _, t := range effects.Triangulate(pts) {
		for a := 0; a < 3; a++ {
			for b := 0; b < 3; b++ {
				if a != b && !slices.Contains(nb[t[a]], t[b]) {
					nb[t[a]] = append(nb[t[a]], t[b])
				}
			}
		}
	}
	next := make([]float32, len(out))
	for range iters {
		for i := range out {
			next[i] = out[i]
			if len(nb[i]) == 0 {
				continue
			}
			var s float32
			for _, j := range nb[i] {
				s += out[j]
			}
			next[i] = 0.5*out[i] + 0.5*s/float32(len(nb[i]))
		}
		out, next = next, out
	}
	return out
}
