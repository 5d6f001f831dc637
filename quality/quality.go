// Package quality measures how usable a detected face is for recognition:
// size, sharpness, brightness and a head-pose estimate from the five
// landmarks. It is pure Go and safe for concurrent use.
package quality

import (
	"fmt"
	"math"

	"github.com/mienhq/mien/face"
)

// Quality describes one face. Angles are in degrees; Yaw and Pitch are
// geometric estimates from five landmarks (about +-10 degrees), good enough
// to refuse profile faces at enrolment, not a head-pose model.
type Quality struct {
	// FaceSize is the shorter side of the face box in pixels.
	FaceSize float32 `json:"face_size"`
	// EyeDistance is the distance between the eyes in pixels.
	EyeDistance float32 `json:"eye_distance"`
	// Sharpness is the variance of the Laplacian of the aligned crop's
	// luminance (higher is sharper; under about 30 is blurred).
	Sharpness float32 `json:"sharpness"`
	// Brightness is the aligned crop's mean luminance on 0..100.
	Brightness float32 `json:"brightness"`
	Yaw        float32 `json:"yaw"`
	Pitch      float32 `json:"pitch"`
	Roll       float32 `json:"roll"`
}

// Assess measures a face from its detection and its aligned crop (crop may
// be nil, in which case sharpness and brightness are 0).
func Assess(img *face.Image, d face.Detection, crop *face.Image) Quality {
	q := Quality{FaceSize: min(d.Box.Dx(), d.Box.Dy()), EyeDistance: d.Landmarks.EyeDistance()}
	q.Yaw, q.Pitch, q.Roll = Pose(d.Landmarks)
	if crop != nil && crop.W > 2 && crop.H > 2 {
		q.Sharpness, q.Brightness = sharpness(crop)
	}
	return q
}

// Pose estimates yaw, pitch and roll in degrees from five landmarks.
// Positive yaw: the face turns towards the image's right.
func Pose(l face.Landmarks5) (yaw, pitch, roll float32) {
	eyeMid := l[face.LeftEye].Add(l[face.RightEye]).Mul(0.5)
	mouthMid := l[face.LeftMouth].Add(l[face.RightMouth]).Mul(0.5)
	dx := float64(l[face.RightEye].X - l[face.LeftEye].X)
	dy := float64(l[face.RightEye].Y - l[face.LeftEye].Y)
	r := math.Atan2(dy, dx)
	// Express the nose in a frame with the eye line horizontal.
	cos, sin := math.Cos(-r), math.Sin(-r)
	rot := func(p face.Point) (float64, float64) {
		x, y := float64(p.X-eyeMid.X), float64(p.Y-eyeMid.Y)
		return x*cos - y*sin, x*sin + y*cos
	}
	nx, ny := rot(l[face.Nose])
	_, my := rot(mouthMid)
	half := math.Hypot(dx, dy) / 2
	if half < 1e-6 || my < 1e-6 {
		return 0, 0, float32(r * 180 / math.Pi)
	}
	// Frontal template: the nose sits on the eye midline, 49% of the way
	// from the eye line to the mouth line.
	yaw = float32(math.Asin(clamp(nx/half/1.1, -1, 1)) * 180 / math.Pi)
	pitch = float32((ny/my - 0.49) * 150)
	return yaw, pitch, float32(r * 180 / math.Pi)
}

func clamp(v, lo, hi float64) float64 { return math.Min(math.Max(v, lo), hi) }

// sharpness returns the Laplacian variance and the mean luminance (0..100).
func sharpness(m *face.Image) (float32, float32) {
	g := make([]float64, m.W*m.H)
	var sum float64
	for i := range g {
		p := m.Pix[3*i : 3*i+3]
		g[i] = 0.299*float64(p[0]) + 0.587*float64(p[1]) + 0.114*float64(p[2])
		sum += g[i]
	}
	var s, s2 float64
	n := 0
	for y := 1; y < m.H-1; y++ {
		for x := 1; x < m.W-1; x++ {
			i := y*m.W + x
			v := g[i-1] + g[i+1] + g[i-m.W] + g[i+m.W] - 4*g[i]
			s += v
			s2 += v * v
			n++
		}
	}
	mean := s / float64(n)
	return float32(s2/float64(n) - mean*mean), float32(sum / float64(len(g)) / 255 * 100)
}

// Gate is an enrolment quality policy.
type Gate struct {
	MinFaceSize  float32 // pixels, shorter box side
	MinSharpness float32
	MaxYaw       float32 // degrees, absolute
	MaxPitch     float32
	MinBright    float32 // 0..100
	MaxBright    float32
}

// DefaultGate is the enrolment policy mien uses unless configured otherwise.
var DefaultGate = Gate{MinFaceSize: 64, MinSharpness: 15, MaxYaw: 35, MaxPitch: 35, MinBright: 15, MaxBright: 95}

// Check returns nil when q passes the gate, else an error saying why.
func (g Gate) Check(q Quality) error {
	switch {
	case q.FaceSize < g.MinFaceSize:
		return fmt.Errorf("face is %.0f px, smaller than the %.0f px minimum", q.FaceSize, g.MinFaceSize)
	case q.Sharpness < g.MinSharpness:
		return fmt.Errorf("face is blurred (sharpness %.1f, minimum %.1f)", q.Sharpness, g.MinSharpness)
	case abs(q.Yaw) > g.MaxYaw:
		return fmt.Errorf("face is turned %.0f degrees sideways (at most %.0f)", q.Yaw, g.MaxYaw)
	case abs(q.Pitch) > g.MaxPitch:
		return fmt.Errorf("face is tilted %.0f degrees up or down (at most %.0f)", q.Pitch, g.MaxPitch)
	case q.Brightness < g.MinBright:
		return fmt.Errorf("face is too dark (brightness %.0f, minimum %.0f)", q.Brightness, g.MinBright)
	case q.Brightness > g.MaxBright:
		return fmt.Errorf("face is over-exposed (brightness %.0f, maximum %.0f)", q.Brightness, g.MaxBright)
	}
	return nil
}

func abs(v float32) float32 { return float32(math.Abs(float64(v))) }
