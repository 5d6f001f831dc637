package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Box is a face's bounding box as ratios of its image's width and height.
type Box struct {
	Left, Top, Width, Height float32
}

// Face is a template's face record. Every template has one.
type Face struct {
	ID              string // a random UUID (Rekognition's FaceId)
	TemplateID      int64
	SubjectID       string
	ImageID         string
	ExternalImageID string
	UserID          string // "" when associated with no user
	Box             Box
	Confidence      float32 // detector confidence on 0..100 (0 when enrolled through /v1)
	Consent         Consent // the subject's
}

// NewFace is a face to index: its record (with the consent record it is
// indexed under) and its template.
type NewFace struct {
	Face
	Vector  []float32
	Quality any
}

// IndexFaces stores faces in one transaction, all or none: each becomes a
// subject of its own (external id: the face id) with its consent record and
// one sealed template. It returns the stored records with their template
// and subject ids.
func (s *Store) IndexFaces(ctx context.Context, tenantID, collectionID string, faces []NewFace, actor string) ([]Face, error) {
	if len(faces) == 0 {
		return nil, fmt.Errorf("store: no face to index")
	}
	for _, f := range faces {
		if err := f.Consent.Check(s.now()); err != nil {
			return nil, err
		}
		if err := checkTexts("face id", f.ID, MaxName, "image id", f.ImageID, MaxName, "external image id", f.ExternalImageID, MaxName); err != nil {
			return nil, err
		}
	}
	key, err := s.collectionKey(ctx, tenantID, collectionID)
	if err != nil {
		return nil, err
	}
	out := make([]Face, 0, len(faces))
	err = s.tx(ctx, func(tx *sql.Tx) error {
		subjects := make([]string, 0, len(faces))
		for _, nf := range faces {
			f, err := s.insertFace(ctx, tx, key, collectionID, nf)
			if err != nil {
				return err
			}
			out = append(out, f)
			subjects = append(subjects, f.SubjectID)
		}
		c := faces[0].Consent
		return s.audit(ctx, tx, Entry{TenantID: tenantID, Actor: actor, Action: "faces.index", Object: collectionID,
			Detail: map[string]any{"faces": len(faces), "subjects": subjects, "purpose": c.Purpose, "expires_at": c.ExpiresAt.Unix()}})
	})
	if err != nil {
		return nil, wrapErr(err)
	}
	return out, nil
}

func (s *Store) insertFace(ctx context.Context, tx *sql.Tx, key []byte, collectionID string, nf NewFace) (Face, error) {
	f := nf.Face
	f.SubjectID = newID("sub")
	c := f.Consent
	if _, err := tx.ExecContext(ctx, `INSERT INTO subjects(id, collection_id, external_id, name, consent_purpose, consent_at, consent_expires, consent_evidence, created_at)
		VALUES (?,?,?,'',?,?,?,?,?)`, f.SubjectID, collectionID, f.ID, c.Purpose, c.ConsentedAt.Unix(), c.ExpiresAt.Unix(), c.Evidence, s.now().Unix()); err != nil {
		return f, err
	}
	refs, err := s.insertTemplates(ctx, tx, key, collectionID, f.SubjectID, []Template{{Vector: nf.Vector, Quality: nf.Quality}})
	if err != nil {
		return f, err
	}
	f.TemplateID = refs[0].ID
	// The trigger made the record; give it the caller's ids and metadata.
	_, err = tx.ExecContext(ctx, `UPDATE faces SET face_id = ?, image_id = ?, external_image_id = ?, box_left = ?, box_top = ?, box_width = ?,
		box_height = ?, confidence = ? WHERE template_id = ?`, f.ID, f.ImageID, f.ExternalImageID, f.Box.Left, f.Box.Top, f.Box.Width, f.Box.Height,
		f.Confidence, f.TemplateID)
	return f, err
}

// collectionKey returns a tenant's collection's data key.
func (s *Store) collectionKey(ctx context.Context, tenantID, collectionID string) ([]byte, error) {
	var wrapped []byte
	err := s.db.QueryRowContext(ctx, `SELECT wrapped_key FROM collections WHERE id = ? AND tenant_id = ?`, collectionID, tenantID).Scan(&wrapped)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: collection %s", ErrNotFound, collectionID)
	}
	if err != nil {
		return nil, wrapErr(err)
	}
	return s.unwrap(collectionID, wrapped)
}

// FaceQuery selects faces of a collection. Faces whose consent has expired
// are never returned.
type FaceQuery struct {
	After       string   // only face ids greater than this
	Limit       int      // at most this many (0: all)
	UserID      string   // only faces of this user
	FaceIDs     []string // only these faces (nil: any)
	TemplateIDs []int64  // only these templates (nil: any)
}

const faceColumns = `f.face_id, f.template_id, f.subject_id, f.image_id, f.external_image_id, COALESCE(f.user_id, ''),
	f.box_left, f.box_top, f.box_width, f.box_height, f.confidence, s.consent_purpose, s.consent_at, s.consent_expires, s.consent_evidence`

