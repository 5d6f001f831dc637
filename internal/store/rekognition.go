package store

// What the Rekognition-compatible endpoint needs beyond subjects and
// templates: a consent policy per collection (declared before any face may be
// indexed through it), a face record for every template (FaceId, ImageId,
// ExternalImageId, box, detector confidence and the user it is associated
// with), and users. Every template has a face record whichever API enrolled
// it: a trigger assigns one at insertion, so a subject enrolled through /v1
// is a face to Rekognition clients too, and erasing a template (by subject,
// collection or expired consent) erases its face record with it.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// uuidSQL is a random version-4 UUID in SQLite.
const uuidSQL = `(lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || substr(lower(hex(randomblob(2))), 2) || '-' ||
	substr('89ab', 1 + (abs(random()) % 4), 1) || substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6))))`

var migrationRekognition = `
	CREATE TABLE consent_policies (collection_id TEXT PRIMARY KEY REFERENCES collections(id) ON DELETE CASCADE,
	  purpose TEXT NOT NULL, retention_seconds INTEGER NOT NULL, evidence TEXT NOT NULL, declared_at INTEGER NOT NULL);
	CREATE TABLE faces (template_id INTEGER PRIMARY KEY REFERENCES templates(id) ON DELETE CASCADE,
	  face_id TEXT NOT NULL UNIQUE, collection_id TEXT NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
	  subject_id TEXT NOT NULL, image_id TEXT NOT NULL, external_image_id TEXT NOT NULL DEFAULT '', user_id TEXT,
	  box_left REAL NOT NULL DEFAULT 0, box_top REAL NOT NULL DEFAULT 0, box_width REAL NOT NULL DEFAULT 0,
	  box_height REAL NOT NULL DEFAULT 0, confidence REAL NOT NULL DEFAULT 0);
	CREATE INDEX faces_collection ON faces(collection_id, face_id);
	CREATE INDEX faces_user ON faces(collection_id, user_id);
	CREATE TABLE face_users (collection_id TEXT NOT NULL REFERENCES collections(id) ON DELETE CASCADE, user_id TEXT NOT NULL,
	  created_at INTEGER NOT NULL, PRIMARY KEY (collection_id, user_id));
	CREATE TABLE aws_keys (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
	  sealed_secret BLOB NOT NULL, read_only INTEGER NOT NULL, created_at INTEGER NOT NULL, revoked_at INTEGER);
	CREATE TRIGGER templates_face AFTER INSERT ON templates BEGIN
	  INSERT INTO faces(template_id, face_id, collection_id, subject_id, image_id, external_image_id)
	  VALUES (NEW.id, ` + uuidSQL + `, NEW.collection_id, NEW.subject_id, ` + uuidSQL + `,
	    COALESCE((SELECT external_id FROM subjects WHERE id = NEW.subject_id), ''));
	END;
	INSERT INTO faces(template_id, face_id, collection_id, subject_id, image_id, external_image_id)
	  SELECT t.id, ` + uuidSQL + `, t.collection_id, t.subject_id, ` + uuidSQL + `, s.external_id
	  FROM templates t JOIN subjects s ON s.id = t.subject_id;`

// ConsentPolicy is what a collection's owner declares before faces may be
// indexed into it through the Rekognition endpoint: why templates are kept,
// how long each face's consent lasts, and where the evidence is held.
type ConsentPolicy struct {
	Purpose    string        `json:"purpose"`
	Retention  time.Duration `json:"-"`
	Evidence   string        `json:"evidence"`
	DeclaredAt int64         `json:"declared_at"`
}

func (p ConsentPolicy) check() error {
	if strings.TrimSpace(p.Purpose) == "" {
		return fmt.Errorf("%w: a consent policy needs a purpose", ErrConsent)
	}
	if p.Retention < 24*time.Hour || p.Retention > 3650*24*time.Hour {
		return fmt.Errorf("%w: a consent policy's retention must be 1 to 3650 days", ErrConsent)
	}
	return checkTexts("consent purpose", p.Purpose, MaxNote, "consent evidence", p.Evidence, MaxNote)
}

