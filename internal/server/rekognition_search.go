package server

import (
	"context"
	"errors"

	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/internal/gallery"
	"github.com/mienhq/mien/internal/rekognition"
	"github.com/mienhq/mien/internal/store"
)

// Search ranks the collection's faces against a probe through the gallery
// (the ranking, scores and consent rule of /v1 identify), then dresses the
// templates it found as Rekognition faces. Each search is audited like an
// identification, without templates.
func (b rekBackend) Search(ctx context.Context, tenant, id string, q rekognition.SearchQuery) ([]rekognition.Match, error) {
	c, err := b.collection(ctx, tenant, id)
	if err != nil {
		return nil, err
	}
	probe, exclude, err := b.probe(ctx, tenant, c, q)
	if err != nil {
		return nil, err
	}
	gq := gallery.SearchQuery{K: q.K, MinCosine: q.MinCosine, Exclude: exclude}
	if q.UserID != "" { // only the user's faces
		fs, err := b.s.opts.Store.Faces(ctx, c.ID, store.FaceQuery{UserID: q.UserID})
		if err != nil {
			return nil, err
		}
		gq.Only = map[int64]bool{}
		for _, f := range fs {
			gq.Only[f.TemplateID] = true
		}
	}
	hits, err := b.s.gal.Search(ctx, c, probe, gq)
	if err != nil {
		return nil, err
	}
	res, subjects, err := b.faces(ctx, c, hits)
	if err != nil {
		return nil, err
	}
	by := "image"
	if q.FaceID != "" {
		by = "face"
	}
	b.s.opts.Store.Audit(ctx, store.Entry{TenantID: tenant, Actor: actor(ctx), Action: "rekognition.search", Object: c.ID,
		Detail: map[string]any{"by": by, "user": b.s.opts.Store.PseudonymUser(c.ID, q.UserID), "matched_subjects": subjects}})
	return res, nil
}

// faces looks up the face record of each template the gallery found, in
// the gallery's order.
func (b rekBackend) faces(ctx context.Context, c store.Collection, hits []gallery.Hit) ([]rekognition.Match, []string, error) {
	ids := make([]int64, len(hits))
	for i, h := range hits {
		ids[i] = h.TemplateID
	}
	fs, err := b.s.opts.Store.Faces(ctx, c.ID, store.FaceQuery{TemplateIDs: ids})
	if err != nil {
		return nil, nil, err
	}
	byTemplate := make(map[int64]store.Face, len(fs))
	for _, f := range fs {
		byTemplate[f.TemplateID] = f
	}
	res := make([]rekognition.Match, 0, len(hits))
	subjects := make([]string, 0, len(hits))
	for _, h := range hits {
		if f, ok := byTemplate[h.TemplateID]; ok { // erased meanwhile: left out
			res = append(res, rekognition.Match{Face: toFace(f, c.Model), Cosine: h.Score})
			subjects = append(subjects, h.SubjectID)
		}
	}
	return res, subjects, nil
}

// probe returns the probe and the template to leave out (the searched
// face's own, or 0).
func (b rekBackend) probe(ctx context.Context, tenant string, c store.Collection, q rekognition.SearchQuery) (face.Embedding, int64, error) {
	if q.FaceID == "" {
		if q.Embedding == nil {
			return face.Embedding{}, 0, errors.New("server: a search needs a probe")
		}
		return *q.Embedding, 0, nil
	}
	f, vec, err := b.s.opts.Store.FaceTemplate(ctx, tenant, c.ID, q.FaceID)
	if errors.Is(err, store.ErrNotFound) {
		return face.Embedding{}, 0, rekognition.NotFound("The face id: %s does not exist in collection %s", q.FaceID, c.Name)
	}
	return face.Embedding{Model: c.Model, Vector: vec}, f.TemplateID, err
}

func (b rekBackend) CreateUser(ctx context.Context, tenant, id, userID string) error {
	c, err := b.collection(ctx, tenant, id)
	if err != nil {
		return err
	}
	err = b.s.opts.Store.CreateUser(ctx, tenant, c.ID, userID, actor(ctx))
	if errors.Is(err, store.ErrExists) {
		return rekognition.Conflict("A user with id %s already exists in collection %s", userID, id)
	}
	return rekErr(err)
}

func userNotFound(userID, collection string) error {
	return rekognition.NotFound("The user id: %s does not exist in collection %s", userID, collection)
}

func (b rekBackend) GetUser(ctx context.Context, tenant, id, userID string) (rekognition.User, error) {
	c, err := b.collection(ctx, tenant, id)
	if err != nil {
		return rekognition.User{}, err
	}
	u, err := b.s.opts.Store.User(ctx, c.ID, userID)
	if errors.Is(err, store.ErrNotFound) {
		return rekognition.User{}, userNotFound(userID, id)
	}
	return rekognition.User{ID: u.ID, FaceCount: u.Faces}, err
}

func (b rekBackend) DeleteUser(ctx context.Context, tenant, id, userID string) error {
	c, err := b.collection(ctx, tenant, id)
	if err != nil {
		return err
	}
	err = b.s.opts.Store.DeleteUser(ctx, tenant, c.ID, userID, actor(ctx))
	if errors.Is(err, store.ErrNotFound) {
		return userNotFound(userID, id)
	}
	return err
}

func (b rekBackend) ListUsers(ctx context.Context, tenant, id, after string, limit int) ([]rekognition.User, error) {
	c, err := b.collection(ctx, tenant, id)
	if err != nil {
		return nil, err
	}
	us, err := b.s.opts.Store.Users(ctx, c.ID, after, limit)
	if err != nil {
		return nil, err
	}
	out := make([]rekognition.User, len(us))
	for i, u := range us {
		out[i] = rekognition.User{ID: u.ID, FaceCount: u.Faces}
	}
	return out, nil
}

func (b rekBackend) SetFaceUser(ctx context.Context, tenant, id string, faceIDs []string, userID string) error {
	c, err := b.collection(ctx, tenant, id)
	if err != nil {
		return err
	}
	return rekErr(b.s.opts.Store.SetFaceUser(ctx, tenant, c.ID, faceIDs, userID, actor(ctx)))
}
