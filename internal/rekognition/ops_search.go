package rekognition

import (
	"context"

	"github.com/mienhq/mien"
)

// maxMatches is the most matches a search returns (Rekognition's MaxFaces
// range is 1-4096); it is also the default, so a search returns every face
// over the threshold unless told otherwise.
const maxMatches = 4096

type faceMatch struct {
	Similarity float32
	Face       faceWire
}

// search runs q and keeps the matches whose Similarity reaches minSim, best
// first, at most k. The backend is asked for cosines a hair under the
// threshold so that float rounding never loses a match at the boundary;
// the Similarity test is the one that decides.
func (h *Handler) search(ctx context.Context, tenant, collection string, q SearchQuery, minSim float32) ([]Match, error) {
	k := q.K
	q.MinCosine = h.backend.CosineForSimilarity(minSim) - 1e-4
	matches, err := h.backend.Search(ctx, tenant, collection, q)
	if err != nil {
		return nil, err
	}
	out := matches[:0]
	for _, m := range matches {
		if h.backend.Similarity(m.Cosine) >= minSim && len(out) < k {
			out = append(out, m)
		}
	}
	return out, nil
}

func (h *Handler) faceMatches(ms []Match) []faceMatch {
	out := make([]faceMatch, 0, len(ms))
	for _, m := range ms {
		out = append(out, faceMatch{Similarity: h.backend.Similarity(m.Cosine), Face: m.Face.wire()})
	}
	return out
}

func maxFaces(v *int) (int, error) {
	if v == nil {
		return maxMatches, nil
	}
	if *v < 1 || *v > maxMatches {
		return 0, Invalid("MaxFaces must be between 1 and %d, got %d", maxMatches, *v)
	}
	return *v, nil
}

type searchFacesInput struct {
	CollectionId       string
	FaceId             string
	MaxFaces           *int
	FaceMatchThreshold *float32
}

type searchFacesOutput struct {
	SearchedFaceId   string
	FaceMatches      []faceMatch
	FaceModelVersion string
}

func (h *Handler) searchFaces(ctx context.Context, c *call) (any, error) {
	var in searchFacesInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := checkCollectionID(in.CollectionId); err != nil {
		return nil, err
	}
	if err := checkFaceIDs([]string{in.FaceId}, 1); err != nil {
		return nil, err
	}
	k, err := maxFaces(in.MaxFaces)
	if err != nil {
		return nil, err
	}
	minSim, err := threshold("FaceMatchThreshold", in.FaceMatchThreshold, 80)
	if err != nil {
		return nil, err
	}
	ms, err := h.search(ctx, c.tenant, in.CollectionId, SearchQuery{FaceID: in.FaceId, K: k}, minSim)
	if err != nil {
		return nil, err
	}
	return searchFacesOutput{SearchedFaceId: in.FaceId, FaceMatches: h.faceMatches(ms), FaceModelVersion: faceModelVersion(h.backend.ModelID())}, nil
}

type searchByImageInput struct {
	CollectionId       string
	Image              *image
	MaxFaces           *int
	FaceMatchThreshold *float32
	QualityFilter      string
}

type searchFacesByImageOutput struct {
	SearchedFaceBoundingBox boundingBox
	SearchedFaceConfidence  float32
	FaceMatches             []faceMatch
	FaceModelVersion        string
}

// probe analyses a search image and returns its largest face, which is the
// one Rekognition searches with. Neither the image nor any template of it
// is kept.
func (h *Handler) probe(ctx context.Context, tenant, collection string, img *image, qf string) (*mien.Analysis, int, error) {
	filter, err := parseQualityFilter(qf, "NONE", &h.autoGate)
	if err != nil {
		return nil, 0, err
	}
	if _, err := h.backend.DescribeCollection(ctx, tenant, collection); err != nil {
		return nil, 0, err
	}
	a, err := h.analyze(ctx, "Image", img)
	if err != nil {
		return nil, 0, err
	}
	i := largest(a.Faces)
	if i < 0 {
		return nil, 0, Invalid("There are no faces in the image. Should be at least 1.")
	}
	if r := filter.reasons(a.Faces[i]); len(r) > 0 {
		return nil, 0, Invalid("The largest face in the image fails the %s quality filter: %v", qf, r)
	}
	return a, i, nil
}

func (h *Handler) searchFacesByImage(ctx context.Context, c *call) (any, error) {
	var in searchByImageInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := checkCollectionID(in.CollectionId); err != nil {
		return nil, err
	}
	k, err := maxFaces(in.MaxFaces)
	if err != nil {
		return nil, err
	}
	minSim, err := threshold("FaceMatchThreshold", in.FaceMatchThreshold, 80)
	if err != nil {
		return nil, err
	}
	a, i, err := h.probe(ctx, c.tenant, in.CollectionId, in.Image, in.QualityFilter)
	if err != nil {
		return nil, err
	}
	f := a.Faces[i]
	ms, err := h.search(ctx, c.tenant, in.CollectionId, SearchQuery{Embedding: &f.Embedding, K: k}, minSim)
	if err != nil {
		return nil, err
	}
	return searchFacesByImageOutput{
		SearchedFaceBoundingBox: toBox(f.Box, a.Width, a.Height).wire(),
		SearchedFaceConfidence:  h.confidenceScale().confidence(f.Score),
		FaceMatches:             h.faceMatches(ms),
		FaceModelVersion:        faceModelVersion(h.backend.ModelID()),
	}, nil
}