// CreateCollectionWithPolicy makes a collection with a fresh data key and,
// when p is not nil, its consent policy, in one transaction.
func (s *Store) CreateCollectionWithPolicy(ctx context.Context, tenantID, name, model string, p *ConsentPolicy, actor string) (Collection, error) {
	if p != nil {
		if err := p.check(); err != nil {
			return Collection{}, err
		}
	}
	c := Collection{ID: newID("col"), TenantID: tenantID, Name: strings.TrimSpace(name), Model: model, CreatedAt: s.now().Unix()}
	if c.Name == "" || model == "" {
		return Collection{}, fmt.Errorf("%w: a collection needs a name and a model", ErrInvalid)
	}
	if err := checkTexts("collection name", c.Name, MaxName, "model", model, MaxName); err != nil {
		return Collection{}, err
	}
	_, wrapped, err := s.newDataKey(c.ID)
	if err != nil {
		return Collection{}, err
	}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM collections WHERE tenant_id = ? AND name = ?`, tenantID, c.Name).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("%w: collection %q", ErrExists, c.Name)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO collections(id, tenant_id, name, model, wrapped_key, created_at) VALUES (?,?,?,?,?,?)`,
			c.ID, tenantID, c.Name, model, wrapped, c.CreatedAt); err != nil {
			return err
		}
		detail := map[string]any{"model": model, "consent_policy": p != nil}
		if err := s.audit(ctx, tx, Entry{TenantID: tenantID, Actor: actor, Action: "collection.create", Object: c.ID, Detail: detail}); err != nil {
			return err
		}
		if p == nil {
			return nil
		}
		return s.putPolicy(ctx, tx, tenantID, c.ID, *p, actor)
	})
	if err != nil {
		return Collection{}, wrapErr(err)
	}
	return c, nil
}

// SetConsentPolicy declares (or replaces) a collection's consent policy.
// Faces already indexed keep the consent record they were indexed under.
func (s *Store) SetConsentPolicy(ctx context.Context, tenantID, collectionID string, p ConsentPolicy, actor string) error {
	if err := p.check(); err != nil {
		return err
	}
	return wrapErr(s.tx(ctx, func(tx *sql.Tx) error {
		if err := ownedTx(ctx, tx, tenantID, collectionID); err != nil {
			return err
		}
		return s.putPolicy(ctx, tx, tenantID, collectionID, p, actor)
	}))
}

func (s *Store) putPolicy(ctx context.Context, tx *sql.Tx, tenantID, collectionID string, p ConsentPolicy, actor string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO consent_policies(collection_id, purpose, retention_seconds, evidence, declared_at) VALUES (?,?,?,?,?)
		ON CONFLICT(collection_id) DO UPDATE SET purpose = excluded.purpose, retention_seconds = excluded.retention_seconds,
		evidence = excluded.evidence, declared_at = excluded.declared_at`,
		collectionID, strings.TrimSpace(p.Purpose), int64(p.Retention/time.Second), strings.TrimSpace(p.Evidence), s.now().Unix())
	if err != nil {
		return err
	}
	return s.audit(ctx, tx, Entry{TenantID: tenantID, Actor: actor, Action: "consent_policy.declare", Object: collectionID,
		Detail: map[string]any{"purpose": p.Purpose, "retention_days": int64(p.Retention / (24 * time.Hour)), "evidence": p.Evidence}})
}

// ownedTx checks inside tx that a collection belongs to the tenant.
func ownedTx(ctx context.Context, tx *sql.Tx, tenantID, collectionID string) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM collections WHERE id = ? AND tenant_id = ?`, collectionID, tenantID).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%w: collection %s", ErrNotFound, collectionID)
	}
	return nil
}

// Policy returns a collection's consent policy, or nil when none was declared.
func (s *Store) Policy(ctx context.Context, collectionID string) (*ConsentPolicy, error) {
	var p ConsentPolicy
	var secs int64
	err := s.db.QueryRowContext(ctx, `SELECT purpose, retention_seconds, evidence, declared_at FROM consent_policies WHERE collection_id = ?`, collectionID).
		Scan(&p.Purpose, &secs, &p.Evidence, &p.DeclaredAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, wrapErr(err)
	}
	p.Retention = time.Duration(secs) * time.Second
	return &p, nil
}

// CollectionByName returns a tenant's collection by its name (the
// Rekognition CollectionId).
func (s *Store) CollectionByName(ctx context.Context, tenantID, name string) (Collection, error) {
	var c Collection
	err := s.db.QueryRowContext(ctx, `SELECT id, tenant_id, name, model, created_at FROM collections WHERE tenant_id = ? AND name = ?`, tenantID, name).
		Scan(&c.ID, &c.TenantID, &c.Name, &c.Model, &c.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("%w: collection %s", ErrNotFound, name)
	}
	return c, wrapErr(err)
}

// CollectionsAfter lists up to limit (0: all) of a tenant's collections
// whose names sort after after, by name.
func (s *Store) CollectionsAfter(ctx context.Context, tenantID, after string, limit int) ([]Collection, error) {
	return s.collections(ctx, `WHERE tenant_id = ? AND name > ? ORDER BY name LIMIT ?`, tenantID, after, sqlLimit(limit))
}

func sqlLimit(n int) int {
	if n <= 0 {
		return -1
	}
	return n
}

// CollectionCounts returns how many faces with live consent and how many
// users a collection holds.
func (s *Store) CollectionCounts(ctx context.Context, collectionID string) (faces, users int64, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM faces f JOIN subjects s ON s.id = f.subject_id WHERE f.collection_id = ? AND s.consent_expires > ?),
		(SELECT COUNT(*) FROM face_users WHERE collection_id = ?)`, collectionID, s.now().Unix(), collectionID).Scan(&faces, &users)
	return faces, users, wrapErr(err)
}
