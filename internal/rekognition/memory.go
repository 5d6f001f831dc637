package rekognition

import (
	"cmp"
	"context"
	"crypto/rand"
	"slices"
	"sync"
	"time"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/detect"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/models"
)

// Analyzer is the part of *mien.Engine a backend analyses images with.
type Analyzer interface {
	Analyze(ctx context.Context, image []byte, opts detect.Options) (*mien.Analysis, error)
	ModelID() string
	Similarity(cos float32) float32
	CosineForSimilarity(sim float32) float32
}

// Memory is a Backend that keeps everything in memory, for tests and for
// trying the protocol out; it is safe for concurrent use. Faces whose
// consent has expired are never returned.
type Memory struct {
	Analyzer
	now func() time.Time

	tokenKey []byte

	mu      sync.RWMutex
	keys    map[string]Credentials
	tenants map[string]map[string]*memCollection
}

type memCollection struct {
	info    Collection
	faces   map[string]*NewFace
	users   map[string]bool
	answers map[AnswerKey]keptAnswer
}

type keptAnswer struct {
	Answer
	expires time.Time
}

// NewMemory returns an empty in-memory backend analysing with a.
func NewMemory(a Analyzer) *Memory {
	key := make([]byte, 32)
	rand.Read(key)
	return &Memory{Analyzer: a, now: time.Now, tokenKey: key, keys: map[string]Credentials{}, tenants: map[string]map[string]*memCollection{}}
}

// DetectorID implements Backend: the analyzer's detector when it names one
// (as *mien.Engine does).
func (m *Memory) DetectorID() string {
	if d, ok := m.Analyzer.(interface{ DetectorModel() models.Model }); ok {
		return d.DetectorModel().ID
	}
	return ""
}

// TokenKey implements Backend: a key drawn when the Memory was made.
func (m *Memory) TokenKey() []byte { return m.tokenKey }

// AddKey registers an access key.
func (m *Memory) AddKey(accessKeyID string, c Credentials) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.keys[accessKeyID] = c
}

// Credentials implements Backend.
func (m *Memory) Credentials(_ context.Context, id string) (Credentials, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	c, ok := m.keys[id]
	if !ok {
		return c, ErrUnknownKey
	}
	return c, nil
}

func (m *Memory) collection(tenant, id string) (*memCollection, error) {
	c, ok := m.tenants[tenant][id]
	if !ok {
		return nil, CollectionNotFound(id)
	}
	return c, nil
}

// live reports whether a face's consent still holds.
func (m *Memory) live(f *NewFace) bool {
	return f.Consent.ExpiresAt.IsZero() || m.now().Before(f.Consent.ExpiresAt)
}

func (c *memCollection) describe(m *Memory) Collection {
	info := c.info
	info.FaceCount, info.UserCount = 0, int64(len(c.users))
	for _, f := range c.faces {
		if m.live(f) {
			info.FaceCount++
		}
	}
	return info
}

// CreateCollection implements Backend.
func (m *Memory) CreateCollection(_ context.Context, tenant string, nc NewCollection) (Collection, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.tenants[tenant][nc.ID]; ok {
		return Collection{}, Exists("The collection id: %s already exists", nc.ID)
	}
	if m.tenants[tenant] == nil {
		m.tenants[tenant] = map[string]*memCollection{}
	}
	c := &memCollection{info: Collection{ID: nc.ID, ModelID: m.ModelID(), CreatedAt: m.now(), Consent: nc.Consent},
		faces: map[string]*NewFace{}, users: map[string]bool{}, answers: map[AnswerKey]keptAnswer{}}
	m.tenants[tenant][nc.ID] = c
	return c.info, nil
}

// DescribeCollection implements Backend.
func (m *Memory) DescribeCollection(_ context.Context, tenant, id string) (Collection, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	c, err := m.collection(tenant, id)
	if err != nil {
		return Collection{}, err
	}
	return c.describe(m), nil
}

// ListCollections implements Backend.
func (m *Memory) ListCollections(_ context.Context, tenant, after string, limit int) ([]Collection, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var out []Collection
	for id, c := range m.tenants[tenant] {
		if id > after {
			out = append(out, c.describe(m))
		}
	}
	slices.SortFunc(out, func(a, b Collection) int { return cmp.Compare(a.ID, b.ID) })
	return truncate(out, limit), nil
}

// DeleteCollection implements Backend.
func (m *Memory) DeleteCollection(_ context.Context, tenant, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := m.collection(tenant, id); err != nil {
		return err
	}
	delete(m.tenants[tenant], id)
	return nil
}

// IndexFaces implements Backend.
func (m *Memory) IndexFaces(_ context.Context, tenant, collection string, faces []NewFace) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, err := m.collection(tenant, collection)
	if err != nil {
		return err
	}
	for i := range faces {
		f := faces[i]
		f.Embedding.Vector = slices.Clone(f.Embedding.Vector)
		c.faces[f.ID] = &f
	}
	return nil
}

// ListFaces implements Backend.
func (m *Memory) ListFaces(_ context.Context, tenant, collection string, q FaceQuery) ([]Face, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	c, err := m.collection(tenant, collection)
	if err != nil {
		return nil, err
	}
	var out []Face
	for id, f := range c.faces {
		if id > q.After && m.live(f) && (q.UserID == "" || f.UserID == q.UserID) && (q.FaceIDs == nil || slices.Contains(q.FaceIDs, id)) {
			out = append(out, f.Face)
		}
	}
	slices.SortFunc(out, func(a, b Face) int { return cmp.Compare(a.ID, b.ID) })
	return truncate(out, q.Limit), nil
}

