package store

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
)

// User groups faces of one person in a collection (Rekognition's users).
type User struct {
	ID    string
	Faces int // faces with live consent associated with the user
}

// CreateUser adds an empty user (ErrExists when it exists).
func (s *Store) CreateUser(ctx context.Context, tenantID, collectionID, userID, actor string) error {
	if err := CheckText("user id", userID, MaxName); err != nil {
		return err
	}
	return wrapErr(s.tx(ctx, func(tx *sql.Tx) error {
		if err := ownedTx(ctx, tx, tenantID, collectionID); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM face_users WHERE collection_id = ? AND user_id = ?`, collectionID, userID).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("%w: user %s", ErrExists, userID)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO face_users(collection_id, user_id, created_at) VALUES (?,?,?)`, collectionID, userID, s.now().Unix()); err != nil {
			return err
		}
		return s.audit(ctx, tx, Entry{TenantID: tenantID, Actor: actor, Action: "user.create", Object: collectionID, Detail: map[string]any{"user": s.pseudonym(collectionID, userID)}})
	}))
}

// User returns a user with its count of faces.
func (s *Store) User(ctx context.Context, collectionID, userID string) (User, error) {
	us, err := s.users(ctx, collectionID, `AND u.user_id = ?`, userID, 1)
	if err != nil {
		return User{}, err
	}
	if len(us) == 0 {
		return User{}, fmt.Errorf("%w: user %s", ErrNotFound, userID)
	}
	return us[0], nil
}

// Users returns up to limit (0: all) users whose ids sort after after.
func (s *Store) Users(ctx context.Context, collectionID, after string, limit int) ([]User, error) {
	return s.users(ctx, collectionID, `AND u.user_id > ?`, after, limit)
}

func (s *Store) users(ctx context.Context, collectionID, cond, arg string, limit int) ([]User, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT u.user_id, (SELECT COUNT(*) FROM faces f JOIN subjects s ON s.id = f.subject_id
		WHERE f.collection_id = u.collection_id AND f.user_id = u.user_id AND s.consent_expires > ?)
		FROM face_users u WHERE u.collection_id = ? `+cond+` ORDER BY u.user_id LIMIT ?`, s.now().Unix(), collectionID, arg, sqlLimit(limit))
	if err != nil {
		return nil, wrapErr(err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		var u User
		if err := rows.Scan(&u.ID, &u.Faces); err != nil {
			return nil, wrapErr(err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// DeleteUser deletes a user and disassociates its faces (which stay).
func (s *Store) DeleteUser(ctx context.Context, tenantID, collectionID, userID, actor string) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if err := ownedTx(ctx, tx, tenantID, collectionID); err != nil {
			return err
		}
		r, err := tx.ExecContext(ctx, `DELETE FROM face_users WHERE collection_id = ? AND user_id = ?`, collectionID, userID)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return fmt.Errorf("%w: user %s", ErrNotFound, userID)
		}
		r, err = tx.ExecContext(ctx, `UPDATE faces SET user_id = NULL WHERE collection_id = ? AND user_id = ?`, collectionID, userID)
		if err != nil {
			return err
		}
		n, _ := r.RowsAffected()
		return s.audit(ctx, tx, Entry{TenantID: tenantID, Actor: actor, Action: "user.delete", Object: collectionID,
			Detail: map[string]any{"user": s.pseudonym(collectionID, userID), "faces_disassociated": n}})
	})
	if err == nil {
		s.erased(ctx)
	}
	return wrapErr(err)
}

// pseudonym stands for a client-chosen user id in the audit log, which is
// never erased: an HMAC under a key derived from the master key, the same
// for the same user of a collection, so entries can be followed without the
// log keeping an id that may be a person's name.
func (s *Store) pseudonym(collectionID, userID string) string {
	if userID == "" {
		return ""
	}
	m := hmac.New(sha256.New, s.subkey("audit-pseudonym"))
	m.Write([]byte(collectionID + "/" + userID))
	return "user:" + hex.EncodeToString(m.Sum(nil)[:12])
}

// SetFaceUser associates faces with a user, or disassociates them when
// userID is "", all or none.
func (s *Store) SetFaceUser(ctx context.Context, tenantID, collectionID string, faceIDs []string, userID, actor string) error {
	return wrapErr(s.tx(ctx, func(tx *sql.Tx) error {
		if err := ownedTx(ctx, tx, tenantID, collectionID); err != nil {
			return err
		}
		var user any // NULL disassociates
		if userID != "" {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM face_users WHERE collection_id = ? AND user_id = ?`, collectionID, userID).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return fmt.Errorf("%w: user %s", ErrNotFound, userID)
			}
			user = userID
		}
		for _, id := range faceIDs {
			r, err := tx.ExecContext(ctx, `UPDATE faces SET user_id = ? WHERE collection_id = ? AND face_id = ?`, user, collectionID, id)
			if err != nil {
				return err
			}
			if n, _ := r.RowsAffected(); n == 0 {
				return fmt.Errorf("%w: face %s", ErrNotFound, id)
			}
		}
		action := "faces.associate"
		if userID == "" {
			action = "faces.disassociate"
		}
		return s.audit(ctx, tx, Entry{TenantID: tenantID, Actor: actor, Action: action, Object: collectionID,
			Detail: map[string]any{"user": s.pseudonym(collectionID, userID), "faces": faceIDs}})
	}))
}

// errNoRows reports whether err is sql.ErrNoRows.
func errNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
