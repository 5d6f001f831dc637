// Package document decides whether the portrait printed on an identity
// document and a selfie show the same person: it picks the document's
// portrait among the faces found on it, measures glare on it, and turns the
// portrait's quality, the selfie's faces and the similarity of their
// templates into match, no_match or cannot_decide with reasons, at
// thresholds calibrated for document-vs-live pairs (calibration.go).
//
// It holds no models and imports no other stage: the Engine finds the faces,
// embeds them and hands the values here. Everything is safe for concurrent use.
package document

import (
	"fmt"
	"math"

	"github.com/mienhq/mien/face"
)

// Decisions.
const (
	Match        = "match"
	NoMatch      = "no_match"
	CannotDecide = "cannot_decide"
)

// Reason codes. Those marked "note" do not change the decision on their own.
const (
	ReasonNoPortrait        = "no_portrait"
	ReasonPortraitSmall     = "portrait_too_small"
	ReasonPortraitBlurred   = "portrait_blurred"
	ReasonPortraitGlare     = "portrait_glare"
	ReasonPortraitTurned    = "portrait_not_frontal"
	ReasonSelfieNoFace      = "selfie_no_face"
	ReasonSelfieSeveral     = "selfie_several_faces"
	ReasonGreyZone          = "score_in_grey_zone"
	ReasonAboveThreshold    = "score_above_match_threshold"
	ReasonBelowThreshold    = "score_below_no_match_threshold"
	ReasonGhostFound        = "ghost_image_found"        // note
	ReasonSelfieLargestUsed = "selfie_largest_face_used" // note
	ReasonUncalibrated      = "thresholds_not_document_calibrated"
)

// Reason is one cause of a decision, with a sentence for people.
type Reason struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Limits are the portrait quality a decision needs.
type Limits struct {
	MinEyeDistance float32 // pixels between the eyes in the document photo
	MinSharpness   float32 // variance of the Laplacian of the aligned crop
	MaxGlare       float32 // share of the face's pixels that are blown out, 0..1
	MaxYaw         float32 // degrees
}

// DefaultLimits are the limits used unless the caller gives others.
var DefaultLimits = Limits{MinEyeDistance: 14, MinSharpness: 4, MaxGlare: 0.15, MaxYaw: 40}

// Portrait is the measured document portrait.
type Portrait struct {
	EyeDistance float32 `json:"eye_distance"`
	Sharpness   float32 `json:"sharpness"`
	Glare       float32 `json:"glare"`
	Yaw         float32 `json:"yaw"`
}

// Input is everything a decision looks at.
type Input struct {
	Portrait    *Portrait // nil: no portrait was found
	Ghost       bool      // a second, fainter portrait was also found
	SelfieFaces int       // faces found in the selfie
	// SelfieDominant: with several selfie faces, the largest is at least
	// twice the area of the next, so it is taken as the selfie's subject.
	SelfieDominant bool
	Score          float32 // cosine of the two templates (when both exist)
	Thresholds     Thresholds
}

// Thresholds bound the grey zone: at or above Match the answer is match,
// below NoMatch it is no_match, between them cannot_decide.
type Thresholds struct {
	Match, NoMatch       float32
	MatchFAR, NoMatchFAR float64
	Calibrated           bool // calibrated on document-vs-live pairs
}

// Decision is the answer with its reasons.
type Decision struct {
	Result  string   `json:"decision"`
	Reasons []Reason `json:"reasons"`
}

// Decide turns the measures into a decision. Quality problems and selfie
// problems come before the score: a score is only trusted from a usable
// portrait and one selfie face.
func Decide(in Input, lim Limits) Decision {
	var d Decision
	add := func(code, format string, a ...any) {
		d.Reasons = append(d.Reasons, Reason{code, fmt.Sprintf(format, a...)})
	}
	if in.Portrait == nil {
		add(ReasonNoPortrait, "no face was found on the document")
	} else {
		p := in.Portrait
		if p.EyeDistance < lim.MinEyeDistance {
			add(ReasonPortraitSmall, "the portrait is too small: %.0f px between the eyes, at least %.0f needed", p.EyeDistance, lim.MinEyeDistance)
		}
		if p.Sharpness < lim.MinSharpness {
			add(ReasonPortraitBlurred, "the portrait is blurred (sharpness %.1f, at least %.1f needed)", p.Sharpness, lim.MinSharpness)
		}
		if p.Glare > lim.MaxGlare {
			add(ReasonPortraitGlare, "glare covers %.0f%% of the portrait's face (at most %.0f%%)", 100*p.Glare, 100*lim.MaxGlare)
		}
		if float32(math.Abs(float64(p.Yaw))) > lim.MaxYaw {
			add(ReasonPortraitTurned, "the portrait's face is turned %.0f degrees (at most %.0f)", p.Yaw, lim.MaxYaw)
		}
	}
	switch {
	case in.SelfieFaces == 0:
		add(ReasonSelfieNoFace, "no face was found in the selfie")
	case in.SelfieFaces > 1 && !in.SelfieDominant:
		add(ReasonSelfieSeveral, "the selfie shows %d faces of similar size; send a selfie of one person", in.SelfieFaces)
	}
	blocked := len(d.Reasons) > 0
	if in.Ghost {
		add(ReasonGhostFound, "a second, fainter portrait (ghost image) was also found; the larger, more frontal one was used")
	}
	if in.SelfieFaces > 1 && in.SelfieDominant {
		add(ReasonSelfieLargestUsed, "the selfie shows %d faces; the largest was used", in.SelfieFaces)
	}
	if !in.Thresholds.Calibrated {
		add(ReasonUncalibrated, "no document-vs-live calibration for this recognizer: live-to-live thresholds were used")
	}
	if blocked {
		d.Result = CannotDecide
		return d
	}
	t := in.Thresholds
	switch {
	case in.Score >= t.Match:
		d.Result = Match
		add(ReasonAboveThreshold, "similarity %.3f is at or above the match threshold %.3f (false-match rate %.0e)", in.Score, t.Match, t.MatchFAR)
	case in.Score < t.NoMatch:
		d.Result = NoMatch
		add(ReasonBelowThreshold, "similarity %.3f is below the no-match threshold %.3f (false-match rate %.0e)", in.Score, t.NoMatch, t.NoMatchFAR)
	default:
		d.Result = CannotDecide
		add(ReasonGreyZone, "similarity %.3f is between the no-match threshold %.3f and the match threshold %.3f", in.Score, t.NoMatch, t.Match)
	}
	return d
}

// Blocking reports whether a reason code stops a decision on its own.
func Blocking(code string) bool {
	switch code {
	case ReasonGhostFound, ReasonSelfieLargestUsed, ReasonUncalibrated, ReasonAboveThreshold, ReasonBelowThreshold, ReasonGreyZone:
		return false
	}
	return true
}

// Glare returns the share of pixels inside the central part of box (the
// face without its margins) that are blown out: every channel at 245 or
// more, or near-white with its colour washed out (a specular highlight).
func Glare(img *face.Image, box face.Rect) float32 {
	r := box.Scale(0.8).Clamp(img.W, img.H)
	x0, y0, x1, y1 := int(r.Min.X), int(r.Min.Y), int(r.Max.X), int(r.Max.Y)
	n, hot := 0, 0
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			cr, cg, cb := img.At(x, y)
			lo, hi := min(cr, cg, cb), max(cr, cg, cb)
			if lo >= 245 || (lo >= 225 && hi-lo <= 18) {
				hot++
			}
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return float32(hot) / float32(n)
}