// DeleteFaces implements Backend.
func (m *Memory) DeleteFaces(_ context.Context, tenant, collection string, ids []string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, err := m.collection(tenant, collection)
	if err != nil {
		return nil, err
	}
	deleted := []string{}
	for _, id := range ids {
		if _, ok := c.faces[id]; ok {
			delete(c.faces, id)
			deleted = append(deleted, id)
		}
	}
	return deleted, nil
}

// Search implements Backend.
func (m *Memory) Search(_ context.Context, tenant, collection string, q SearchQuery) ([]Match, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	c, err := m.collection(tenant, collection)
	if err != nil {
		return nil, err
	}
	probe := q.Embedding
	if q.FaceID != "" {
		f, ok := c.faces[q.FaceID]
		if !ok || !m.live(f) {
			return nil, NotFound("The face id: %s does not exist in collection %s", q.FaceID, collection)
		}
		probe = &f.Embedding
	}
	var out []Match
	for id, f := range c.faces {
		if id == q.FaceID || !m.live(f) || (q.UserID != "" && f.UserID != q.UserID) {
			continue
		}
		cos, err := face.Cosine(*probe, f.Embedding)
		if err != nil {
			return nil, err
		}
		if cos >= q.MinCosine {
			out = append(out, Match{Face: f.Face, Cosine: cos})
		}
	}
	slices.SortFunc(out, func(a, b Match) int {
		return cmp.Or(cmp.Compare(b.Cosine, a.Cosine), cmp.Compare(a.Face.ID, b.Face.ID))
	})
	return truncate(out, q.K), nil
}

// CreateUser implements Backend.
func (m *Memory) CreateUser(_ context.Context, tenant, collection, userID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, err := m.collection(tenant, collection)
	if err != nil {
		return err
	}
	if c.users[userID] {
		return Conflict("A user with id %s already exists in collection %s", userID, collection)
	}
	c.users[userID] = true
	return nil
}

func (m *Memory) user(tenant, collection, userID string) (*memCollection, error) {
	c, err := m.collection(tenant, collection)
	if err != nil {
		return nil, err
	}
	if !c.users[userID] {
		return nil, NotFound("The user id: %s does not exist in collection %s", userID, collection)
	}
	return c, nil
}

// GetUser implements Backend.
func (m *Memory) GetUser(_ context.Context, tenant, collection, userID string) (User, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	c, err := m.user(tenant, collection, userID)
	if err != nil {
		return User{}, err
	}
	return c.userInfo(m, userID), nil
}

func (c *memCollection) userInfo(m *Memory, id string) User {
	u := User{ID: id}
	for _, f := range c.faces {
		if f.UserID == id && m.live(f) {
			u.FaceCount++
		}
	}
	return u
}

// DeleteUser implements Backend.
func (m *Memory) DeleteUser(_ context.Context, tenant, collection, userID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, err := m.user(tenant, collection, userID)
	if err != nil {
		return err
	}
	delete(c.users, userID)
	for _, f := range c.faces {
		if f.UserID == userID {
			f.UserID = ""
		}
	}
	return nil
}

// ListUsers implements Backend.
func (m *Memory) ListUsers(_ context.Context, tenant, collection, after string, limit int) ([]User, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	c, err := m.collection(tenant, collection)
	if err != nil {
		return nil, err
	}
	var out []User
	for id := range c.users {
		if id > after {
			out = append(out, c.userInfo(m, id))
		}
	}
	slices.SortFunc(out, func(a, b User) int { return cmp.Compare(a.ID, b.ID) })
	return truncate(out, limit), nil
}

// SetFaceUser implements Backend.
func (m *Memory) SetFaceUser(_ context.Context, tenant, collection string, faceIDs []string, userID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, err := m.collection(tenant, collection)
	if err != nil {
		return err
	}
	if userID != "" && !c.users[userID] {
		return NotFound("The user id: %s does not exist in collection %s", userID, collection)
	}
	for _, id := range faceIDs {
		if _, ok := c.faces[id]; !ok {
			return NotFound("The face id: %s does not exist in collection %s", id, collection)
		}
	}
	for _, id := range faceIDs {
		c.faces[id].UserID = userID
	}
	return nil
}

// Answer implements Backend.
func (m *Memory) Answer(_ context.Context, tenant, collection string, key AnswerKey) (Answer, bool, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	c, err := m.collection(tenant, collection)
	if err != nil {
		return Answer{}, false, err
	}
	a, ok := c.answers[key]
	if !ok || !m.now().Before(a.expires) {
		return Answer{}, false, nil
	}
	return a.Answer, true, nil
}

// KeepAnswer implements Backend.
func (m *Memory) KeepAnswer(_ context.Context, tenant, collection string, key AnswerKey, a Answer) (Answer, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, err := m.collection(tenant, collection)
	if err != nil {
		return Answer{}, err
	}
	now := m.now()
	for k, kept := range c.answers {
		if !now.Before(kept.expires) {
			delete(c.answers, k)
		}
	}
	if kept, ok := c.answers[key]; ok {
		return kept.Answer, nil
	}
	c.answers[key] = keptAnswer{Answer{Fingerprint: a.Fingerprint, Body: slices.Clone(a.Body)}, now.Add(AnswerLifetime)}
	return a, nil
}

func truncate[T any](s []T, n int) []T {
	if n > 0 && len(s) > n {
		return s[:n]
	}
	return s
}

var _ Backend = (*Memory)(nil)
