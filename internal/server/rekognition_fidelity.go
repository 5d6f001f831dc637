package server

// The Rekognition backend's numbers and replays: Similarity from the
// engine's per-comparison false-match rate, the key that seals NextToken,
// and the answers kept for ClientRequestToken.

import (
	"context"
	"errors"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/internal/rekognition"
	"github.com/mienhq/mien/internal/store"
	"github.com/mienhq/mien/models"
)

// similarityScale is how an engine maps cosines to Rekognition's 0-100
// Similarity (*mien.Engine does, through its calibrated false-match rate).
type similarityScale interface {
	Similarity(cos float32) float32
	CosineForSimilarity(sim float32) float32
}

// Similarity implements rekognition.Backend with the engine's mapping; an
// engine without one reaches no Similarity above 0.
func (b rekBackend) Similarity(cos float32) float32 {
	if m, ok := b.s.opts.Engine.(similarityScale); ok {
		return m.Similarity(cos)
	}
	return 0
}

// CosineForSimilarity implements rekognition.Backend (1, nothing but an
// identical face, for an engine without a mapping).
func (b rekBackend) CosineForSimilarity(sim float32) float32 {
	if m, ok := b.s.opts.Engine.(similarityScale); ok {
		return m.CosineForSimilarity(sim)
	}
	return 1
}

// DetectorID implements rekognition.Backend: the engine's detector
// (*mien.Engine names it).
func (b rekBackend) DetectorID() string {
	if d, ok := b.s.opts.Engine.(interface{ DetectorModel() models.Model }); ok {
		return d.DetectorModel().ID
	}
	return ""
}

// TokenKey implements rekognition.Backend: derived from the master key, so
// tokens stay good across restarts and between servers sharing the key.
func (b rekBackend) TokenKey() []byte { return b.s.opts.Store.DerivedKey("rekognition-next-token") }

func (b rekBackend) requestKey(ctx context.Context, tenant, name string, k rekognition.AnswerKey) (store.RequestKey, error) {
	c, err := b.collection(ctx, tenant, name)
	if err != nil {
		return store.RequestKey{}, err
	}
	return store.RequestKey{TenantID: tenant, CollectionID: c.ID, Operation: k.Operation, Token: k.Token}, nil
}

// Answer implements rekognition.Backend.
func (b rekBackend) Answer(ctx context.Context, tenant, collection string, k rekognition.AnswerKey) (rekognition.Answer, bool, error) {
	key, err := b.requestKey(ctx, tenant, collection, k)
	if err != nil {
		return rekognition.Answer{}, false, err
	}
	a, err := b.s.opts.Store.Answer(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return rekognition.Answer{}, false, nil
	}
	return rekognition.Answer(a), err == nil, err
}

// KeepAnswer implements rekognition.Backend.
func (b rekBackend) KeepAnswer(ctx context.Context, tenant, collection string, k rekognition.AnswerKey, a rekognition.Answer) (rekognition.Answer, error) {
	key, err := b.requestKey(ctx, tenant, collection, k)
	if err != nil {
		return rekognition.Answer{}, err
	}
	kept, err := b.s.opts.Store.KeepAnswer(ctx, key, store.KeptAnswer(a), rekognition.AnswerLifetime)
	return rekognition.Answer(kept), err
}

var (
	_ rekognition.Backend = rekBackend{}
	_ similarityScale     = (*mien.Engine)(nil)
)
