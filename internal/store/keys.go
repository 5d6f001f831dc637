package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// ErrRevoked is returned when a revoked API key is imported again.
var ErrRevoked = errors.New("store: the API key was revoked")

// lastUsedEvery is how often, at most, a key's last use is recorded (seconds).
const lastUsedEvery = 60

// KeyInfo describes an API key for listing; it never holds the secret.
type KeyInfo struct {
	ID         string
	TenantID   string
	Tenant     string // the tenant's name
	Role       string
	CreatedAt  int64
	LastUsedAt int64 // 0: never (recorded at most once a minute)
	RevokedAt  int64 // 0: not revoked
}

// Keys lists the API keys of a tenant (every tenant's when tenantID is ""),
// revoked ones too, oldest first.
func (s *Store) Keys(ctx context.Context, tenantID string) ([]KeyInfo, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT k.id, k.tenant_id, t.name, k.role, k.created_at, COALESCE(k.last_used_at, 0), COALESCE(k.revoked_at, 0)
		FROM api_keys k JOIN tenants t ON t.id = k.tenant_id WHERE ? = '' OR k.tenant_id = ? ORDER BY t.name, k.created_at, k.rowid`, tenantID, tenantID)
	if err != nil {
		return nil, wrapErr(err)
	}
	defer rows.Close()
	out := []KeyInfo{}
	for rows.Next() {
		var k KeyInfo
		if err := rows.Scan(&k.ID, &k.TenantID, &k.Tenant, &k.Role, &k.CreatedAt, &k.LastUsedAt, &k.RevokedAt); err != nil {
			return nil, wrapErr(err)
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// KeyTenant returns the tenant an API key (revoked or not) belongs to.
func (s *Store) KeyTenant(ctx context.Context, keyID string) (string, error) {
	var t string
	err := s.db.QueryRowContext(ctx, `SELECT tenant_id FROM api_keys WHERE id = ?`, keyID).Scan(&t)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("%w: key %s", ErrNotFound, keyID)
	}
	return t, wrapErr(err)
}

// TenantByName returns a tenant without creating it.
func (s *Store) TenantByName(ctx context.Context, name string) (Tenant, error) {
	var t Tenant
	err := s.db.QueryRowContext(ctx, `SELECT id, name FROM tenants WHERE name = ?`, name).Scan(&t.ID, &t.Name)
	if errors.Is(err, sql.ErrNoRows) {
		return t, fmt.Errorf("%w: tenant %q", ErrNotFound, name)
	}
	return t, wrapErr(err)
}

// Tenant returns a tenant by id.
func (s *Store) Tenant(ctx context.Context, id string) (Tenant, error) {
	var t Tenant
	err := s.db.QueryRowContext(ctx, `SELECT id, name FROM tenants WHERE id = ?`, id).Scan(&t.ID, &t.Name)
	if errors.Is(err, sql.ErrNoRows) {
		return t, fmt.Errorf("%w: tenant %s", ErrNotFound, id)
	}
	return t, wrapErr(err)
}
