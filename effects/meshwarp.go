package effects

import "github.com/mienhq/mien/face"

// Triangulate returns a Delaunay triangulation of pts (index triples), for
// callers that warp an image over control points of their own (a synthetic
// head whose outline moves with it). Points closer than 1e-3 px to an
// earlier one are left out.
func Triangulate(pts []face.Point) [][3]int32 { return triangulate(pts) }

// WarpTriangles draws each triangle tris[i] of the control points at their
// target positions (to) with src's pixels under their source positions
// (from), mapped by the triangle's affine map, in the order given (later
// triangles cover earlier ones). Triangles whose corners did not move keep
// what dst holds: callers start dst as a copy of src. dst and src must have
// the same size.
func WarpTriangles(dst, src *face.Image, from, to []face.Point, tris [][3]int32) {
	warpTriangles(dst, src, from, to, tris)
}

// ImageBorder is the image's corners and edge points, every quarter side:
// control points that pin the frame while a face is warped inside it.
func ImageBorder(w, h int) []face.Point {
	W, H := float32(w), float32(h)
	var out []face.Point
	for k := 0; k < 4; k++ {
		t := float32(k) / 4
		out = append(out, face.Point{X: t * W, Y: 0}, face.Point{X: W, Y: t * H},
			face.Point{X: W - t*W, Y: H}, face.Point{X: 0, Y: H - t*H})
	}
	return out
}
