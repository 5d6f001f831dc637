package rekognition

import (
	"context"
	"sort"
)

type userInput struct {
	CollectionId       string
	UserId             string
	ClientRequestToken string
}

func (in *userInput) check() error {
	if err := checkCollectionID(in.CollectionId); err != nil {
		return err
	}
	if err := checkUserID(in.UserId); err != nil {
		return err
	}
	return checkRequestToken(in.ClientRequestToken)
}

type empty struct{}

func (h *Handler) createUser(ctx context.Context, c *call) (any, error) {
	var in userInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := in.check(); err != nil {
		return nil, err
	}
	return h.once(ctx, c, "CreateUser", in.CollectionId, in.ClientRequestToken, in, func() (any, error) {
		return empty{}, h.backend.CreateUser(ctx, c.tenant, in.CollectionId, in.UserId)
	})
}

func (h *Handler) deleteUser(ctx context.Context, c *call) (any, error) {
	var in userInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := in.check(); err != nil {
		return nil, err
	}
	return h.once(ctx, c, "DeleteUser", in.CollectionId, in.ClientRequestToken, in, func() (any, error) {
		return empty{}, h.backend.DeleteUser(ctx, c.tenant, in.CollectionId, in.UserId)
	})
}

type userWire struct {
	UserId     string
	UserStatus string
}

func (u User) wire() userWire {
	if u.FaceCount > 0 {
		return userWire{UserId: u.ID, UserStatus: "ACTIVE"}
	}
	return userWire{UserId: u.ID, UserStatus: "CREATED"}
}

type listUsersOutput struct {
	Users     []userWire
	NextToken string `json:",omitempty"`
}

func (h *Handler) listUsers(ctx context.Context, c *call) (any, error) {
	var in listInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := checkCollectionID(in.CollectionId); err != nil {
		return nil, err
	}
	n, err := limit("MaxResults", in.MaxResults, 500, 500)
	if err != nil {
		return nil, err
	}
	pg := page{op: "ListUsers", collection: in.CollectionId}
	after, err := h.openPage(c, pg, in.NextToken)
	if err != nil {
		return nil, err
	}
	users, err := h.backend.ListUsers(ctx, c.tenant, in.CollectionId, after, n+1)
	if err != nil {
		return nil, err
	}
	out := listUsersOutput{Users: []userWire{}}
	if len(users) > n {
		users = users[:n]
		if out.NextToken, err = h.sealPage(c, pg, users[n-1].ID); err != nil {
			return nil, err
		}
	}
	for _, u := range users {
		out.Users = append(out.Users, u.wire())
	}
	return out, nil
}

type associateInput struct {
	CollectionId       string
	UserId             string
	FaceIds            []string
	UserMatchThreshold *float32
	ClientRequestToken string
}

type faceIDWire struct {
	FaceId string
}

type unsuccessfulAssociation struct {
	FaceId     string
	UserId     string  `json:",omitempty"`
	Confidence float32 `json:",omitempty"`
	Reasons    []string
}

type associateOutput struct {
	AssociatedFaces              []faceIDWire
	UnsuccessfulFaceAssociations []unsuccessfulAssociation
	UserStatus                   string
}

func (in *associateInput) check() (float32, error) {
	if err := checkCollectionID(in.CollectionId); err != nil {
		return 0, err
	}
	if err := checkUserID(in.UserId); err != nil {
		return 0, err
	}
	if err := checkFaceIDs(in.FaceIds, 100); err != nil {
		return 0, err
	}
	if err := checkRequestToken(in.ClientRequestToken); err != nil {
		return 0, err
	}
	return threshold("UserMatchThreshold", in.UserMatchThreshold, 75)
}

// associateFaces associates faces with a user. As in Rekognition, when the
// user already has faces, a new face must match them with at least
// UserMatchThreshold (LOW_MATCH_CONFIDENCE otherwise).
func (h *Handler) associateFaces(ctx context.Context, c *call) (any, error) {
	var in associateInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	minSim, err := in.check()
	if err != nil {
		return nil, err
	}
	return h.once(ctx, c, "AssociateFaces", in.CollectionId, in.ClientRequestToken, in, func() (any, error) {
		return h.associate(ctx, c, &in, minSim)
	})
}

