package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Collection is a gallery of enrolled subjects, bound to the recognizer
// model that made its templates.
type Collection struct {
	ID        string `json:"id"`
	TenantID  string `json:"tenant_id"`
	Name      string `json:"name"`
	Model     string `json:"model"`
	CreatedAt int64  `json:"created_at"`
}

// Consent is the record every enrolment carries.
type Consent struct {
	Purpose     string    `json:"purpose"`
	ConsentedAt time.Time `json:"consented_at"`
	ExpiresAt   time.Time `json:"expires_at"`
	Evidence    string    `json:"evidence"` // reference to the signed form, ticket, ...
}

// Check returns why a consent record cannot be accepted at now.
func (c Consent) Check(now time.Time) error {
	switch {
	case strings.TrimSpace(c.Purpose) == "":
		return fmt.Errorf("%w: purpose is required", ErrConsent)
	case strings.TrimSpace(c.Evidence) == "":
		return fmt.Errorf("%w: a reference to the evidence is required", ErrConsent)
	}
	// A face indexed through the Rekognition endpoint carries its
	// collection's policy evidence followed by " #" and its image's id.
	if err := checkTexts("consent purpose", c.Purpose, MaxNote, "consent evidence", c.Evidence, MaxNote+2+MaxName); err != nil {
		return err
	}
	return c.checkDates(now)
}

// Subject is an enrolled person.
type Subject struct {
	ID           string   `json:"id"`
	CollectionID string   `json:"collection_id"`
	ExternalID   string   `json:"external_id"`
	Name         string   `json:"name"`
	Consent      Consent  `json:"consent"`
	CreatedAt    int64    `json:"created_at"`
	Templates    []TplRef `json:"templates"`
}

// TplRef describes a stored template without its vector.
type TplRef struct {
	ID        int64           `json:"id"`
	CreatedAt int64           `json:"created_at"`
	Quality   json.RawMessage `json:"quality"`
}

// Template is a new template to store: the vector and its quality measures.
type Template struct {
	Vector  []float32
	Quality any
}

// CreateCollection makes a collection with a fresh data key.
func (s *Store) CreateCollection(ctx context.Context, tenantID, name, model, actor string) (Collection, error) {
	name = strings.TrimSpace(name)
	if name == "" || model == "" {
		return Collection{}, fmt.Errorf("%w: a collection needs a name and a model", ErrInvalid)
	}
	if err := checkTexts("collection name", name, MaxName, "model", model, MaxName); err != nil {
		return Collection{}, err
	}
	c := Collection{ID: newID("col"), TenantID: tenantID, Name: name, Model: model, CreatedAt: s.now().Unix()}
	_, wrapped, err := s.newDataKey(c.ID)
	if err != nil {
		return Collection{}, err
	}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		var n int
		tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM collections WHERE tenant_id = ? AND name = ?`, tenantID, name).Scan(&n)
		if n > 0 {
			return fmt.Errorf("%w: collection %q", ErrExists, name)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO collections(id, tenant_id, name, model, wrapped_key, created_at) VALUES (?,?,?,?,?,?)`,
			c.ID, tenantID, name, model, wrapped, c.CreatedAt); err != nil {
			return err
		}
		return s.audit(ctx, tx, Entry{TenantID: tenantID, Actor: actor, Action: "collection.create", Object: c.ID, Detail: map[string]any{"model": model}})
	})
	if err != nil {
		return Collection{}, wrapErr(err)
	}
	return c, nil
}

func wrapErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, ErrExists) || errors.Is(err, ErrNotFound) || errors.Is(err, ErrConsent) || errors.Is(err, ErrInvalid) {
		return err
	}
	return fmt.Errorf("store: %w", err)
}

// Collection returns a tenant's collection (ErrNotFound for another tenant's).
func (s *Store) Collection(ctx context.Context, tenantID, id string) (Collection, error) {
	var c Collection
	err := s.db.QueryRowContext(ctx, `SELECT id, tenant_id, name, model, created_at FROM collections WHERE id = ? AND tenant_id = ?`, id, tenantID).
		Scan(&c.ID, &c.TenantID, &c.Name, &c.Model, &c.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("%w: collection %s", ErrNotFound, id)
	}
	return c, wrapErr(err)
}

// Collections lists a tenant's collections by name.
func (s *Store) Collections(ctx context.Context, tenantID string) ([]Collection, error) {
	return s.collections(ctx, `WHERE tenant_id = ? ORDER BY name`, tenantID)
}

