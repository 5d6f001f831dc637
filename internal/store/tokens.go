package store

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"time"
)

// migrationRequestAnswers keeps the answers to requests made with a client's
// idempotency token (Rekognition's ClientRequestToken), scoped to a tenant,
// a collection and an operation, until they expire. Deleting a collection
// deletes its answers.
var migrationRequestAnswers = `CREATE TABLE request_answers (
	   tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
	   collection_id TEXT NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
	   operation TEXT NOT NULL, token TEXT NOT NULL, fingerprint TEXT NOT NULL, body BLOB NOT NULL,
	   created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,
	   PRIMARY KEY (tenant_id, collection_id, operation, token));
	 CREATE INDEX request_answers_collection ON request_answers(collection_id);
	 CREATE INDEX request_answers_expiry ON request_answers(expires_at);`

// RequestKey names a request made with an idempotency token.
type RequestKey struct {
	TenantID, CollectionID, Operation, Token string
}

// KeptAnswer is the answer to a request made with an idempotency token: a
// fingerprint of the request's parameters and the response body.
type KeptAnswer struct {
	Fingerprint string
	Body        []byte
}

// Answer returns the answer kept for a request, or ErrNotFound when none is
// kept or it has expired.
func (s *Store) Answer(ctx context.Context, k RequestKey) (KeptAnswer, error) {
	var a KeptAnswer
	err := s.db.QueryRowContext(ctx, `SELECT fingerprint, body FROM request_answers
		WHERE tenant_id = ? AND collection_id = ? AND operation = ? AND token = ? AND expires_at > ?`,
		k.TenantID, k.CollectionID, k.Operation, k.Token, s.now().Unix()).Scan(&a.Fingerprint, &a.Body)
	if errNoRows(err) {
		return a, fmt.Errorf("%w: answer to %s token %s", ErrNotFound, k.Operation, k.Token)
	}
	return a, wrapErr(err)
}

// KeepAnswer keeps a request's answer for ttl, unless an answer that has not
// expired is kept for it already, and returns the kept answer (the first).
// Expired answers of every tenant are deleted on the way.
func (s *Store) KeepAnswer(ctx context.Context, k RequestKey, a KeptAnswer, ttl time.Duration) (KeptAnswer, error) {
	if ttl <= 0 {
		return KeptAnswer{}, fmt.Errorf("store: an answer's lifetime must be positive, got %v", ttl)
	}
	now := s.now().Unix()
	var kept KeptAnswer
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM request_answers WHERE expires_at <= ?`, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO request_answers
			(tenant_id, collection_id, operation, token, fingerprint, body, created_at, expires_at) VALUES (?,?,?,?,?,?,?,?)`,
			k.TenantID, k.CollectionID, k.Operation, k.Token, a.Fingerprint, a.Body, now, now+int64(ttl/time.Second)); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT fingerprint, body FROM request_answers
			WHERE tenant_id = ? AND collection_id = ? AND operation = ? AND token = ?`,
			k.TenantID, k.CollectionID, k.Operation, k.Token).Scan(&kept.Fingerprint, &kept.Body)
	})
	if err != nil {
		return KeptAnswer{}, wrapErr(err)
	}
	return kept, nil
}

// DerivedKey returns a 32-byte key for one purpose (e.g. sealing paging
// tokens), derived from the master key with HMAC-SHA256: the same for
// every process that holds the master key, and different per purpose.
func (s *Store) DerivedKey(purpose string) []byte {
	m := hmac.New(sha256.New, s.master)
	m.Write([]byte("mien derived key\x00" + purpose))
	return m.Sum(nil)
}
