package mesh

import (
	"fmt"
	"math"

	"github.com/mienhq/mien/face"
)

// Pose is a head pose in degrees. Yaw is positive when the face turns
// towards the image's right, pitch positive when it tilts up, roll positive
// when it turns clockwise on screen. Translation is in the canonical face's
// units (about millimetres) in camera coordinates (x right, y down, z away).
type Pose struct {
	Yaw   float32    `json:"yaw"`
	Pitch float32    `json:"pitch"`
	Roll  float32    `json:"roll"`
	T     [3]float32 `json:"t"`
	// RMS is the reprojection error in pixels.
	RMS float32 `json:"rms"`
	rv  [3]float64
}

// canonical is a generic 3D face (the six-point model widely used for
// head pose, in millimetre-like units, nose tip at the origin), in camera
// axes: x to the image right, y down, z away from the camera.
var canonical = [...]struct {
	idx     int
	x, y, z float64
}{
	{1, 0, 0, 0},          // nose tip
	{152, 0, 330, 65},     // chin
	{33, -225, -170, 135}, // image-left eye, outer corner
	{263, 225, -170, 135}, // image-right eye, outer corner
	{61, -150, 150, 125},  // image-left mouth corner
	{291, 150, 150, 125},  // image-right mouth corner
}

// SolvePose fits the canonical face to the mesh with a pinhole camera of
// focal length focal pixels centred on the image (w x h), by Gauss-Newton
// (Levenberg-Marquardt damped) on the reprojection error. prev, when not
// nil, seeds the solve (tracking); otherwise it starts from a frontal face.
func SolvePose(m *Mesh, w, h int, focal float32, prev *Pose) (Pose, error) {
	var img [len(canonical)]face.Point
	for i, c := range canonical {
		img[i] = m.Points[c.idx].XY()
	}
	cam := camera{f: float64(focal), cx: float64(w) / 2, cy: float64(h) / 2}
	if cam.f <= 0 {
		cam.f = float64(max(w, h))
	}
	x := initPose(img[:], cam)
	if prev != nil && prev.T[2] > 0 {
		x = [6]float64{prev.rv[0], prev.rv[1], prev.rv[2], float64(prev.T[0]), float64(prev.T[1]), float64(prev.T[2])}
	}
	x, rms := solve(x, img[:], cam)
	if math.IsNaN(rms) || x[5] <= 0 {
		return Pose{}, fmt.Errorf("mesh: pose did not converge")
	}
	return toPose(x, rms), nil
}

type camera struct{ f, cx, cy float64 }

// initPose places a frontal canonical face where the eyes are.
func initPose(img []face.Point, cam camera) [6]float64 {
	eye := math.Hypot(float64(img[3].X-img[2].X), float64(img[3].Y-img[2].Y))
	z := cam.f * 450 / math.Max(eye, 1)
	n := img[0]
	return [6]float64{0, 0, 0, (float64(n.X) - cam.cx) * z / cam.f, (float64(n.Y) - cam.cy) * z / cam.f, z}
}

// residuals writes the reprojection errors of pose x into r (2 per point).
func residuals(x [6]float64, img []face.Point, cam camera, r []float64) {
	R := rodrigues(x[0], x[1], x[2])
	for i, c := range canonical {
		px := R[0]*c.x + R[1]*c.y + R[2]*c.z + x[3]
		py := R[3]*c.x + R[4]*c.y + R[5]*c.z + x[4]
		pz := R[6]*c.x + R[7]*c.y + R[8]*c.z + x[5]
		if pz < 1e-6 {
			pz = 1e-6
		}
		r[2*i] = cam.f*px/pz + cam.cx - float64(img[i].X)
		r[2*i+1] = cam.f*py/pz + cam.cy - float64(img[i].Y)
	}
}

const nres = 2 * len(canonical)

