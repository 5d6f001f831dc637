package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base32"
	"encoding/base64"
	"fmt"
)

// AWSKey is an access key for the Rekognition-compatible endpoint. Unlike
// API keys, its secret cannot be kept as a hash: Signature Version 4 is an
// HMAC keyed by the secret, so the server must hold the secret itself to
// verify a request. It is kept sealed with AES-256-GCM under the master key,
// bound to the key's id.
type AWSKey struct {
	ID        string `json:"access_key_id"`
	TenantID  string `json:"tenant_id"`
	ReadOnly  bool   `json:"read_only"`
	CreatedAt int64  `json:"created_at"`
	RevokedAt int64  `json:"revoked_at,omitempty"`
}

func awsKeyAAD(id string) []byte { return []byte("aws-key:" + id) }

// CreateAWSKey makes an access key for a tenant and returns its secret,
// which is shown once. Read-only keys may detect, compare, list, describe
// and search, but change nothing.
func (s *Store) CreateAWSKey(ctx context.Context, tenantID string, readOnly bool, actor string) (AWSKey, string, error) {
	idb, secb := make([]byte, 10), make([]byte, 30)
	if _, err := rand.Read(idb); err != nil {
		return AWSKey{}, "", err
	}
	if _, err := rand.Read(secb); err != nil {
		return AWSKey{}, "", err
	}
	// 20 characters like AWS's, prefixed MIEN rather than AKIA: the key is
	// mien's, not Amazon's. The secret is 40 characters, as AWS's.
	k := AWSKey{ID: "MIEN" + base32.StdEncoding.EncodeToString(idb), TenantID: tenantID, ReadOnly: readOnly, CreatedAt: s.now().Unix()}
	secret := base64.StdEncoding.EncodeToString(secb)
	sealed, err := seal(s.master, []byte(secret), awsKeyAAD(k.ID))
	if err != nil {
		return AWSKey{}, "", err
	}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM tenants WHERE id = ?`, tenantID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("%w: tenant %s", ErrNotFound, tenantID)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO aws_keys(id, tenant_id, sealed_secret, read_only, created_at) VALUES (?,?,?,?,?)`,
			k.ID, tenantID, sealed, readOnly, k.CreatedAt); err != nil {
			return err
		}
		return s.audit(ctx, tx, Entry{TenantID: tenantID, Actor: actor, Action: "aws_key.create", Object: k.ID, Detail: map[string]any{"read_only": readOnly}})
	})
	if err != nil {
		return AWSKey{}, "", wrapErr(err)
	}
	return k, secret, nil
}

// AWSCredentials returns an access key that is not revoked, with its
// unsealed secret, or ErrUnauthorized.
func (s *Store) AWSCredentials(ctx context.Context, id string) (AWSKey, string, error) {
	k := AWSKey{ID: id}
	var sealed []byte
	err := s.db.QueryRowContext(ctx, `SELECT tenant_id, sealed_secret, read_only, created_at FROM aws_keys WHERE id = ? AND revoked_at IS NULL`, id).
		Scan(&k.TenantID, &sealed, &k.ReadOnly, &k.CreatedAt)
	if errNoRows(err) {
		return AWSKey{}, "", ErrUnauthorized
	}
	if err != nil {
		return AWSKey{}, "", wrapErr(err)
	}
	secret, err := open(s.master, sealed, awsKeyAAD(id))
	if err != nil {
		return AWSKey{}, "", fmt.Errorf("store: access key %s: %w", id, err)
	}
	return k, string(secret), nil
}

// AWSKeys lists a tenant's access keys (revoked ones too), without secrets.
func (s *Store) AWSKeys(ctx context.Context, tenantID string) ([]AWSKey, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, tenant_id, read_only, created_at, COALESCE(revoked_at, 0) FROM aws_keys WHERE tenant_id = ? ORDER BY created_at, id`, tenantID)
	if err != nil {
		return nil, wrapErr(err)
	}
	defer rows.Close()
	out := []AWSKey{}
	for rows.Next() {
		var k AWSKey
		if err := rows.Scan(&k.ID, &k.TenantID, &k.ReadOnly, &k.CreatedAt, &k.RevokedAt); err != nil {
			return nil, wrapErr(err)
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// AWSKeyTenant returns the tenant an access key (revoked or not) belongs to.
func (s *Store) AWSKeyTenant(ctx context.Context, id string) (string, error) {
	var t string
	err := s.db.QueryRowContext(ctx, `SELECT tenant_id FROM aws_keys WHERE id = ?`, id).Scan(&t)
	if errNoRows(err) {
		return "", fmt.Errorf("%w: access key %s", ErrNotFound, id)
	}
	return t, wrapErr(err)
}

// RevokeAWSKey revokes a tenant's access key: requests signed with it are
// refused from then on. Its sealed secret is destroyed.
func (s *Store) RevokeAWSKey(ctx context.Context, tenantID, id, actor string) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		r, err := tx.ExecContext(ctx, `UPDATE aws_keys SET revoked_at = ?, sealed_secret = x'' WHERE id = ? AND tenant_id = ? AND revoked_at IS NULL`,
			s.now().Unix(), id, tenantID)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return fmt.Errorf("%w: access key %s", ErrNotFound, id)
		}
		return s.audit(ctx, tx, Entry{TenantID: tenantID, Actor: actor, Action: "aws_key.revoke", Object: id})
	})
	if err == nil {
		s.erased(ctx)
	}
	return wrapErr(err)
}
