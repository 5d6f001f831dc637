package rekognition

import (
	"github.com/mienhq/mien"
	"github.com/mienhq/mien/quality"
)

// qualityFilter is a QualityFilter level: mien's quality gate and the least
// detector confidence (0..1).
type qualityFilter struct {
	gate          *quality.Gate // nil = NONE
	minConfidence float32
}

// Quality filters. AUTO is mien's enrolment gate, the one its own
// enrolment API applies (Options.AutoGate; quality.DefaultGate by default);
// LOW and MEDIUM are looser, HIGH stricter.
var qualityFilters = map[string]qualityFilter{
	"NONE":   {},
	"LOW":    {&quality.Gate{MinFaceSize: 20, MinSharpness: 3, MaxYaw: 60, MaxPitch: 60, MinBright: 5, MaxBright: 99}, 0.5},
	"MEDIUM": {&quality.Gate{MinFaceSize: 40, MinSharpness: 8, MaxYaw: 45, MaxPitch: 45, MinBright: 10, MaxBright: 97}, 0.6},
	"AUTO":   {&quality.DefaultGate, 0.6},
	"HIGH":   {&quality.Gate{MinFaceSize: 80, MinSharpness: 25, MaxYaw: 25, MaxPitch: 25, MinBright: 20, MaxBright: 90}, 0.7},
}

// parseQualityFilter returns the filter for a request's value ("" takes
// def); AUTO applies the auto gate.
func parseQualityFilter(v, def string, auto *quality.Gate) (qualityFilter, error) {
	if v == "" {
		v = def
	}
	f, ok := qualityFilters[v]
	if !ok {
		return f, Invalid("QualityFilter %q is not one of NONE, AUTO, LOW, MEDIUM, HIGH", v)
	}
	if v == "AUTO" {
		f.gate = auto
	}
	return f, nil
}

// reasons returns why a face fails the filter, as Rekognition's Reason
// values (empty when it passes).
func (q qualityFilter) reasons(f mien.Face) []string {
	if q.gate == nil {
		return nil
	}
	g, m := q.gate, f.Quality
	var out []string
	if f.Score < q.minConfidence {
		out = append(out, "LOW_CONFIDENCE")
	}
	if m.FaceSize < g.MinFaceSize {
		out = append(out, "SMALL_BOUNDING_BOX")
	}
	if m.Sharpness < g.MinSharpness {
		out = append(out, "LOW_SHARPNESS")
	}
	if abs32(m.Yaw) > g.MaxYaw || abs32(m.Pitch) > g.MaxPitch {
		out = append(out, "EXTREME_POSE")
	}
	if m.Brightness < g.MinBright {
		out = append(out, "LOW_BRIGHTNESS")
	}
	if m.Brightness > g.MaxBright {
		out = append(out, "LOW_FACE_QUALITY") // over-exposed: AWS has no HIGH_BRIGHTNESS
	}
	return out
}

func abs32(v float32) float32 {
	if v < 0 {
		return -v
	}
	return v
}
