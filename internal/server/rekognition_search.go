package server

import (
	"context"
	"errors"

	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/index"
	"github.com/mienhq/mien/internal/rekognition"
	"github.com/mienhq/mien/internal/store"
)

// Search ranks the collection's faces against a probe on the in-memory
// index that identify uses (same scores, same order: best first, ties by
// template id). Faces whose consent expired but are not purged yet are left
// out. Each search is audited like an identification, without templates.
func (b rekBackend) Search(ctx context.Context, tenant, id string, q rekognition.SearchQuery) ([]rekognition.Match, error) {
	c, err := b.collection(ctx, tenant, id)
	if err != nil {
		return nil, err
	}
	probe, exclude, err := b.probe(ctx, tenant, c, q)
	if err != nil {
		return nil, err
	}
	g, err := b.s.galleryFor(c.ID)
	if err != nil {
		return nil, err
	}
	var only map[int64]bool // the user's templates, when searching one user
	if q.UserID != "" {
		fs, err := b.s.opts.Store.Faces(ctx, c.ID, store.FaceQuery{UserID: q.UserID})
		if err != nil {
			return nil, err
		}
		only = map[int64]bool{}
		for _, f := range fs {
			only[f.TemplateID] = true
		}
	}
	out, err := b.rank(ctx, g, c, probe, exclude, only, q)
	if err != nil {
		return nil, err
	}
	subjects := make([]string, 0, len(out))
	for _, m := range out {
		subjects = append(subjects, m.subject)
	}
	by := "image"
	if q.FaceID != "" {
		by = "face"
	}
	b.s.opts.Store.Audit(ctx, store.Entry{TenantID: tenant, Actor: actor(ctx), Action: "rekognition.search", Object: c.ID,
		Detail: map[string]any{"by": by, "user": q.UserID, "matched_subjects": subjects}})
	res := make([]rekognition.Match, len(out))
	for i, m := range out {
		res[i] = m.Match
	}
	return res, nil
}

// probe returns the probe's vector and the template to leave out (the
// searched face's own, or -1).
func (b rekBackend) probe(ctx context.Context, tenant string, c store.Collection, q rekognition.SearchQuery) ([]float32, int64, error) {
	if q.FaceID == "" {
		if q.Embedding == nil {
			return nil, 0, errors.New("server: a search needs a probe")
		}
		if q.Embedding.Model != c.Model {
			return nil, 0, face.ErrModelMismatch
		}
		return q.Embedding.Vector, -1, nil
	}
	f, vec, err := b.s.opts.Store.FaceTemplate(ctx, tenant, c.ID, q.FaceID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, 0, rekognition.NotFound("The face id: %s does not exist in collection %s", q.FaceID, c.Name)
	}
	return vec, f.TemplateID, err
}

type rankedMatch struct {
	rekognition.Match
	subject string
}

// rank searches the index, widening the search until K faces pass the
// filters or the index has nothing more over MinCosine.
func (b rekBackend) rank(ctx context.Context, g *gallery, c store.Collection, probe []float32, exclude int64, only map[int64]bool, q rekognition.SearchQuery) ([]rankedMatch, error) {
	k := q.K + 1
	if only != nil {
		k = g.idx.Len() // one user's faces: rank them all
	}
	for {
		n := g.idx.Len()
		if n == 0 || q.K <= 0 {
			return nil, nil
		}
		ms, err := g.idx.Search(probe, min(k, n))
		if err != nil {
			return nil, err
		}
		var kept []index.Match
		ids := []int64{} // not nil: nil would select every face
		for _, m := range ms {
			if m.ID != exclude && m.Score >= q.MinCosine && (only == nil || only[m.ID]) {
				kept, ids = append(kept, m), append(ids, m.ID)
			}
		}
		fs, err := b.s.opts.Store.Faces(ctx, c.ID, store.FaceQuery{TemplateIDs: ids})
		if err != nil {
			return nil, err
		}
		byTemplate := make(map[int64]store.Face, len(fs))
		for _, f := range fs {
			byTemplate[f.TemplateID] = f
		}
		var out []rankedMatch
		for _, m := range kept {
			if f, ok := byTemplate[m.ID]; ok && len(out) < q.K {
				out = append(out, rankedMatch{rekognition.Match{Face: toFace(f, c.Model), Cosine: m.Score}, f.SubjectID})
			}
		}
		exhausted := len(ms) < k || len(ms) == n || ms[len(ms)-1].Score < q.MinCosine
		if len(out) >= q.K || exhausted {
			return out, nil
		}
		k *= 4
	}
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