// solve runs damped Gauss-Newton with a numerical Jacobian.
func solve(x [6]float64, img []face.Point, cam camera) ([6]float64, float64) {
	var r, rt [nres]float64
	var J [nres][6]float64
	residuals(x, img, cam, r[:])
	cost := sumSq(r[:])
	lambda := 1e-3
	for it := 0; it < 30; it++ {
		for k := 0; k < 6; k++ {
			xt := x
			eps := 1e-6 * math.Max(1, math.Abs(x[k]))
			xt[k] += eps
			residuals(xt, img, cam, rt[:])
			for i := range rt {
				J[i][k] = (rt[i] - r[i]) / eps
			}
		}
		var A [6][6]float64
		var g [6]float64
		for i := 0; i < nres; i++ {
			for a := 0; a < 6; a++ {
				g[a] += J[i][a] * r[i]
				for b := 0; b < 6; b++ {
					A[a][b] += J[i][a] * J[i][b]
				}
			}
		}
		improved := false
		for try := 0; try < 8 && !improved; try++ {
			M := A
			for a := 0; a < 6; a++ {
				M[a][a] *= 1 + lambda
			}
			dx, ok := solve6(M, g)
			if !ok {
				lambda *= 10
				continue
			}
			xt := x
			for a := range xt {
				xt[a] -= dx[a]
			}
			residuals(xt, img, cam, rt[:])
			if c := sumSq(rt[:]); c < cost {
				x, r, cost, improved = xt, rt, c, true
				lambda = math.Max(lambda/10, 1e-9)
			} else {
				lambda *= 10
			}
		}
		if !improved {
			break
		}
	}
	return x, math.Sqrt(cost / float64(len(canonical)))
}

func sumSq(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x * x
	}
	return s
}

// solve6 solves M d = g by Gaussian elimination with partial pivoting.
func solve6(M [6][6]float64, g [6]float64) ([6]float64, bool) {
	for c := 0; c < 6; c++ {
		p := c
		for r := c + 1; r < 6; r++ {
			if math.Abs(M[r][c]) > math.Abs(M[p][c]) {
				p = r
			}
		}
		if math.Abs(M[p][c]) < 1e-15 {
			return g, false
		}
		M[c], M[p] = M[p], M[c]
		g[c], g[p] = g[p], g[c]
		for r := c + 1; r < 6; r++ {
			f := M[r][c] / M[c][c]
			for k := c; k < 6; k++ {
				M[r][k] -= f * M[c][k]
			}
			g[r] -= f * g[c]
		}
	}
	var d [6]float64
	for c := 5; c >= 0; c-- {
		s := g[c]
		for k := c + 1; k < 6; k++ {
			s -= M[c][k] * d[k]
		}
		d[c] = s / M[c][c]
	}
	return d, true
}

// rodrigues returns the row-major rotation matrix of a rotation vector.
func rodrigues(a, b, c float64) [9]float64 {
	th := math.Sqrt(a*a + b*b + c*c)
	if th < 1e-12 {
		return [9]float64{1, -c, b, c, 1, -a, -b, a, 1}
	}
	kx, ky, kz := a/th, b/th, c/th
	s, co := math.Sin(th), math.Cos(th)
	v := 1 - co
	return [9]float64{
		co + kx*kx*v, kx*ky*v - kz*s, kx*kz*v + ky*s,
		ky*kx*v + kz*s, co + ky*ky*v, ky*kz*v - kx*s,
		kz*kx*v - ky*s, kz*ky*v + kx*s, co + kz*kz*v,
	}
}

// toPose decomposes R = Ry(yaw) Rx(pitch) Rz(roll) in camera axes and maps
// the angles to the documented signs.
func toPose(x [6]float64, rms float64) Pose {
	R := rodrigues(x[0], x[1], x[2])
	deg := 180 / math.Pi
	pitch := math.Asin(math.Max(-1, math.Min(1, -R[5])))
	yaw := math.Atan2(R[2], R[8])
	roll := math.Atan2(R[3], R[4])
	return Pose{
		Yaw: float32(-yaw * deg), Pitch: float32(-pitch * deg), Roll: float32(roll * deg),
		T: [3]float32{float32(x[3]), float32(x[4]), float32(x[5])}, RMS: float32(rms),
		rv: [3]float64{x[0], x[1], x[2]},
	}
}