// collections runs SELECT over collections with the given WHERE/ORDER/LIMIT
// tail; the result is never nil.
func (s *Store) collections(ctx context.Context, tail string, args ...any) ([]Collection, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, tenant_id, name, model, created_at FROM collections `+tail, args...)
	if err != nil {
		return nil, wrapErr(err)
	}
	defer rows.Close()
	out := []Collection{}
	for rows.Next() {
		var c Collection
		if err := rows.Scan(&c.ID, &c.TenantID, &c.Name, &c.Model, &c.CreatedAt); err != nil {
			return nil, wrapErr(err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// DeleteCollection erases a collection: its subjects, templates and its
// wrapped data key, in one transaction.
func (s *Store) DeleteCollection(ctx context.Context, tenantID, id, actor string) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var subjects, templates int
		tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM subjects WHERE collection_id = ?`, id).Scan(&subjects)
		tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM templates WHERE collection_id = ?`, id).Scan(&templates)
		r, err := tx.ExecContext(ctx, `DELETE FROM collections WHERE id = ? AND tenant_id = ?`, id, tenantID)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return fmt.Errorf("%w: collection %s", ErrNotFound, id)
		}
		return s.audit(ctx, tx, Entry{TenantID: tenantID, Actor: actor, Action: "collection.delete", Object: id,
			Detail: map[string]any{"subjects": subjects, "templates": templates, "key": "destroyed"}})
	})
	if err == nil {
		s.erased(ctx)
	}
	return wrapErr(err)
}

// Enroll stores a subject with its consent and templates in one
// transaction: either all of it is stored or nothing is.
func (s *Store) Enroll(ctx context.Context, tenantID, collectionID string, sub Subject, tpls []Template, actor string) (Subject, error) {
	if err := sub.Consent.Check(s.now()); err != nil {
		return Subject{}, err
	}
	if err := checkTexts("name", sub.Name, MaxName, "external_id", sub.ExternalID, MaxName); err != nil {
		return Subject{}, err
	}
	if len(tpls) == 0 {
		return Subject{}, fmt.Errorf("store: enrolment needs at least one template")
	}
	var wrapped []byte
	err := s.db.QueryRowContext(ctx, `SELECT wrapped_key FROM collections WHERE id = ? AND tenant_id = ?`, collectionID, tenantID).Scan(&wrapped)
	if errors.Is(err, sql.ErrNoRows) {
		return Subject{}, fmt.Errorf("%w: collection %s", ErrNotFound, collectionID)
	}
	if err != nil {
		return Subject{}, wrapErr(err)
	}
	key, err := s.unwrap(collectionID, wrapped)
	if err != nil {
		return Subject{}, err
	}
	sub.ID, sub.CollectionID, sub.CreatedAt = newID("sub"), collectionID, s.now().Unix()
	if strings.TrimSpace(sub.ExternalID) == "" {
		sub.ExternalID = sub.ID
	}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		var n int
		tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM subjects WHERE collection_id = ? AND external_id = ?`, collectionID, sub.ExternalID).Scan(&n)
		if n > 0 {
			return fmt.Errorf("%w: subject %q in this collection", ErrExists, sub.ExternalID)
		}
		c := sub.Consent
		if _, err := tx.ExecContext(ctx, `INSERT INTO subjects(id, collection_id, external_id, name, consent_purpose, consent_at, consent_expires, consent_evidence, created_at)
			VALUES (?,?,?,?,?,?,?,?,?)`, sub.ID, collectionID, sub.ExternalID, sub.Name, c.Purpose, c.ConsentedAt.Unix(), c.ExpiresAt.Unix(), c.Evidence, sub.CreatedAt); err != nil {
			return err
		}
		refs, err := s.insertTemplates(ctx, tx, key, collectionID, sub.ID, tpls)
		sub.Templates = refs
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, Entry{TenantID: tenantID, Actor: actor, Action: "subject.enroll", Object: sub.ID,
			Detail: map[string]any{"collection": collectionID, "templates": len(tpls), "purpose": c.Purpose, "expires_at": c.ExpiresAt.Unix()}})
	})
	if err != nil {
		return Subject{}, wrapErr(err)
	}
	return sub, nil
}

