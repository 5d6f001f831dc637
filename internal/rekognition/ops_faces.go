package rekognition

import (
	"context"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/quality"
)

// faceWire is Rekognition's Face.
type faceWire struct {
	FaceId                 string
	BoundingBox            boundingBox
	ImageId                string
	ExternalImageId        string `json:",omitempty"`
	Confidence             float32
	IndexFacesModelVersion string
	UserId                 string `json:",omitempty"`
}

func (f Face) wire() faceWire {
	return faceWire{FaceId: f.ID, BoundingBox: f.Box.wire(), ImageId: f.ImageID, ExternalImageId: f.ExternalImageID,
		Confidence: f.Confidence, IndexFacesModelVersion: faceModelVersion(f.ModelID), UserId: f.UserID}
}

// indexable returns the collection if faces may be indexed into it: it
// exists, its owner declared a consent policy, and its templates come from
// the recognizer this server runs.
func (h *Handler) indexable(ctx context.Context, tenant, id string) (Collection, error) {
	col, err := h.backend.DescribeCollection(ctx, tenant, id)
	if err != nil {
		return col, err
	}
	if col.Consent == nil {
		return col, Denied("collection %s has no consent policy: faces are indexed only under one declared by the collection's owner (create the collection with the %s tag, or declare it through mien's API)", id, TagConsentPurpose)
	}
	if col.ModelID != h.backend.ModelID() {
		return col, Invalid("collection %s holds templates of recognizer %s; this server runs %s", id, col.ModelID, h.backend.ModelID())
	}
	return col, nil
}

type indexFacesInput struct {
	CollectionId        string
	Image               *image
	ExternalImageId     string
	DetectionAttributes []string
	MaxFaces            *int
	QualityFilter       string
}

type faceRecord struct {
	Face       faceWire
	FaceDetail faceDetail
}

type unindexedFace struct {
	Reasons    []string
	FaceDetail faceDetail
}

type indexFacesOutput struct {
	FaceRecords      []faceRecord
	UnindexedFaces   []unindexedFace
	FaceModelVersion string
}

func (in *indexFacesInput) check(auto *quality.Gate) (qualityFilter, error) {
	if err := checkCollectionID(in.CollectionId); err != nil {
		return qualityFilter{}, err
	}
	if in.ExternalImageId != "" && !externalIDPattern.MatchString(in.ExternalImageId) {
		return qualityFilter{}, Invalid("ExternalImageId %q must be 1-255 characters of [a-zA-Z0-9_.:-]", in.ExternalImageId)
	}
	if in.MaxFaces != nil && *in.MaxFaces < 1 {
		return qualityFilter{}, Invalid("MaxFaces must be at least 1, got %d", *in.MaxFaces)
	}
	if err := checkAttributes(in.DetectionAttributes); err != nil {
		return qualityFilter{}, err
	}
	return parseQualityFilter(in.QualityFilter, "AUTO", auto)
}

