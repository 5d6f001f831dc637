package rekognition

import (
	"context"
	"errors"
	"time"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/detect"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/quality"
)

// Backend is what the handler needs from mien: keys, the engine and the
// store. Collections, faces and users are scoped to a tenant; a Backend never
// lets one tenant see another's data. Implementations must be safe for
// concurrent use.
//
// Errors: return *Error values (NotFound, Exists, Invalid, ...) for what the
// client did wrong, wrap ErrBusy when the work queue is full, and
// imageio's sentinels come through Analyze unchanged; anything else answers
// InternalServerError and is logged.
type Backend interface {
	// Credentials returns the tenant and secret of an access-key id, or
	// ErrUnknownKey.
	Credentials(ctx context.Context, accessKeyID string) (Credentials, error)

	// Analyze detects, assesses and embeds every face in untrusted image
	// bytes. Nothing it computes is kept.
	Analyze(ctx context.Context, image []byte, opts detect.Options) (*mien.Analysis, error)
	// ModelID is the recognizer that makes the backend's templates.
	ModelID() string
	// DetectorID is the model id of the face detector Analyze runs ("" if
	// unknown); detection Confidence is mapped per detector.
	DetectorID() string
	// Similarity maps a cosine of two templates to Rekognition's 0-100
	// Similarity; it is monotone and defined by the engine from the
	// recognizer's per-comparison false-match rate.
	Similarity(cos float32) float32
	// CosineForSimilarity is the least cosine whose Similarity reaches sim.
	CosineForSimilarity(sim float32) float32
	// TokenKey is a 32-byte secret that seals NextToken values. It must be
	// the same across restarts (and replicas) so a client's token stays good.
	TokenKey() []byte

	CreateCollection(ctx context.Context, tenant string, c NewCollection) (Collection, error)
	DescribeCollection(ctx context.Context, tenant, id string) (Collection, error)
	// ListCollections returns up to limit collections with ids greater than
	// after, in id order.
	ListCollections(ctx context.Context, tenant, after string, limit int) ([]Collection, error)
	// DeleteCollection erases the collection with every template in it.
	DeleteCollection(ctx context.Context, tenant, id string) error

	// IndexFaces enrols faces, all or none. Each carries its consent record.
	IndexFaces(ctx context.Context, tenant, collection string, faces []NewFace) error
	// ListFaces returns faces in id order (see FaceQuery).
	ListFaces(ctx context.Context, tenant, collection string, q FaceQuery) ([]Face, error)
	// DeleteFaces erases the faces with these ids and returns the ids it
	// erased; ids that do not exist are left out.
	DeleteFaces(ctx context.Context, tenant, collection string, ids []string) ([]string, error)
	// Search returns the faces most similar to a probe, best first.
	Search(ctx context.Context, tenant, collection string, q SearchQuery) ([]Match, error)

	// CreateUser creates an empty user (Conflict if it exists).
	CreateUser(ctx context.Context, tenant, collection, userID string) error
	GetUser(ctx context.Context, tenant, collection, userID string) (User, error)
	// DeleteUser deletes a user and disassociates its faces (which stay).
	DeleteUser(ctx context.Context, tenant, collection, userID string) error
	// ListUsers returns up to limit users with ids greater than after.
	ListUsers(ctx context.Context, tenant, collection, after string, limit int) ([]User, error)
	// SetFaceUser associates faces with a user, or disassociates them when
	// userID is "".
	SetFaceUser(ctx context.Context, tenant, collection string, faceIDs []string, userID string) error

	// Answer returns the answer kept for an earlier request made with a
	// ClientRequestToken (ok is false when none is kept or it expired).
	Answer(ctx context.Context, tenant, collection string, key AnswerKey) (a Answer, ok bool, err error)
	// KeepAnswer keeps a request's answer under its token for
	// AnswerLifetime, unless an answer is kept already; it returns the kept
	// answer, the first.
	KeepAnswer(ctx context.Context, tenant, collection string, key AnswerKey, a Answer) (Answer, error)
}

// AnswerKey names a request made with a ClientRequestToken: within a
// tenant and collection, an operation and the client's token.
type AnswerKey struct {
	Operation string
	Token     string
}

// Answer is what was answered to a request made with a ClientRequestToken:
// a fingerprint of the request's parameters and the response body.
type Answer struct {
	Fingerprint string
	Body        []byte
}

// AnswerLifetime is how long an answer is kept for its ClientRequestToken.
const AnswerLifetime = 24 * time.Hour

// ErrUnknownKey is returned by Backend.Credentials for an access-key id it
// does not know.
var ErrUnknownKey = errors.New("rekognition: unknown access key")

// ErrBusy is wrapped by backends whose work queue is full; the client gets
// ThrottlingException and retries.
var ErrBusy = errors.New("rekognition: server busy")

// Credentials are one access key's tenant, secret and role.
type Credentials struct {
	Tenant string
	Secret string
	// ReadOnly keys may detect, compare, list, describe and search, but not
	// create, index, associate or delete.
	ReadOnly bool
	// AccessKeyID is set by the handler once the signature is verified.
	AccessKeyID string
}

// ConsentPolicy is what a collection's owner declares before any face may be
// indexed into it: why templates are kept, for how long, and where the
// evidence of each person's consent is held.
type ConsentPolicy struct {
	Purpose string
	// Retention is how long each face's consent lasts after indexing.
	Retention time.Duration
	// Evidence names where consent evidence is kept (a system, a form id).
	Evidence string
}

// Consent is the record kept with each indexed face.
type Consent struct {
	Purpose     string
	ConsentedAt time.Time
	ExpiresAt   time.Time
	Evidence    string
}

// NewCollection is a collection to create.
type NewCollection struct {
	ID string
	// Consent is nil when the owner declared no policy: such a collection
	// cannot be indexed into until one is declared.
	Consent *ConsentPolicy
}

// Collection describes a collection.
type Collection struct {
	ID        string
	ModelID   string
	CreatedAt time.Time
	Consent   *ConsentPolicy
	FaceCount int64
	UserCount int64
}

// Box is a bounding box as ratios of the image's width and height.
type Box struct {
	Left, Top, Width, Height float32
}

// Face is an indexed face's metadata (never its template).
type Face struct {
	ID              string
	ImageID         string
	ExternalImageID string
	UserID          string
	Box             Box
	// Confidence is the detector's confidence on 0..100.
	Confidence float32
	ModelID    string
	Consent    Consent
}

// NewFace is a face to index: its metadata, its template and the quality
// measures it was indexed with.
type NewFace struct {
	Face
	Embedding face.Embedding
	Quality   quality.Quality
}

// FaceQuery selects faces for ListFaces.
type FaceQuery struct {
	After   string   // only ids greater than this
	Limit   int      // at most this many (0 = all)
	UserID  string   // only faces of this user
	FaceIDs []string // only these faces
}

// SearchQuery is a probe: an embedding, or the id of an indexed face (which
// is then left out of the results).
type SearchQuery struct {
	Embedding *face.Embedding
	FaceID    string
	// K is the most matches to return; MinCosine the least similarity.
	K         int
	MinCosine float32
	// UserID, when set, searches only that user's faces.
	UserID string
}

// Match is a face and its cosine similarity to the probe.
type Match struct {
	Face   Face
	Cosine float32
}

// User groups faces of one person.
type User struct {
	ID        string
	FaceCount int
}
