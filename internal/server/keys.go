package server

import (
	"net/http"

	"github.com/mienhq/mien/internal/store"
)

// API keys of the caller's tenant, for its admins: list, create, revoke.
// A revoked key is refused from the next request on: every request reads
// the key from the store, nothing is cached.

// keyJSON is an API key on the wire; the secret is never listed.
type keyJSON struct {
	ID         string `json:"id"`
	Tenant     string `json:"tenant"` // the tenant's name
	TenantID   string `json:"tenant_id"`
	Role       string `json:"role"`
	CreatedAt  int64  `json:"created_at"`
	LastUsedAt *int64 `json:"last_used_at"` // null: never (recorded at most once a minute)
	RevokedAt  *int64 `json:"revoked_at"`   // null: not revoked
}

func keyWire(k store.KeyInfo) keyJSON {
	opt := func(v int64) *int64 {
		if v == 0 {
			return nil
		}
		return &v
	}
	return keyJSON{ID: k.ID, Tenant: k.Tenant, TenantID: k.TenantID, Role: k.Role, CreatedAt: k.CreatedAt,
		LastUsedAt: opt(k.LastUsedAt), RevokedAt: opt(k.RevokedAt)}
}

func (s *Server) listKeys(w http.ResponseWriter, r *http.Request) error {
	keys, err := s.opts.Store.Keys(r.Context(), keyOf(r).TenantID)
	if err != nil {
		return err
	}
	out := make([]keyJSON, len(keys))
	for i, k := range keys {
		out[i] = keyWire(k)
	}
	writeJSON(w, http.StatusOK, map[string]any{"keys": out})
	return nil
}

// createKey makes a key of the caller's tenant; its secret is in the answer
// once and never again (it is stored as a hash).
func (s *Server) createKey(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Role string `json:"role"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	switch req.Role {
	case store.RoleRead, store.RoleReadWrite, store.RoleAdmin:
	default:
		return badRequest(`send {"role": "read" | "readwrite" | "admin"}`)
	}
	caller := keyOf(r)
	token, k, err := s.opts.Store.CreateKey(r.Context(), caller.TenantID, req.Role, caller.ID)
	if err != nil {
		return err
	}
	t, err := s.opts.Store.Tenant(r.Context(), caller.TenantID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": k.ID, "key": token, "tenant": t.Name, "tenant_id": t.ID, "role": k.Role})
	return nil
}

// revokeKey revokes a key of the caller's tenant (another tenant's is not
// found). An admin may revoke its own key.
func (s *Server) revokeKey(w http.ResponseWriter, r *http.Request) error {
	caller := keyOf(r)
	if err := s.opts.Store.RevokeKey(r.Context(), caller.TenantID, r.PathValue("kid"), caller.ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