func (h *Handler) indexFaces(ctx context.Context, c *call) (any, error) {
	var in indexFacesInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	filter, err := in.check(&h.autoGate)
	if err != nil {
		return nil, err
	}
	col, err := h.indexable(ctx, c.tenant, in.CollectionId)
	if err != nil {
		return nil, err
	}
	a, err := h.analyze(ctx, "Image", in.Image)
	if err != nil {
		return nil, err
	}
	maxFaces := maxDetected
	if in.MaxFaces != nil {
		maxFaces = *in.MaxFaces
	}
	now := h.now().UTC()
	consent := Consent{Purpose: col.Consent.Purpose, ConsentedAt: now, ExpiresAt: now.Add(col.Consent.Retention), Evidence: col.Consent.Evidence}
	out := indexFacesOutput{FaceRecords: []faceRecord{}, UnindexedFaces: []unindexedFace{}, FaceModelVersion: faceModelVersion(h.backend.ModelID())}
	var faces []NewFace
	imageID, cs := newUUID(), h.confidenceScale()
	for _, i := range bySize(a.Faces) {
		f := a.Faces[i]
		d := cs.detail(f, a.Width, a.Height)
		reasons := filter.reasons(f)
		if len(reasons) == 0 && len(faces) >= maxFaces {
			reasons = []string{"EXCEEDS_MAX_FACES"}
		}
		if len(reasons) > 0 {
			// The template of a face that is not indexed is dropped here.
			out.UnindexedFaces = append(out.UnindexedFaces, unindexedFace{Reasons: reasons, FaceDetail: d})
			continue
		}
		nf := newFace(f, a, imageID, in.ExternalImageId, h.backend.ModelID(), consent)
		nf.Confidence = d.Confidence
		faces = append(faces, nf)
		out.FaceRecords = append(out.FaceRecords, faceRecord{Face: nf.Face.wire(), FaceDetail: d})
	}
	if len(faces) > 0 {
		if err := h.backend.IndexFaces(ctx, c.tenant, in.CollectionId, faces); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func newFace(f mien.Face, a *mien.Analysis, imageID, external, model string, consent Consent) NewFace {
	return NewFace{
		Face: Face{ID: newUUID(), ImageID: imageID, ExternalImageID: external, Box: toBox(f.Box, a.Width, a.Height),
			ModelID: model, Consent: consent},
		Embedding: f.Embedding,
		Quality:   f.Quality,
	}
}

type listFacesInput struct {
	CollectionId string
	NextToken    string
	MaxResults   *int
	UserId       string
	FaceIds      []string
}

type listFacesOutput struct {
	Faces            []faceWire
	NextToken        string `json:",omitempty"`
	FaceModelVersion string
}

func (h *Handler) listFaces(ctx context.Context, c *call) (any, error) {
	var in listFacesInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := checkCollectionID(in.CollectionId); err != nil {
		return nil, err
	}
	if in.UserId != "" {
		if err := checkUserID(in.UserId); err != nil {
			return nil, err
		}
	}
	if in.FaceIds != nil {
		if err := checkFaceIDs(in.FaceIds, 4096); err != nil {
			return nil, err
		}
	}
	n, err := limit("MaxResults", in.MaxResults, 1000, 4096)
	if err != nil {
		return nil, err
	}
	pg := page{op: "ListFaces", collection: in.CollectionId}
	after, err := h.openPage(c, pg, in.NextToken)
	if err != nil {
		return nil, err
	}
	col, err := h.backend.DescribeCollection(ctx, c.tenant, in.CollectionId)
	if err != nil {
		return nil, err
	}
	faces, err := h.backend.ListFaces(ctx, c.tenant, in.CollectionId, FaceQuery{After: after, Limit: n + 1, UserID: in.UserId, FaceIDs: in.FaceIds})
	if err != nil {
		return nil, err
	}
	out := listFacesOutput{Faces: []faceWire{}, FaceModelVersion: faceModelVersion(col.ModelID)}
	if len(faces) > n {
		faces = faces[:n]
		if out.NextToken, err = h.sealPage(c, pg, faces[n-1].ID); err != nil {
			return nil, err
		}
	}
	for _, f := range faces {
		out.Faces = append(out.Faces, f.wire())
	}
	return out, nil
}

type faceIDsInput struct {
	CollectionId string
	FaceIds      []string
}

type unsuccessfulFace struct {
	FaceId  string
	UserId  string `json:",omitempty"`
	Reasons []string
}

type deleteFacesOutput struct {
	DeletedFaces              []string
	UnsuccessfulFaceDeletions []unsuccessfulFace
}

// deleteFaces erases faces. As in Rekognition, a face associated with a
// user is refused (ASSOCIATED_TO_AN_EXISTING_USER) until it is
// disassociated or the user deleted.
func (h *Handler) deleteFaces(ctx context.Context, c *call) (any, error) {
	var in faceIDsInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := checkCollectionID(in.CollectionId); err != nil {
		return nil, err
	}
	if err := checkFaceIDs(in.FaceIds, 4096); err != nil {
		return nil, err
	}
	found, err := h.facesByID(ctx, c.tenant, in.CollectionId, in.FaceIds)
	if err != nil {
		return nil, err
	}
	out := deleteFacesOutput{DeletedFaces: []string{}, UnsuccessfulFaceDeletions: []unsuccessfulFace{}}
	var erase []string
	for _, id := range in.FaceIds {
		f, ok := found[id]
		switch {
		case !ok:
			out.UnsuccessfulFaceDeletions = append(out.UnsuccessfulFaceDeletions, unsuccessfulFace{FaceId: id, Reasons: []string{"FACE_NOT_FOUND"}})
		case f.UserID != "":
			out.UnsuccessfulFaceDeletions = append(out.UnsuccessfulFaceDeletions, unsuccessfulFace{FaceId: id, UserId: f.UserID, Reasons: []string{"ASSOCIATED_TO_AN_EXISTING_USER"}})
		default:
			erase = append(erase, id)
		}
	}
	if len(erase) == 0 {
		return out, nil
	}
	deleted, err := h.backend.DeleteFaces(ctx, c.tenant, in.CollectionId, erase)
	if err != nil {
		return nil, err
	}
	out.DeletedFaces = append(out.DeletedFaces, deleted...)
	for _, id := range erase {
		if !contains(deleted, id) { // erased meanwhile by another request
			out.UnsuccessfulFaceDeletions = append(out.UnsuccessfulFaceDeletions, unsuccessfulFace{FaceId: id, Reasons: []string{"FACE_NOT_FOUND"}})
		}
	}
	return out, nil
}

// facesByID looks faces up by id.
func (h *Handler) facesByID(ctx context.Context, tenant, collection string, ids []string) (map[string]Face, error) {
	faces, err := h.backend.ListFaces(ctx, tenant, collection, FaceQuery{FaceIDs: ids})
	if err != nil {
		return nil, err
	}
	m := make(map[string]Face, len(faces))
	for _, f := range faces {
		m[f.ID] = f
	}
	return m, nil
}
