package server

// The AWS Rekognition-compatible endpoint over the server's own store,
// engine queue and gallery: a Rekognition collection is a mien collection
// (CollectionId is its name), a face is one enrolled template of a subject
// with its consent record. This adapter decides nothing: indexing, erasure
// and searches go through internal/gallery, the service /v1 identify and
// verify use, so both APIs see one gallery and decide alike.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/detect"
	"github.com/mienhq/mien/internal/gallery"
	"github.com/mienhq/mien/internal/rekognition"
	"github.com/mienhq/mien/internal/store"
)

// rekognitionHandler returns the protocol handler over the server.
func (s *Server) rekognitionHandler() http.Handler {
	maxBody := int64(16 << 20)
	if s.opts.MaxBody <= maxBody {
		maxBody = s.opts.MaxBody - 1 // refused by the handler, in AWS's words, before MaxBytesReader trips
	}
	return rekognition.New(rekBackend{s}, rekognition.Options{Logger: s.opts.Logger, MaxBodyBytes: maxBody, AutoGate: s.opts.Gate})
}

// rekBackend implements rekognition.Backend. Tenants are mien tenant ids.
type rekBackend struct{ s *Server }

func actor(ctx context.Context) string { return "aws:" + rekognition.AccessKeyID(ctx) }

// rekErr maps the store's errors to Rekognition's.
func rekErr(err error) error {
	msg := func(sentinel error) string {
		return strings.TrimPrefix(strings.TrimPrefix(err.Error(), sentinel.Error()), ": ")
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNotFound):
		return rekognition.NotFound("The %s does not exist", msg(store.ErrNotFound))
	case errors.Is(err, store.ErrExists):
		return rekognition.Conflict("The %s already exists", msg(store.ErrExists))
	case errors.Is(err, store.ErrConsent):
		return rekognition.Denied("consent: %s", msg(store.ErrConsent))
	case errors.Is(err, store.ErrInvalid):
		return rekognition.Invalid("%s", msg(store.ErrInvalid))
	}
	return err
}

func (b rekBackend) Credentials(ctx context.Context, id string) (rekognition.Credentials, error) {
	k, secret, err := b.s.opts.Store.AWSCredentials(ctx, id)
	if errors.Is(err, store.ErrUnauthorized) {
		return rekognition.Credentials{}, rekognition.ErrUnknownKey
	}
	if err != nil {
		return rekognition.Credentials{}, err
	}
	return rekognition.Credentials{Tenant: k.TenantID, Secret: secret, ReadOnly: k.ReadOnly}, nil
}

// Analyze runs the engine within the server's bounded queue.
func (b rekBackend) Analyze(ctx context.Context, data []byte, opts detect.Options) (*mien.Analysis, error) {
	a, err := b.s.analyze(ctx, data, opts)
	if errors.Is(err, ErrBusy) {
		return nil, fmt.Errorf("%w: %w", rekognition.ErrBusy, err)
	}
	return a, err
}

func (b rekBackend) ModelID() string { return b.s.opts.Engine.ModelID() }

func (b rekBackend) collection(ctx context.Context, tenant, name string) (store.Collection, error) {
	c, err := b.s.opts.Store.CollectionByName(ctx, tenant, name)
	if errors.Is(err, store.ErrNotFound) {
		return c, rekognition.CollectionNotFound(name)
	}
	return c, err
}

func (b rekBackend) describe(ctx context.Context, c store.Collection) (rekognition.Collection, error) {
	out := rekognition.Collection{ID: c.Name, ModelID: c.Model, CreatedAt: time.Unix(c.CreatedAt, 0).UTC()}
	p, err := b.s.opts.Store.Policy(ctx, c.ID)
	if err != nil {
		return out, err
	}
	if p != nil {
		out.Consent = &rekognition.ConsentPolicy{Purpose: p.Purpose, Retention: p.Retention, Evidence: p.Evidence}
	}
	out.FaceCount, out.UserCount, err = b.s.opts.Store.CollectionCounts(ctx, c.ID)
	return out, err
}

func (b rekBackend) CreateCollection(ctx context.Context, tenant string, nc rekognition.NewCollection) (rekognition.Collection, error) {
	var p *store.ConsentPolicy
	if nc.Consent != nil {
		p = &store.ConsentPolicy{Purpose: nc.Consent.Purpose, Retention: nc.Consent.Retention, Evidence: nc.Consent.Evidence}
	}
	c, err := b.s.opts.Store.CreateCollectionWithPolicy(ctx, tenant, nc.ID, b.ModelID(), p, actor(ctx))
	if errors.Is(err, store.ErrExists) {
		return rekognition.Collection{}, rekognition.Exists("The collection id: %s already exists", nc.ID)
	}
	if err != nil {
		return rekognition.Collection{}, rekErr(err)
	}
	return b.describe(ctx, c)
}