func scanFace(sc interface{ Scan(...any) error }) (Face, error) {
	var f Face
	var at, exp int64
	err := sc.Scan(&f.ID, &f.TemplateID, &f.SubjectID, &f.ImageID, &f.ExternalImageID, &f.UserID,
		&f.Box.Left, &f.Box.Top, &f.Box.Width, &f.Box.Height, &f.Confidence, &f.Consent.Purpose, &at, &exp, &f.Consent.Evidence)
	f.Consent.ConsentedAt, f.Consent.ExpiresAt = time.Unix(at, 0).UTC(), time.Unix(exp, 0).UTC()
	return f, err
}

// Faces returns a collection's faces in face-id order.
func (s *Store) Faces(ctx context.Context, collectionID string, q FaceQuery) ([]Face, error) {
	if (q.FaceIDs != nil && len(q.FaceIDs) == 0) || (q.TemplateIDs != nil && len(q.TemplateIDs) == 0) {
		return nil, nil
	}
	where := []string{"f.collection_id = ?", "s.consent_expires > ?", "f.face_id > ?"}
	args := []any{collectionID, s.now().Unix(), q.After}
	if q.UserID != "" {
		where, args = append(where, "f.user_id = ?"), append(args, q.UserID)
	}
	if q.FaceIDs != nil {
		where = append(where, "f.face_id IN ("+marks(len(q.FaceIDs))+")")
		for _, id := range q.FaceIDs {
			args = append(args, id)
		}
	}
	if q.TemplateIDs != nil {
		where = append(where, "f.template_id IN ("+marks(len(q.TemplateIDs))+")")
		for _, id := range q.TemplateIDs {
			args = append(args, id)
		}
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+faceColumns+` FROM faces f JOIN subjects s ON s.id = f.subject_id
		WHERE `+strings.Join(where, " AND ")+` ORDER BY f.face_id LIMIT ?`, append(args, sqlLimit(q.Limit))...)
	if err != nil {
		return nil, wrapErr(err)
	}
	defer rows.Close()
	var out []Face
	for rows.Next() {
		f, err := scanFace(rows)
		if err != nil {
			return nil, wrapErr(err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

func marks(n int) string { return strings.TrimSuffix(strings.Repeat("?,", n), ",") }

// FaceTemplate returns a face (with live consent) and its unsealed template.
func (s *Store) FaceTemplate(ctx context.Context, tenantID, collectionID, faceID string) (Face, []float32, error) {
	key, err := s.collectionKey(ctx, tenantID, collectionID)
	if err != nil {
		return Face{}, nil, err
	}
	var sealed []byte
	row := s.db.QueryRowContext(ctx, `SELECT `+faceColumns+`, t.sealed FROM faces f JOIN subjects s ON s.id = f.subject_id
		JOIN templates t ON t.id = f.template_id WHERE f.collection_id = ? AND f.face_id = ? AND s.consent_expires > ?`, collectionID, faceID, s.now().Unix())
	f, err := scanFace(scanPlus{row, &sealed})
	if errors.Is(err, sql.ErrNoRows) {
		return f, nil, fmt.Errorf("%w: face %s", ErrNotFound, faceID)
	}
	if err != nil {
		return f, nil, wrapErr(err)
	}
	plain, err := open(key, sealed, []byte(collectionID+"/"+f.SubjectID))
	if err != nil {
		return f, nil, fmt.Errorf("store: template %d: %w", f.TemplateID, err)
	}
	return f, bytesVec(plain), nil
}

// scanPlus scans a face row followed by extra columns.
type scanPlus struct {
	row   *sql.Row
	extra *[]byte
}

func (p scanPlus) Scan(dest ...any) error { return p.row.Scan(append(dest, p.extra)...) }

// DeleteFaces erases faces and their templates in one transaction; a
// subject left without templates is erased too (with its consent record).
// It returns the records erased (ids that do not exist are left out).
func (s *Store) DeleteFaces(ctx context.Context, tenantID, collectionID string, faceIDs []string, actor string) ([]Face, error) {
	var out []Face
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if err := ownedTx(ctx, tx, tenantID, collectionID); err != nil {
			return err
		}
		var erased []string
		for _, id := range faceIDs {
			f := Face{ID: id}
			err := tx.QueryRowContext(ctx, `SELECT template_id, subject_id FROM faces WHERE collection_id = ? AND face_id = ?`, collectionID, id).
				Scan(&f.TemplateID, &f.SubjectID)
			if errors.Is(err, sql.ErrNoRows) {
				continue
			}
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM templates WHERE id = ?`, f.TemplateID); err != nil {
				return err
			}
			r, err := tx.ExecContext(ctx, `DELETE FROM subjects WHERE id = ? AND NOT EXISTS (SELECT 1 FROM templates WHERE subject_id = ?)`, f.SubjectID, f.SubjectID)
			if err != nil {
				return err
			}
			if n, _ := r.RowsAffected(); n > 0 {
				erased = append(erased, f.SubjectID)
			}
			out = append(out, f)
		}
		if len(out) == 0 {
			return nil
		}
		return s.audit(ctx, tx, Entry{TenantID: tenantID, Actor: actor, Action: "faces.delete", Object: collectionID,
			Detail: map[string]any{"templates": len(out), "subjects_erased": erased}})
	})
	if err == nil && len(out) > 0 {
		s.erased(ctx)
	}
	return out, wrapErr(err)
}
