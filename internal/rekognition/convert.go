package rekognition

import (
	"hash/crc32"
	"math"
	"sort"
	"strconv"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/face"
)

// faceModelVersions are the FaceModelVersion values of mien's recognizers,
// in AWS's numeric form ("7.0"), which clients parse and compare; mien's
// own recognizer id is DescribeCollection's MienFaceModel.
var faceModelVersions = map[string]string{
	"faceplugin-arcface-512": "7.0",
}

// faceModelVersion returns a recognizer's FaceModelVersion: from the table,
// or for a recognizer not in it "7." and a number from 1 to 999 drawn from
// its id, so that collections of different recognizers show different
// versions.
func faceModelVersion(modelID string) string {
	if v, ok := faceModelVersions[modelID]; ok {
		return v
	}
	return "7." + strconv.Itoa(int(crc32.ChecksumIEEE([]byte(modelID))%999)+1)
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

func (cs confidenceScale) detail(f mien.Face, w, h int) faceDetail {
	fw, fh := float32(w), float32(h)
	marks := make([]landmark, 0, 5)
	for _, n := range landmarkNames {
		p := f.Landmarks[n.i]
		marks = append(marks, landmark{Type: n.name, X: p.X / fw, Y: p.Y / fh})
	}
	return faceDetail{
		BoundingBox: toBox(f.Box, w, h).wire(),
		Confidence:  cs.confidence(f.Score),
		Landmarks:   marks,
		Pose:        pose{Roll: f.Quality.Roll, Yaw: f.Quality.Yaw, Pitch: f.Quality.Pitch},
		Quality:     imageQuality{Brightness: f.Quality.Brightness, Sharpness: sharpness(f.Quality.Sharpness)},
	}
}

func (cs confidenceScale) compared(f mien.Face, w, h int) comparedFace {
	return comparedFace(cs.detail(f, w, h))
}

// confidenceScale maps a detector's score to Rekognition's Confidence, on
// which a clear face is 99 or more (programs keep faces with Confidence >
// 99): piecewise linear from score 0 to 0, the detector's score threshold
// (floor) to 50, clear to 99, and 1 to 100. clear is the score that 97% or
// more of the frontal faces of LFW reach with that detector, while what it
// finds in LFW photos cut into shuffled 25-pixel tiles (no face left) stays
// under 95; docs/rekognition.md has the measurements.
type confidenceScale struct {
	floor, clear float32
}

// confidenceScales are the measured detectors' scales by model id.
var confidenceScales = map[string]confidenceScale{
	"yunet-n":            {floor: 0.6, clear: 0.90},
	"blazeface-back-256": {floor: 0.6, clear: 0.78},
}

// defaultConfidenceScale is for detectors not measured.
var defaultConfidenceScale = confidenceScale{floor: 0.6, clear: 0.90}

func confidenceScaleFor(detectorID string) confidenceScale {
	if cs, ok := confidenceScales[detectorID]; ok {
		return cs
	}
	return defaultConfidenceScale
}

// confidence maps a detector score (0..1) to 0..100, rounded to 0.001.
func (cs confidenceScale) confidence(score float32) float32 {
	s := min(max(score, 0), 1)
	var c float32
	switch {
	case s <= cs.floor:
		c = 50 * s / cs.floor
	case s <= cs.clear:
		c = 50 + 49*(s-cs.floor)/(cs.clear-cs.floor)
	default:
		c = 99 + (s-cs.clear)/(1-cs.clear)
	}
	return float32(math.Round(float64(c)*1e3) / 1e3)
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
