package rekognition

import (
	"math"
	"sort"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/face"
)

// Scale maps mien's cosine similarity to Rekognition's 0-100 Similarity.
// It is monotone and piecewise linear through these anchors:
//
//	cosine <= 0                   ->   0
//	threshold at FAR 1e-2         ->  70
//	threshold at FAR 1e-3         ->  80   (the SDKs' default FaceMatchThreshold)
//	threshold at FAR 1e-4         ->  90
//	cosine 0.70                   ->  99
//	cosine 1                      -> 100
//
// so a FaceMatchThreshold of 70, 80 or 90 means exactly mien's decision at a
// false-match rate of 1e-2, 1e-3 or 1e-4. Thresholds the recognizer lacks,
// or that would break monotony, are left out of the anchors.
type Scale struct {
	cos, sim []float64
}

// Anchor cosines used when a recognizer has no calibrated thresholds (the
// standard pack's values).
var fallbackThresholds = map[float64]float64{1e-2: 0.2436, 1e-3: 0.3358, 1e-4: 0.4127}

// NewScale builds the scale from a recognizer's calibrated thresholds.
func NewScale(threshold func(far float64) (float32, error)) Scale {
	s := Scale{cos: []float64{0}, sim: []float64{0}}
	for _, a := range []struct{ far, sim float64 }{{1e-2, 70}, {1e-3, 80}, {1e-4, 90}} {
		c := fallbackThresholds[a.far]
		if t, err := threshold(a.far); err == nil {
			c = float64(t)
		}
		if c > s.cos[len(s.cos)-1] && c < 0.7 {
			s.cos, s.sim = append(s.cos, c), append(s.sim, a.sim)
		}
	}
	s.cos, s.sim = append(s.cos, 0.7, 1), append(s.sim, 99, 100)
	return s
}

// Similarity maps a cosine to 0..100.
func (s Scale) Similarity(cos float32) float32 {
	return float32(interp(float64(cos), s.cos, s.sim))
}

// Cosine maps a Similarity back to the least cosine that reaches it
// (-1 for 0 or less: every face reaches Similarity 0).
func (s Scale) Cosine(sim float32) float32 {
	if sim <= 0 {
		return -1
	}
	return float32(interp(float64(sim), s.sim, s.cos))
}

// interp evaluates the piecewise-linear function through (xs, ys), xs
// increasing, clamped at both ends.
func interp(x float64, xs, ys []float64) float64 {
	if x <= xs[0] {
		return ys[0]
	}
	i := sort.SearchFloat64s(xs, x)
	if i >= len(xs) {
		return ys[len(ys)-1]
	}
	if xs[i] == x {
		return ys[i]
	}
	f := (x - xs[i-1]) / (xs[i] - xs[i-1])
	return ys[i-1] + f*(ys[i]-ys[i-1])
}

// Wire forms of geometry.

type boundingBox struct {
	Width, Height, Left, Top float32
}

type landmark struct {
	Type string
	X, Y float32
}

type pose struct {
	Roll, Yaw, Pitch float32
}

type imageQuality struct {
	Brightness, Sharpness float32
}

// faceDetail is Rekognition's FaceDetail restricted to what mien measures.
// mien never infers age, gender, emotion, facial hair, glasses, smile or any
// other attribute of a person, so the type has no field that could carry one,
// whatever the request's Attributes ask for.
type faceDetail struct {
	BoundingBox boundingBox
	Confidence  float32
	Landmarks   []landmark
	Pose        pose
	Quality     imageQuality
}

// comparedFace is Rekognition's ComparedFace, restricted likewise.
type comparedFace struct {
	BoundingBox boundingBox
	Confidence  float32
	Landmarks   []landmark
	Pose        pose
	Quality     imageQuality
}

func toBox(r face.Rect, w, h int) Box {
	fw, fh := float32(w), float32(h)
	return Box{Left: r.Min.X / fw, Top: r.Min.Y / fh, Width: r.Dx() / fw, Height: r.Dy() / fh}
}

func (b Box) wire() boundingBox {
	return boundingBox{Width: b.Width, Height: b.Height, Left: b.Left, Top: b.Top}
}

// landmarkNames maps mien's five points to Rekognition's types. AWS's own
// example responses put eyeLeft and mouthLeft at the smaller X, i.e. "left"
// is the viewer's (image) left, as mien's LeftEye is.
var landmarkNames = [5]struct {
	i    int
	name string
}{
	{face.LeftEye, "eyeLeft"}, {face.RightEye, "eyeRight"}, {face.Nose, "nose"},
	{face.LeftMouth, "mouthLeft"}, {face.RightMouth, "mouthRight"},
}

func detail(f mien.Face, w, h int) faceDetail {
	fw, fh := float32(w), float32(h)
	marks := make([]landmark, 0, 5)
	for _, n := range landmarkNames {
		p := f.Landmarks[n.i]
		marks = append(marks, landmark{Type: n.name, X: p.X / fw, Y: p.Y / fh})
	}
	return faceDetail{
		BoundingBox: toBox(f.Box, w, h).wire(),
		Confidence:  confidence(f.Score),
		Landmarks:   marks,
		Pose:        pose{Roll: f.Quality.Roll, Yaw: f.Quality.Yaw, Pitch: f.Quality.Pitch},
		Quality:     imageQuality{Brightness: f.Quality.Brightness, Sharpness: sharpness(f.Quality.Sharpness)},
	}
}

func compared(f mien.Face, w, h int) comparedFace {
	d := detail(f, w, h)
	return comparedFace(d)
}

// confidence maps a detector score (0..1) to 0..100.
func confidence(score float32) float32 {
	return float32(math.Round(float64(min(max(score, 0), 1))*1e5) / 1e3)
}

// sharpnessHalf is the Laplacian variance that maps to Sharpness 50.
const sharpnessHalf = 50

// sharpness maps mien's Laplacian variance (unbounded; under about 15 is
// blurred) to 0..100 as 100*v/(v+50): 15 -> 23, 50 -> 50, 200 -> 80.
func sharpness(v float32) float32 {
	if v <= 0 {
		return 0
	}
	return 100 * v / (v + sharpnessHalf)
}

// largest returns the index of the face with the largest box (-1 for none).
func largest(faces []mien.Face) int {
	best, area := -1, float32(-1)
	for i, f := range faces {
		if a := f.Box.Area(); a > area {
			best, area = i, a
		}
	}
	return best
}

// bySize returns face indexes, largest box first.
func bySize(faces []mien.Face) []int {
	idx := make([]int, len(faces))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return faces[idx[a]].Box.Area() > faces[idx[b]].Box.Area() })
	return idx
}
