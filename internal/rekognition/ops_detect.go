package rekognition

import (
	"context"
	"sort"

	"github.com/mienhq/mien/face"
)

// knownAttributes are the values Rekognition accepts in Attributes. mien
// returns its default set (box, confidence, landmarks, pose, quality) for
// every one of them: it never infers age, gender, emotion or other
// attributes of a person.
var knownAttributes = map[string]bool{
	"DEFAULT": true, "ALL": true, "AGE_RANGE": true, "BEARD": true, "EMOTIONS": true,
	"EYE_DIRECTION": true, "EYEGLASSES": true, "EYES_OPEN": true, "GENDER": true, // accepted, and mien never infers it
	"MOUTH_OPEN": true, "MUSTACHE": true, "FACE_OCCLUDED": true, "SMILE": true, "SUNGLASSES": true,
}

func checkAttributes(attrs []string) error {
	for _, a := range attrs {
		if !knownAttributes[a] {
			return Invalid("Attributes value %q is not one of Rekognition's attribute names", a)
		}
	}
	return nil
}

type detectFacesInput struct {
	Image      *image
	Attributes []string
}

type detectFacesOutput struct {
	FaceDetails []faceDetail
}

func (h *Handler) detectFaces(ctx context.Context, c *call) (any, error) {
	var in detectFacesInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := checkAttributes(in.Attributes); err != nil {
		return nil, err
	}
	a, err := h.analyze(ctx, "Image", in.Image)
	if err != nil {
		return nil, err
	}
	out := detectFacesOutput{FaceDetails: make([]faceDetail, 0, len(a.Faces))}
	cs := h.confidenceScale()
	for _, f := range a.Faces {
		out.FaceDetails = append(out.FaceDetails, cs.detail(f, a.Width, a.Height))
	}
	return out, nil
}

type compareFacesInput struct {
	SourceImage         *image
	TargetImage         *image
	SimilarityThreshold *float32
	QualityFilter       string
}

type compareFacesMatch struct {
	Similarity float32
	Face       comparedFace
}

type sourceImageFace struct {
	BoundingBox boundingBox
	Confidence  float32
}

type compareFacesOutput struct {
	SourceImageFace sourceImageFace
	FaceMatches     []compareFacesMatch
	UnmatchedFaces  []comparedFace
}

func (h *Handler) compareFaces(ctx context.Context, c *call) (any, error) {
	var in compareFacesInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	minSim, err := threshold("SimilarityThreshold", in.SimilarityThreshold, 80)
	if err != nil {
		return nil, err
	}
	filter, err := parseQualityFilter(in.QualityFilter, "NONE", &h.autoGate)
	if err != nil {
		return nil, err
	}
	src, err := h.analyze(ctx, "SourceImage", in.SourceImage)
	if err != nil {
		return nil, err
	}
	i := largest(src.Faces)
	if i < 0 {
		return nil, Invalid("There are no faces in the source image")
	}
	if r := filter.reasons(src.Faces[i]); len(r) > 0 {
		return nil, Invalid("The source image's face fails the %s quality filter: %v", in.QualityFilter, r)
	}
	tgt, err := h.analyze(ctx, "TargetImage", in.TargetImage)
	if err != nil {
		return nil, err
	}
	s, cs := src.Faces[i], h.confidenceScale()
	out := compareFacesOutput{
		SourceImageFace: sourceImageFace{BoundingBox: toBox(s.Box, src.Width, src.Height).wire(), Confidence: cs.confidence(s.Score)},
		FaceMatches:     []compareFacesMatch{},
		UnmatchedFaces:  []comparedFace{},
	}
	for _, t := range tgt.Faces {
		if len(filter.reasons(t)) > 0 {
			continue
		}
		cos, err := face.Cosine(s.Embedding, t.Embedding)
		if err != nil {
			return nil, err
		}
		cf := cs.compared(t, tgt.Width, tgt.Height)
		if sim := h.backend.Similarity(cos); sim >= minSim {
			out.FaceMatches = append(out.FaceMatches, compareFacesMatch{Similarity: sim, Face: cf})
		} else {
			out.UnmatchedFaces = append(out.UnmatchedFaces, cf)
		}
	}
	sort.SliceStable(out.FaceMatches, func(a, b int) bool { return out.FaceMatches[a].Similarity > out.FaceMatches[b].Similarity })
	return out, nil
}
