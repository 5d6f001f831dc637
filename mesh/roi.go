package mesh

import (
	"math"

	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/raster"
)

// ROI is a rotated square region of an image: the crop a model is fed.
// Angle is the direction of the crop's x axis in the image, in radians
// (positive turns from +x towards +y, i.e. clockwise on screen).
type ROI struct {
	Center face.Point `json:"center"`
	Size   float32    `json:"size"`
	Angle  float32    `json:"angle"`
}

// toImage returns the affine map from the pixel coordinates of an n x n
// crop of r to image coordinates (what raster.Warp takes as inv).
func (r ROI) toImage(n int) raster.Affine {
	s := r.Size / float32(n)
	c, sn := float32(math.Cos(float64(r.Angle))), float32(math.Sin(float64(r.Angle)))
	h := float32(n) / 2
	// p = C + R * s * (u - h, v - h)
	return raster.Affine{
		s * c, -s * sn, r.Center.X - s*c*h + s*sn*h,
		s * sn, s * c, r.Center.Y - s*sn*h - s*c*h,
	}
}

// Rect returns the axis-aligned bounding box of the rotated square.
func (r ROI) Rect() face.Rect {
	c, s := math.Abs(math.Cos(float64(r.Angle))), math.Abs(math.Sin(float64(r.Angle)))
	h := float32(float64(r.Size) * (c + s) / 2)
	return face.R(r.Center.X-h, r.Center.Y-h, r.Center.X+h, r.Center.Y+h)
}

// FromDetection returns the mesh ROI for a detected face: a square scale
// times the longer side of the box, about its centre, turned so that the
// detector's eye points lie level (when it gives them).
func FromDetection(d face.Detection, scale float32) ROI {
	side := max(d.Box.Dx(), d.Box.Dy())
	var angle float32
	l, r := d.Landmarks[face.LeftEye], d.Landmarks[face.RightEye]
	if l != (face.Point{}) || r != (face.Point{}) {
		angle = float32(math.Atan2(float64(r.Y-l.Y), float64(r.X-l.X)))
	}
	return ROI{Center: d.Box.Center(), Size: side * scale, Angle: angle}
}

// fromPoints returns the ROI of a point set seen in a frame turned by
// angle: the bounding box in that frame, squared and scaled.
func fromPoints(pts []face.Point, angle, scale float32) ROI {
	c, s := float32(math.Cos(float64(angle))), float32(math.Sin(float64(angle)))
	minU, minV := float32(math.Inf(1)), float32(math.Inf(1))
	maxU, maxV := float32(math.Inf(-1)), float32(math.Inf(-1))
	for _, p := range pts {
		u, v := c*p.X+s*p.Y, -s*p.X+c*p.Y
		minU, maxU = min(minU, u), max(maxU, u)
		minV, maxV = min(minV, v), max(maxV, v)
	}
	cu, cv := (minU+maxU)/2, (minV+maxV)/2
	center := face.Point{X: c*cu - s*cv, Y: s*cu + c*cv}
	return ROI{Center: center, Size: max(maxU-minU, maxV-minV) * scale, Angle: angle}
}

// eyeROI returns the iris model's crop for an eye from its two corners:
// a square 2.3 times the corner distance, level with the corners.
func eyeROI(a, b face.Point, scale float32) ROI {
	d := b.Sub(a)
	return ROI{
		Center: a.Add(b).Mul(0.5),
		Size:   a.Dist(b) * scale,
		Angle:  float32(math.Atan2(float64(d.Y), float64(d.X))),
	}
}