func (h *Handler) associate(ctx context.Context, c *call, in *associateInput, minSim float32) (any, error) {
	user, err := h.backend.GetUser(ctx, c.tenant, in.CollectionId, in.UserId)
	if err != nil {
		return nil, err
	}
	found, err := h.facesByID(ctx, c.tenant, in.CollectionId, in.FaceIds)
	if err != nil {
		return nil, err
	}
	out := associateOutput{AssociatedFaces: []faceIDWire{}, UnsuccessfulFaceAssociations: []unsuccessfulAssociation{}}
	var ok []string
	for _, id := range in.FaceIds {
		f, exists := found[id]
		if !exists {
			out.UnsuccessfulFaceAssociations = append(out.UnsuccessfulFaceAssociations, unsuccessfulAssociation{FaceId: id, Reasons: []string{"FACE_NOT_FOUND"}})
			continue
		}
		if f.UserID != "" && f.UserID != in.UserId {
			out.UnsuccessfulFaceAssociations = append(out.UnsuccessfulFaceAssociations, unsuccessfulAssociation{FaceId: id, UserId: f.UserID, Reasons: []string{"ASSOCIATED_TO_A_DIFFERENT_USER"}})
			continue
		}
		if f.UserID == "" && user.FaceCount > 0 {
			sim, err := h.userSimilarity(ctx, c.tenant, in.CollectionId, id, in.UserId)
			if err != nil {
				return nil, err
			}
			if sim < minSim {
				out.UnsuccessfulFaceAssociations = append(out.UnsuccessfulFaceAssociations, unsuccessfulAssociation{FaceId: id, UserId: in.UserId, Confidence: sim, Reasons: []string{"LOW_MATCH_CONFIDENCE"}})
				continue
			}
		}
		ok = append(ok, id)
		out.AssociatedFaces = append(out.AssociatedFaces, faceIDWire{FaceId: id})
	}
	if len(ok) > 0 {
		if err := h.backend.SetFaceUser(ctx, c.tenant, in.CollectionId, ok, in.UserId); err != nil {
			return nil, err
		}
		user.FaceCount += len(ok)
	}
	out.UserStatus = user.wire().UserStatus
	return out, nil
}

// userSimilarity is the best Similarity of a face to a user's faces.
func (h *Handler) userSimilarity(ctx context.Context, tenant, collection, faceID, userID string) (float32, error) {
	ms, err := h.backend.Search(ctx, tenant, collection, SearchQuery{FaceID: faceID, UserID: userID, K: 1, MinCosine: -1})
	if err != nil || len(ms) == 0 {
		return 0, err
	}
	return h.backend.Similarity(ms[0].Cosine), nil
}

type disassociateOutput struct {
	DisassociatedFaces              []faceIDWire
	UnsuccessfulFaceDisassociations []unsuccessfulFace
	UserStatus                      string
}

func (h *Handler) disassociateFaces(ctx context.Context, c *call) (any, error) {
	var in associateInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if _, err := in.check(); err != nil {
		return nil, err
	}
	return h.once(ctx, c, "DisassociateFaces", in.CollectionId, in.ClientRequestToken, in, func() (any, error) {
		return h.disassociate(ctx, c, &in)
	})
}

func (h *Handler) disassociate(ctx context.Context, c *call, in *associateInput) (any, error) {
	user, err := h.backend.GetUser(ctx, c.tenant, in.CollectionId, in.UserId)
	if err != nil {
		return nil, err
	}
	found, err := h.facesByID(ctx, c.tenant, in.CollectionId, in.FaceIds)
	if err != nil {
		return nil, err
	}
	out := disassociateOutput{DisassociatedFaces: []faceIDWire{}, UnsuccessfulFaceDisassociations: []unsuccessfulFace{}}
	var ok []string
	for _, id := range in.FaceIds {
		f, exists := found[id]
		switch {
		case !exists:
			out.UnsuccessfulFaceDisassociations = append(out.UnsuccessfulFaceDisassociations, unsuccessfulFace{FaceId: id, Reasons: []string{"FACE_NOT_FOUND"}})
		case f.UserID != in.UserId:
			out.UnsuccessfulFaceDisassociations = append(out.UnsuccessfulFaceDisassociations, unsuccessfulFace{FaceId: id, UserId: f.UserID, Reasons: []string{"ASSOCIATED_TO_A_DIFFERENT_USER"}})
		default:
			ok = append(ok, id)
			out.DisassociatedFaces = append(out.DisassociatedFaces, faceIDWire{FaceId: id})
		}
	}
	if len(ok) > 0 {
		if err := h.backend.SetFaceUser(ctx, c.tenant, in.CollectionId, ok, ""); err != nil {
			return nil, err
		}
		user.FaceCount -= len(ok)
	}
	out.UserStatus = user.wire().UserStatus
	return out, nil
}

type userMatch struct {
	Similarity float32
	User       userWire
}

// userMatches groups face matches by user (a user's Similarity is its best
// face's), leaving out faces of no user and the user excluded.
func (h *Handler) userMatches(ctx context.Context, tenant, collection string, ms []Match, exclude string, k int) ([]userMatch, error) {
	best := map[string]float32{}
	for _, m := range ms {
		if u := m.Face.UserID; u != "" && u != exclude {
			best[u] = max(best[u], h.backend.Similarity(m.Cosine))
		}
	}
	out := make([]userMatch, 0, len(best))
	for u, sim := range best {
		user, err := h.backend.GetUser(ctx, tenant, collection, u)
		if err != nil {
			continue // deleted meanwhile
		}
		out = append(out, userMatch{Similarity: sim, User: user.wire()})
	}
	sort.Slice(out, func(a, b int) bool {
		if out[a].Similarity != out[b].Similarity {
			return out[a].Similarity > out[b].Similarity
		}
		return out[a].User.UserId < out[b].User.UserId
	})
	if len(out) > k {
		out = out[:k]
	}
	return out, nil
}
