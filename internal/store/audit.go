package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
)

// Entry is one audit record. Detail holds decisions and counts, never
// images or templates.
type Entry struct {
	Seq      int64          `json:"seq"`
	At       int64          `json:"at"`
	TenantID string         `json:"tenant_id"`
	Actor    string         `json:"actor"`
	Action   string         `json:"action"`
	Object   string         `json:"object"`
	Detail   map[string]any `json:"detail,omitempty"`
	PrevHash string         `json:"prev_hash"`
	Hash     string         `json:"hash"`
}

// digest is the hash of an entry: SHA-256 over the previous hash and the
// entry's canonical JSON (without its own hash).
func digest(e Entry) string {
	e.Hash = ""
	b, _ := json.Marshal(e)
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// audit appends an entry inside tx, chained to the last one.
func (s *Store) audit(ctx context.Context, tx *sql.Tx, e Entry) error {
	var prev string
	err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1`).Scan(&e.Seq, &prev)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	e.Seq++
	e.At = s.now().Unix()
	e.PrevHash = prev
	e.Detail = withRequestID(ctx, e.Detail)
	detail, _ := json.Marshal(e.Detail)
	// Round-trip the detail so the hash is computed on what is stored.
	e.Detail = nil
	if len(detail) > 0 && string(detail) != "null" {
		json.Unmarshal(detail, &e.Detail)
	}
	e.Hash = digest(e)
	_, err = tx.ExecContext(ctx, `INSERT INTO audit(seq, at, tenant_id, actor, action, object, detail, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?)`,
		e.Seq, e.At, e.TenantID, e.Actor, e.Action, e.Object, string(detail), e.PrevHash, e.Hash)
	if err != nil || !s.secured {
		return err
	}
	return s.putHead(ctx, tx, e.Seq, e.Hash)
}

// Audit appends an entry on its own (for decisions such as identifications).
func (s *Store) Audit(ctx context.Context, e Entry) error {
	return s.tx(ctx, func(tx *sql.Tx) error { return s.audit(ctx, tx, e) })
}

// AuditLog returns a tenant's entries after seq, oldest first.
func (s *Store) AuditLog(ctx context.Context, tenantID string, after int64, limit int) ([]Entry, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT seq, at, tenant_id, actor, action, object, detail, prev_hash, hash FROM audit
		WHERE tenant_id = ? AND seq > ? ORDER BY seq LIMIT ?`, tenantID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

func scanEntry(rows *sql.Rows) (Entry, error) {
	var e Entry
	var detail string
	if err := rows.Scan(&e.Seq, &e.At, &e.TenantID, &e.Actor, &e.Action, &e.Object, &detail, &e.PrevHash, &e.Hash); err != nil {
		return e, fmt.Errorf("store: %w", err)
	}
	if detail != "" && detail != "null" {
		if err := json.Unmarshal([]byte(detail), &e.Detail); err != nil {
			return e, fmt.Errorf("store: audit %d detail: %w", e.Seq, err)
		}
	}
	return e, nil
}

// VerifyAudit walks the whole chain and returns the number of entries, or
// an error naming the first entry whose hash or link does not hold, or
// saying that the chain does not end at its anchored head (newest entries
// removed). It reads one snapshot of the database.
func (s *Store) VerifyAudit(ctx context.Context) (int64, error) {
	n, _, err := s.VerifyAuditHead(ctx)
	return n, err
}

// VerifyAuditHead is VerifyAudit that also returns the head's hash (to keep
// outside the machine: only a copy kept elsewhere shows a rollback of the
// whole database to an earlier copy).
func (s *Store) VerifyAuditHead(ctx context.Context) (int64, string, error) {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return 0, "", fmt.Errorf("store: %w", err)
	}
	defer tx.Rollback()
	n, head, err := walkAudit(ctx, tx)
	if err != nil || !s.secured {
		return n, head, err
	}
	return n, head, s.checkHead(ctx, tx, n, head)
}

// walkAudit checks every entry's hash and link and returns the count and
// the last hash.
func walkAudit(ctx context.Context, tx *sql.Tx) (int64, string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT seq, at, tenant_id, actor, action, object, detail, prev_hash, hash FROM audit ORDER BY seq`)
	if err != nil {
		return 0, "", fmt.Errorf("store: %w", err)
	}
	defer rows.Close()
	var prev string
	var n int64
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return n, prev, err
		}
		n++
		if e.Seq != n {
			return n, prev, fmt.Errorf("store: audit log broken: entry %d found where %d was expected (entries removed)", e.Seq, n)
		}
		if e.PrevHash != prev {
			return n, prev, fmt.Errorf("store: audit log broken at entry %d: it does not link to the entry before", e.Seq)
		}
		if digest(e) != e.Hash {
			return n, prev, fmt.Errorf("store: audit log broken at entry %d: its content does not match its hash (altered)", e.Seq)
		}
		prev = e.Hash
	}
	return n, prev, rows.Err()
}
