package rekognition

import "context"

type searchUsersInput struct {
	CollectionId       string
	UserId             string
	FaceId             string
	UserMatchThreshold *float32
	MaxUsers           *int
}

type searchUsersOutput struct {
	UserMatches      []userMatch
	FaceModelVersion string
	SearchedFace     *faceIDWire              `json:",omitempty"`
	SearchedUser     *struct{ UserId string } `json:",omitempty"`
}

func maxUsers(v *int) (int, error) {
	if v == nil {
		return 500, nil
	}
	if *v < 1 || *v > 500 {
		return 0, Invalid("MaxUsers must be between 1 and 500, got %d", *v)
	}
	return *v, nil
}

func (in *searchUsersInput) check() (float32, int, error) {
	if err := checkCollectionID(in.CollectionId); err != nil {
		return 0, 0, err
	}
	switch {
	case (in.UserId == "") == (in.FaceId == ""):
		return 0, 0, Invalid("give exactly one of UserId and FaceId")
	case in.UserId != "":
		if err := checkUserID(in.UserId); err != nil {
			return 0, 0, err
		}
	default:
		if err := checkFaceIDs([]string{in.FaceId}, 1); err != nil {
			return 0, 0, err
		}
	}
	k, err := maxUsers(in.MaxUsers)
	if err != nil {
		return 0, 0, err
	}
	minSim, err := threshold("UserMatchThreshold", in.UserMatchThreshold, 80)
	return minSim, k, err
}

// searchUsers finds the users most similar to a face or to a user (whose
// Similarity to another user is the best over their faces).
func (h *Handler) searchUsers(ctx context.Context, c *call) (any, error) {
	var in searchUsersInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	minSim, k, err := in.check()
	if err != nil {
		return nil, err
	}
	out := searchUsersOutput{FaceModelVersion: faceModelVersion(h.backend.ModelID())}
	probes := []string{in.FaceId}
	if in.UserId != "" {
		if _, err := h.backend.GetUser(ctx, c.tenant, in.CollectionId, in.UserId); err != nil {
			return nil, err
		}
		faces, err := h.backend.ListFaces(ctx, c.tenant, in.CollectionId, FaceQuery{UserID: in.UserId, Limit: 100})
		if err != nil {
			return nil, err
		}
		probes = probes[:0]
		for _, f := range faces {
			probes = append(probes, f.ID)
		}
		out.SearchedUser = &struct{ UserId string }{in.UserId}
	} else {
		out.SearchedFace = &faceIDWire{FaceId: in.FaceId}
	}
	var all []Match
	for _, id := range probes {
		ms, err := h.search(ctx, c.tenant, in.CollectionId, SearchQuery{FaceID: id, K: maxMatches}, minSim)
		if err != nil {
			return nil, err
		}
		all = append(all, ms...)
	}
	if out.UserMatches, err = h.userMatches(ctx, c.tenant, in.CollectionId, all, in.UserId, k); err != nil {
		return nil, err
	}
	return out, nil
}

type searchUsersByImageInput struct {
	CollectionId       string
	Image              *image
	UserMatchThreshold *float32
	MaxUsers           *int
	QualityFilter      string
}

type unsearchedFace struct {
	FaceDetails faceDetail
	Reasons     []string
}

type searchUsersByImageOutput struct {
	UserMatches      []userMatch
	FaceModelVersion string
	SearchedFace     struct{ FaceDetail faceDetail }
	UnsearchedFaces  []unsearchedFace
}

func (h *Handler) searchUsersByImage(ctx context.Context, c *call) (any, error) {
	var in searchUsersByImageInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := checkCollectionID(in.CollectionId); err != nil {
		return nil, err
	}
	k, err := maxUsers(in.MaxUsers)
	if err != nil {
		return nil, err
	}
	minSim, err := threshold("UserMatchThreshold", in.UserMatchThreshold, 80)
	if err != nil {
		return nil, err
	}
	a, i, err := h.probe(ctx, c.tenant, in.CollectionId, in.Image, in.QualityFilter)
	if err != nil {
		return nil, err
	}
	f := a.Faces[i]
	ms, err := h.search(ctx, c.tenant, in.CollectionId, SearchQuery{Embedding: &f.Embedding, K: maxMatches}, minSim)
	if err != nil {
		return nil, err
	}
	out := searchUsersByImageOutput{FaceModelVersion: faceModelVersion(h.backend.ModelID()), UnsearchedFaces: []unsearchedFace{}}
	cs := h.confidenceScale()
	out.SearchedFace.FaceDetail = cs.detail(f, a.Width, a.Height)
	for j, g := range a.Faces {
		if j != i {
			out.UnsearchedFaces = append(out.UnsearchedFaces, unsearchedFace{FaceDetails: cs.detail(g, a.Width, a.Height), Reasons: []string{"FACE_NOT_LARGEST"}})
		}
	}
	if out.UserMatches, err = h.userMatches(ctx, c.tenant, in.CollectionId, ms, "", k); err != nil {
		return nil, err
	}
	return out, nil
}