func (b rekBackend) DescribeCollection(ctx context.Context, tenant, id string) (rekognition.Collection, error) {
	c, err := b.collection(ctx, tenant, id)
	if err != nil {
		return rekognition.Collection{}, err
	}
	return b.describe(ctx, c)
}

// collectionIDPattern is Rekognition's CollectionId: collections created
// through /v1 with other names are not listed (clients could not name them).
var collectionIDPattern = regexp.MustCompile(`^[a-zA-Z0-9_.\-]{1,255}$`)

func (b rekBackend) ListCollections(ctx context.Context, tenant, after string, limit int) ([]rekognition.Collection, error) {
	cols, err := b.s.opts.Store.CollectionsAfter(ctx, tenant, after, 0)
	if err != nil {
		return nil, err
	}
	var out []rekognition.Collection
	for _, c := range cols {
		if !collectionIDPattern.MatchString(c.Name) {
			continue
		}
		d, err := b.describe(ctx, c)
		if err != nil {
			return nil, err
		}
		if out = append(out, d); len(out) == limit {
			break
		}
	}
	return out, nil
}

func (b rekBackend) DeleteCollection(ctx context.Context, tenant, id string) error {
	c, err := b.collection(ctx, tenant, id)
	if err != nil {
		return err
	}
	return rekErr(b.s.eraseCollection(ctx, gallery.Actor{Tenant: tenant, ID: actor(ctx)}, c.ID))
}

// evidence is the consent evidence recorded with an indexed face: where the
// collection's policy says evidence is kept, and the client's reference for
// the person (ExternalImageId).
func evidence(f rekognition.NewFace) string {
	ev := f.Consent.Evidence
	if ev == "" {
		ev = "consent policy of the collection"
	}
	if f.ExternalImageID != "" {
		ev += " #" + f.ExternalImageID
	}
	return ev
}

// IndexFaces enrols the faces (all or none) through the gallery.
func (b rekBackend) IndexFaces(ctx context.Context, tenant, id string, faces []rekognition.NewFace) error {
	c, err := b.collection(ctx, tenant, id)
	if err != nil {
		return err
	}
	if st, err := b.s.opts.Store.CollectionSettings(ctx, c.ID); err != nil {
		return err
	} else if st.RequireLiveness {
		return rekognition.Denied("the collection %s requires a liveness token to enrol: enrol through /v1 with liveness_token", id)
	}
	nfs := make([]gallery.NewFace, len(faces))
	for i, f := range faces {
		con := store.Consent{Purpose: f.Consent.Purpose, ConsentedAt: f.Consent.ConsentedAt, ExpiresAt: f.Consent.ExpiresAt, Evidence: evidence(f)}
		nfs[i] = gallery.NewFace{Face: store.Face{ID: f.ID, ImageID: f.ImageID, ExternalImageID: f.ExternalImageID,
			Box: store.Box(f.Box), Confidence: f.Confidence, Consent: con}, Embedding: f.Embedding, Quality: f.Quality}
	}
	_, err = b.s.gal.IndexFaces(ctx, gallery.Actor{Tenant: tenant, ID: actor(ctx)}, c, nfs)
	return rekErr(err)
}

func toFace(f store.Face, model string) rekognition.Face {
	return rekognition.Face{ID: f.ID, ImageID: f.ImageID, ExternalImageID: f.ExternalImageID, UserID: f.UserID,
		Box: rekognition.Box(f.Box), Confidence: f.Confidence, ModelID: model,
		Consent: rekognition.Consent{Purpose: f.Consent.Purpose, ConsentedAt: f.Consent.ConsentedAt, ExpiresAt: f.Consent.ExpiresAt, Evidence: f.Consent.Evidence}}
}

func (b rekBackend) ListFaces(ctx context.Context, tenant, id string, q rekognition.FaceQuery) ([]rekognition.Face, error) {
	c, err := b.collection(ctx, tenant, id)
	if err != nil {
		return nil, err
	}
	fs, err := b.s.opts.Store.Faces(ctx, c.ID, store.FaceQuery{After: q.After, Limit: q.Limit, UserID: q.UserID, FaceIDs: q.FaceIDs})
	if err != nil {
		return nil, err
	}
	out := make([]rekognition.Face, len(fs))
	for i, f := range fs {
		out[i] = toFace(f, c.Model)
	}
	return out, nil
}

// DeleteFaces erases faces through the gallery (store, then index).
func (b rekBackend) DeleteFaces(ctx context.Context, tenant, id string, ids []string) ([]string, error) {
	c, err := b.collection(ctx, tenant, id)
	if err != nil {
		return nil, err
	}
	del, err := b.s.gal.DeleteFaces(ctx, gallery.Actor{Tenant: tenant, ID: actor(ctx)}, c.ID, ids)
	if err != nil {
		return nil, rekErr(err)
	}
	out := make([]string, 0, len(del))
	for _, f := range del {
		out = append(out, f.ID)
	}
	return out, nil
}