func (s *Store) insertTemplates(ctx context.Context, tx *sql.Tx, key []byte, collectionID, subjectID string, tpls []Template) ([]TplRef, error) {
	var refs []TplRef
	for _, t := range tpls {
		sealed, err := seal(key, vecBytes(t.Vector), []byte(collectionID+"/"+subjectID))
		if err != nil {
			return nil, err
		}
		q, _ := json.Marshal(t.Quality)
		r, err := tx.ExecContext(ctx, `INSERT INTO templates(subject_id, collection_id, sealed, quality, created_at) VALUES (?,?,?,?,?)`,
			subjectID, collectionID, sealed, string(q), s.now().Unix())
		if err != nil {
			return nil, err
		}
		id, _ := r.LastInsertId()
		refs = append(refs, TplRef{ID: id, CreatedAt: s.now().Unix(), Quality: q})
	}
	return refs, nil
}

// Subject returns a subject of a tenant's collection, with its template references.
func (s *Store) Subject(ctx context.Context, tenantID, collectionID, id string) (Subject, error) {
	var sub Subject
	var at, exp int64
	err := s.db.QueryRowContext(ctx, `SELECT s.id, s.collection_id, s.external_id, s.name, s.consent_purpose, s.consent_at, s.consent_expires, s.consent_evidence, s.created_at
		FROM subjects s JOIN collections c ON c.id = s.collection_id WHERE s.id = ? AND s.collection_id = ? AND c.tenant_id = ?`, id, collectionID, tenantID).
		Scan(&sub.ID, &sub.CollectionID, &sub.ExternalID, &sub.Name, &sub.Consent.Purpose, &at, &exp, &sub.Consent.Evidence, &sub.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return sub, fmt.Errorf("%w: subject %s", ErrNotFound, id)
	}
	if err != nil {
		return sub, wrapErr(err)
	}
	sub.Consent.ConsentedAt, sub.Consent.ExpiresAt = time.Unix(at, 0).UTC(), time.Unix(exp, 0).UTC()
	rows, err := s.db.QueryContext(ctx, `SELECT id, created_at, quality FROM templates WHERE subject_id = ? ORDER BY id`, id)
	if err != nil {
		return sub, wrapErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var r TplRef
		var q string
		if err := rows.Scan(&r.ID, &r.CreatedAt, &q); err != nil {
			return sub, wrapErr(err)
		}
		r.Quality = json.RawMessage(q)
		sub.Templates = append(sub.Templates, r)
	}
	return sub, rows.Err()
}

// DeleteSubject erases a subject and its templates.
func (s *Store) DeleteSubject(ctx context.Context, tenantID, collectionID, id, actor string) (int, error) {
	var removed int
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var n int
		tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM subjects s JOIN collections c ON c.id = s.collection_id
			WHERE s.id = ? AND s.collection_id = ? AND c.tenant_id = ?`, id, collectionID, tenantID).Scan(&n)
		if n == 0 {
			return fmt.Errorf("%w: subject %s", ErrNotFound, id)
		}
		tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM templates WHERE subject_id = ?`, id).Scan(&removed)
		if _, err := tx.ExecContext(ctx, `DELETE FROM subjects WHERE id = ?`, id); err != nil {
			return err
		}
		return s.audit(ctx, tx, Entry{TenantID: tenantID, Actor: actor, Action: "subject.delete", Object: id,
			Detail: map[string]any{"collection": collectionID, "templates": removed}})
	})
	if err == nil {
		s.erased(ctx)
	}
	return removed, wrapErr(err)
}

// EachTemplate unseals every template of a collection (to load the search
// index at start-up) and calls fn with its subject and template ids.
func (s *Store) EachTemplate(ctx context.Context, collectionID string, fn func(subjectID string, templateID int64, v []float32) error) error {
	var wrapped []byte
	if err := s.db.QueryRowContext(ctx, `SELECT wrapped_key FROM collections WHERE id = ?`, collectionID).Scan(&wrapped); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: collection %s", ErrNotFound, collectionID)
		}
		return wrapErr(err)
	}
	key, err := s.unwrap(collectionID, wrapped)
	if err != nil {
		return err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, subject_id, sealed FROM templates WHERE collection_id = ? ORDER BY id`, collectionID)
	if err != nil {
		return wrapErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var sid string
		var sealed []byte
		if err := rows.Scan(&id, &sid, &sealed); err != nil {
			return wrapErr(err)
		}
		plain, err := open(key, sealed, []byte(collectionID+"/"+sid))
		if err != nil {
			return fmt.Errorf("store: template %d: %w", id, err)
		}
		if err := fn(sid, id, bytesVec(plain)); err != nil {
			return err
		}
	}
	return rows.Err()
}

// TemplateCount is how many templates a collection holds (the gallery
// reserves that much index before loading them).
func (s *Store) TemplateCount(ctx context.Context, collectionID string) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM templates WHERE collection_id = ?`, collectionID).Scan(&n)
	return n, wrapErr(err)
}

