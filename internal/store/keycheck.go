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

// ErrWrongKey is returned by Open when the master key is not the one the
// database was created with.
var ErrWrongKey = errors.New("store: the master key does not match this database (it was first opened with another key)")

// migrationSecurity (3) adds what lets the store check its master key and
// anchor the audit chain's head outside the audit table, when each API key
// was last used, and an index that spares erasing a subject a scan of every
// template (the foreign key's cascade and the counts look templates up by
// subject).
var migrationSecurity = `
	CREATE TABLE store_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
	CREATE TABLE audit_head (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL, hash TEXT NOT NULL, mac TEXT NOT NULL);
	ALTER TABLE api_keys ADD COLUMN last_used_at INTEGER;
	CREATE INDEX templates_subject ON templates(subject_id);`

// subkey derives a key for one purpose from the master key (HMAC-SHA256 of
// the purpose's label), so the master key itself never signs anything.
func (s *Store) subkey(label string) []byte {
	m := hmac.New(sha256.New, s.master)
	m.Write([]byte("mien/" + label))
	return m.Sum(nil)
}

// keyCheck is the value stored at first start that later starts compare
// with: an HMAC of a constant, which says nothing about the key.
func (s *Store) keyCheck() string { return hex.EncodeToString(s.subkey("key-check")) }

// checkMasterKey refuses a master key that is not the database's: the
// check value was written when the security migration was applied
// (initSecurity), so it is always there.
func (s *Store) checkMasterKey(ctx context.Context) error {
	var have string
	err := s.db.QueryRowContext(ctx, `SELECT value FROM store_meta WHERE name = 'key_check'`).Scan(&have)
	if errors.Is(err, sql.ErrNoRows) {
		return errors.New("store: the master key check value is missing from this database (was it tampered with?)")
	}
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if !hmac.Equal([]byte(have), []byte(s.keyCheck())) {
		return ErrWrongKey
	}
	return nil
}

// initSecurity runs inside the security migration's transaction: a new
// database gets its key check value and an anchored (empty) audit head; a
// database made before them is first checked against a sealed value it
// holds (a collection's wrapped key or an access key's secret), if any, and
// its audit chain's current head is anchored. A wrong key rolls the
// migration back.
func (s *Store) initSecurity(ctx context.Context, tx *sql.Tx) error {
	if err := s.checkSealed(ctx, tx); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO store_meta(name, value) VALUES ('key_check', ?)`, s.keyCheck()); err != nil {
		return err
	}
	return s.anchorTx(ctx, tx)
}

// checkSealed unseals one sealed value of the database, if it holds any.
func (s *Store) checkSealed(ctx context.Context, tx *sql.Tx) error {
	var id string
	var wrapped []byte
	err := tx.QueryRowContext(ctx, `SELECT id, wrapped_key FROM collections LIMIT 1`).Scan(&id, &wrapped)
	if err == nil {
		if _, err := s.unwrap(id, wrapped); err != nil {
			return ErrWrongKey
		}
		return nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	err = tx.QueryRowContext(ctx, `SELECT id, sealed_secret FROM aws_keys WHERE length(sealed_secret) > 0 LIMIT 1`).Scan(&id, &wrapped)
	if err == nil {
		if _, err := open(s.master, wrapped, awsKeyAAD(id)); err != nil {
			return ErrWrongKey
		}
		return nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	return nil
}
