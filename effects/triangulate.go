package effects

import (
	"math"

	"github.com/mienhq/mien/face"
)

// triangulate returns a Delaunay triangulation of pts (Bowyer-Watson) as
// index triples. Points closer than 1e-3 px to an earlier one are left out
// of the triangulation (no triangle uses them).
func triangulate(pts []face.Point) [][3]int32 {
	n := len(pts)
	if n < 3 {
		return nil
	}
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, p := range pts {
		minX, maxX = math.Min(minX, float64(p.X)), math.Max(maxX, float64(p.X))
		minY, maxY = math.Min(minY, float64(p.Y)), math.Max(maxY, float64(p.Y))
	}
	d := math.Max(maxX-minX, maxY-minY) + 1
	cx, cy := (minX+maxX)/2, (minY+maxY)/2
	// points in float64, then the three vertices of a super-triangle
	xs := make([]float64, n+3)
	ys := make([]float64, n+3)
	for i, p := range pts {
		xs[i], ys[i] = float64(p.X), float64(p.Y)
	}
	xs[n], ys[n] = cx-20*d, cy-d
	xs[n+1], ys[n+1] = cx, cy+20*d
	xs[n+2], ys[n+2] = cx+20*d, cy-d
	tris := []dtri{newDtri(n, n+1, n+2, xs, ys)}
	for i := 0; i < n; i++ {
		if duplicate(xs, ys, i) {
			continue
		}
		tris = insert(tris, i, xs, ys)
	}
	out := make([][3]int32, 0, len(tris))
	for _, t := range tris {
		if t.v[0] < n && t.v[1] < n && t.v[2] < n {
			out = append(out, [3]int32{int32(t.v[0]), int32(t.v[1]), int32(t.v[2])})
		}
	}
	return out
}

func duplicate(xs, ys []float64, i int) bool {
	for j := 0; j < i; j++ {
		if math.Abs(xs[i]-xs[j]) < 1e-3 && math.Abs(ys[i]-ys[j]) < 1e-3 {
			return true
		}
	}
	return false
}

type dtri struct {
	v          [3]int
	cx, cy, r2 float64 // circumcircle
}

func newDtri(a, b, c int, xs, ys []float64) dtri {
	ax, ay, bx, by, qx, qy := xs[a], ys[a], xs[b], ys[b], xs[c], ys[c]
	d := 2 * (ax*(by-qy) + bx*(qy-ay) + qx*(ay-by))
	t := dtri{v: [3]int{a, b, c}}
	if d == 0 {
		t.r2 = math.Inf(1) // degenerate: any later point removes it
		return t
	}
	a2, b2, c2 := ax*ax+ay*ay, bx*bx+by*by, qx*qx+qy*qy
	t.cx = (a2*(by-qy) + b2*(qy-ay) + c2*(ay-by)) / d
	t.cy = (a2*(qx-bx) + b2*(ax-qx) + c2*(bx-ax)) / d
	t.r2 = (ax-t.cx)*(ax-t.cx) + (ay-t.cy)*(ay-t.cy)
	return t
}

// insert adds point i: the triangles whose circumcircle holds it are
// removed and the hole's boundary is joined to the point.
func insert(tris []dtri, i int, xs, ys []float64) []dtri {
	px, py := xs[i], ys[i]
	var edges [][2]int
	keep := tris[:0]
	for _, t := range tris {
		dx, dy := px-t.cx, py-t.cy
		if dx*dx+dy*dy < t.r2 {
			edges = append(edges, [2]int{t.v[0], t.v[1]}, [2]int{t.v[1], t.v[2]}, [2]int{t.v[2], t.v[0]})
			continue
		}
		keep = append(keep, t)
	}
	for j, e := range edges {
		shared := false
		for k, o := range edges {
			if k != j && ((o[0] == e[0] && o[1] == e[1]) || (o[0] == e[1] && o[1] == e[0])) {
				shared = true
				break
			}
		}
		if !shared {
			keep = append(keep, newDtri(e[0], e[1], i, xs, ys))
		}
	}
	return keep
}
