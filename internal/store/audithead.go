package store

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
)

// The audit chain's head (its last entry's number and hash) is anchored
// outside the audit table, in one row written in the same transaction as
// each entry, with an HMAC under a key derived from the master key. The
// chain alone shows an entry altered or removed from the middle; the anchor
// shows the newest entries removed, which the chain cannot: whoever deletes
// them cannot write a matching anchor without the master key.

func (s *Store) headMAC(seq int64, hash string) string {
	m := hmac.New(sha256.New, s.subkey("audit-head"))
	m.Write([]byte(strconv.FormatInt(seq, 10) + ":" + hash))
	return hex.EncodeToString(m.Sum(nil))
}

// putHead anchors the chain's head inside tx.
func (s *Store) putHead(ctx context.Context, tx *sql.Tx, seq int64, hash string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO audit_head(id, seq, hash, mac) VALUES (1, ?, ?, ?)
		ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, mac = excluded.mac`, seq, hash, s.headMAC(seq, hash))
	return err
}

// anchorTx anchors the chain's current head (at first start, or when a
// database made before the anchor existed is upgraded).
func (s *Store) anchorTx(ctx context.Context, tx *sql.Tx) error {
	var seq int64
	var hash string
	err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1`).Scan(&seq, &hash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	return s.putHead(ctx, tx, seq, hash)
}

// checkHead compares the chain's walked end with the anchored head.
func (s *Store) checkHead(ctx context.Context, tx *sql.Tx, n int64, head string) error {
	var seq int64
	var hash, mac string
	err := tx.QueryRowContext(ctx, `SELECT seq, hash, mac FROM audit_head WHERE id = 1`).Scan(&seq, &hash, &mac)
	if errors.Is(err, sql.ErrNoRows) {
		return errors.New("store: audit log broken: its anchored head is missing (removed)")
	}
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if !hmac.Equal([]byte(mac), []byte(s.headMAC(seq, hash))) {
		return errors.New("store: audit log broken: its anchored head's signature does not hold (altered)")
	}
	if seq == n && hash != head {
		return fmt.Errorf("store: audit log broken at entry %d: it is not the anchored head (replaced)", n)
	}
	if seq != n {
		return fmt.Errorf("store: audit log broken: the anchored head is entry %d but the log ends at entry %d (newest entries removed)", seq, n)
	}
	return nil
}
