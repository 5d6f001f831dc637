package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Roles an API key can have.
const (
	RoleAdmin     = "admin"     // manage keys and collections, and everything below
	RoleReadWrite = "readwrite" // enrol, delete, identify
	RoleRead      = "read"      // identify, list, get
)

// Tenant is an organisation; nothing crosses tenants.
type Tenant struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Key is an API key as stored (its secret is only ever returned once).
type Key struct {
	ID       string `json:"id"`
	TenantID string `json:"tenant_id"`
	Role     string `json:"role"`
}

// CreateTenant adds a tenant (or returns the existing one of that name).
func (s *Store) CreateTenant(ctx context.Context, name string) (Tenant, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return Tenant{}, fmt.Errorf("%w: tenant name is empty", ErrInvalid)
	}
	if err := CheckText("tenant name", name, MaxName); err != nil {
		return Tenant{}, err
	}
	var t Tenant
	err := s.db.QueryRowContext(ctx, `SELECT id, name FROM tenants WHERE name = ?`, name).Scan(&t.ID, &t.Name)
	if err == nil {
		return t, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return t, fmt.Errorf("store: %w", err)
	}
	t = Tenant{ID: newID("ten"), Name: name}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO tenants(id, name, created_at) VALUES (?, ?, ?)`, t.ID, t.Name, s.now().Unix()); err != nil {
			return err
		}
		return s.audit(ctx, tx, Entry{TenantID: t.ID, Actor: "system", Action: "tenant.create", Object: t.ID})
	})
	if err != nil {
		return Tenant{}, fmt.Errorf("store: %w", err)
	}
	return t, nil
}

func hashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// CreateKey makes an API key for a tenant and returns its secret token,
// which is stored only as a SHA-256 hash.
func (s *Store) CreateKey(ctx context.Context, tenantID, role, actor string) (string, Key, error) {
	switch role {
	case RoleAdmin, RoleReadWrite, RoleRead:
	default:
		return "", Key{}, fmt.Errorf("store: unknown role %q (admin, readwrite, read)", role)
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", Key{}, err
	}
	k := Key{ID: newID("key"), TenantID: tenantID, Role: role}
	token := "mien_" + strings.TrimPrefix(k.ID, "key_") + "_" + base64.RawURLEncoding.EncodeToString(b)
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM tenants WHERE id = ?`, tenantID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("%w: tenant %s", ErrNotFound, tenantID)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO api_keys(id, tenant_id, hash, role, created_at) VALUES (?, ?, ?, ?, ?)`,
			k.ID, tenantID, hashToken(token), role, s.now().Unix()); err != nil {
			return err
		}
		return s.audit(ctx, tx, Entry{TenantID: tenantID, Actor: actor, Action: "key.create", Object: k.ID, Detail: map[string]any{"role": role}})
	})
	if err != nil {
		return "", Key{}, fmt.Errorf("store: %w", err)
	}
	return token, k, nil
}

// ImportKey stores a key whose token was chosen outside mien (the bootstrap
// admin key from the environment); it is idempotent. A key that was revoked
// is not imported again: ErrRevoked.
func (s *Store) ImportKey(ctx context.Context, tenantID, role, token string) (Key, error) {
	if len(token) < 24 {
		return Key{}, fmt.Errorf("%w: a key must be at least 24 characters", ErrInvalid)
	}
	var k Key
	var revoked sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT id, tenant_id, role, revoked_at FROM api_keys WHERE hash = ?`, hashToken(token)).
		Scan(&k.ID, &k.TenantID, &k.Role, &revoked)
	if err == nil && revoked.Valid {
		return k, fmt.Errorf("%w: key %s", ErrRevoked, k.ID)
	}
	if err == nil {
		return k, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return Key{}, fmt.Errorf("store: %w", err)
	}
	k = Key{ID: newID("key"), TenantID: tenantID, Role: role}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO api_keys(id, tenant_id, hash, role, created_at) VALUES (?, ?, ?, ?, ?)`,
			k.ID, tenantID, hashToken(token), role, s.now().Unix()); err != nil {
			return err
		}
		return s.audit(ctx, tx, Entry{TenantID: tenantID, Actor: "bootstrap", Action: "key.import", Object: k.ID, Detail: map[string]any{"role": role}})
	})
	if err != nil {
		return Key{}, fmt.Errorf("store: %w", err)
	}
	return k, nil
}

// Authenticate returns the key a token belongs to. It reads the database on
// every call (nothing is cached), so a revoked key is refused at once. It
// records when a key was last used, at most once a minute per key.
func (s *Store) Authenticate(ctx context.Context, token string) (Key, error) {
	var k Key
	var last sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT id, tenant_id, role, last_used_at FROM api_keys WHERE hash = ? AND revoked_at IS NULL`, hashToken(token)).
		Scan(&k.ID, &k.TenantID, &k.Role, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return Key{}, ErrUnauthorized
	}
	if err != nil {
		return Key{}, fmt.Errorf("store: %w", err)
	}
	if now := s.now().Unix(); !last.Valid || now-last.Int64 >= lastUsedEvery {
		// Best effort: a failure to record the use does not refuse the key.
		s.db.ExecContext(context.WithoutCancel(ctx), `UPDATE api_keys SET last_used_at = ? WHERE id = ?`, now, k.ID)
	}
	return k, nil
}

// RevokeKey revokes a key of the tenant: from the commit on, Authenticate
// refuses it. The revocation is audited.
func (s *Store) RevokeKey(ctx context.Context, tenantID, keyID, actor string) error {
	return wrapErr(s.tx(ctx, func(tx *sql.Tx) error {
		r, err := tx.ExecContext(ctx, `UPDATE api_keys SET revoked_at = ? WHERE id = ? AND tenant_id = ? AND revoked_at IS NULL`, s.now().Unix(), keyID, tenantID)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return fmt.Errorf("%w: key %s (unknown, another tenant's or already revoked)", ErrNotFound, keyID)
		}
		return s.audit(ctx, tx, Entry{TenantID: tenantID, Actor: actor, Action: "key.revoke", Object: keyID})
	}))
}