// PurgeExpired erases every subject whose consent has expired at now and
// audits each erasure. It returns the ids of the subjects and templates
// removed (so the search index can drop them).
func (s *Store) PurgeExpired(ctx context.Context, now time.Time) (subjects []string, templates []int64, err error) {
	err = s.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT s.id, s.collection_id, c.tenant_id FROM subjects s JOIN collections c ON c.id = s.collection_id WHERE s.consent_expires <= ?`, now.Unix())
		if err != nil {
			return err
		}
		type victim struct{ id, coll, tenant string }
		var vs []victim
		for rows.Next() {
			var v victim
			if err := rows.Scan(&v.id, &v.coll, &v.tenant); err != nil {
				rows.Close()
				return err
			}
			vs = append(vs, v)
		}
		rows.Close()
		for _, v := range vs {
			trows, err := tx.QueryContext(ctx, `SELECT id FROM templates WHERE subject_id = ?`, v.id)
			if err != nil {
				return err
			}
			n := 0
			for trows.Next() {
				var id int64
				trows.Scan(&id)
				templates = append(templates, id)
				n++
			}
			trows.Close()
			if _, err := tx.ExecContext(ctx, `DELETE FROM subjects WHERE id = ?`, v.id); err != nil {
				return err
			}
			if err := s.audit(ctx, tx, Entry{TenantID: v.tenant, Actor: "system", Action: "subject.purge_expired_consent", Object: v.id,
				Detail: map[string]any{"collection": v.coll, "templates": n}}); err != nil {
				return err
			}
			subjects = append(subjects, v.id)
		}
		return nil
	})
	if err == nil && (len(subjects) > 0 || s.scrubPending.Load()) {
		s.erased(ctx)
	}
	return subjects, templates, wrapErr(err)
}

// AllCollections lists every tenant's collections (to load the search
// indexes at start-up).
func (s *Store) AllCollections(ctx context.Context) ([]Collection, error) {
	return s.collections(ctx, `ORDER BY id`)
}

// Subjects lists a collection's subjects (without templates), by creation.
func (s *Store) Subjects(ctx context.Context, tenantID, collectionID string) ([]Subject, error) {
	if _, err := s.Collection(ctx, tenantID, collectionID); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, external_id, name, consent_purpose, consent_at, consent_expires, consent_evidence, created_at
		FROM subjects WHERE collection_id = ? ORDER BY created_at, id`, collectionID)
	if err != nil {
		return nil, wrapErr(err)
	}
	defer rows.Close()
	out := []Subject{}
	for rows.Next() {
		sub := Subject{CollectionID: collectionID}
		var at, exp int64
		if err := rows.Scan(&sub.ID, &sub.ExternalID, &sub.Name, &sub.Consent.Purpose, &at, &exp, &sub.Consent.Evidence, &sub.CreatedAt); err != nil {
			return nil, wrapErr(err)
		}
		sub.Consent.ConsentedAt, sub.Consent.ExpiresAt = time.Unix(at, 0).UTC(), time.Unix(exp, 0).UTC()
		out = append(out, sub)
	}
	return out, rows.Err()
}

// Now is the store's clock (Options.Now, else time.Now): consent is judged by it.
func (s *Store) Now() time.Time { return s.now() }

// LiveTemplates returns, of the given templates of a collection, those whose
// subject's consent has not expired, each with its subject id. Identification
// and verification use it so that a subject is never matched after its
// consent expires, even before the purge erases it.
func (s *Store) LiveTemplates(ctx context.Context, collectionID string, ids []int64) (map[int64]string, error) {
	out := map[int64]string{}
	if len(ids) == 0 {
		return out, nil
	}
	args := []any{collectionID, s.now().Unix()}
	for _, id := range ids {
		args = append(args, id)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT t.id, t.subject_id FROM templates t JOIN subjects s ON s.id = t.subject_id
		WHERE t.collection_id = ? AND s.consent_expires > ? AND t.id IN (`+marks(len(ids))+`)`, args...)
	if err != nil {
		return nil, wrapErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var sid string
		if err := rows.Scan(&id, &sid); err != nil {
			return nil, wrapErr(err)
		}
		out[id] = sid
	}
	return out, rows.Err()
}
