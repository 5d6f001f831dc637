package server

import (
	"net/http"
	"time"

	"github.com/mienhq/mien/internal/store"
)

// Admin endpoints of the Rekognition-compatible endpoint: access keys, and
// the consent policy under which faces may be indexed into a collection.

// createAWSKey issues an access key for the caller's tenant; its secret is
// in the answer once and never again.
func (s *Server) createAWSKey(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		ReadOnly bool `json:"read_only"`
	}
	if err := decodeOptional(r, &req); err != nil {
		return err
	}
	k := keyOf(r)
	key, secret, err := s.opts.Store.CreateAWSKey(r.Context(), k.TenantID, req.ReadOnly, k.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"access_key_id": key.ID, "secret_access_key": secret,
		"tenant_id": key.TenantID, "read_only": key.ReadOnly, "created_at": key.CreatedAt})
	return nil
}

func (s *Server) listAWSKeys(w http.ResponseWriter, r *http.Request) error {
	keys, err := s.opts.Store.AWSKeys(r.Context(), keyOf(r).TenantID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"keys": keys})
	return nil
}

func (s *Server) revokeAWSKey(w http.ResponseWriter, r *http.Request) error {
	k := keyOf(r)
	if err := s.opts.Store.RevokeAWSKey(r.Context(), k.TenantID, r.PathValue("kid"), k.ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// policyJSON is a consent policy on the wire.
type policyJSON struct {
	Purpose       string `json:"purpose"`
	RetentionDays int    `json:"retention_days"`
	Evidence      string `json:"evidence"`
	DeclaredAt    int64  `json:"declared_at,omitempty"`
}

// putConsentPolicy declares the policy faces are indexed under through the
// Rekognition endpoint (faces indexed before keep their own record).
func (s *Server) putConsentPolicy(w http.ResponseWriter, r *http.Request) error {
	var req policyJSON
	if err := decodeJSONOr(r, &req, `{"purpose": "...", "retention_days": 365, "evidence": "..."}`); err != nil {
		return err
	}
	if req.RetentionDays == 0 {
		req.RetentionDays = 365
	}
	if req.RetentionDays < 1 || req.RetentionDays > 3650 {
		return badRequest("retention_days must be 1..3650")
	}
	k := keyOf(r)
	p := store.ConsentPolicy{Purpose: req.Purpose, Retention: time.Duration(req.RetentionDays) * 24 * time.Hour, Evidence: req.Evidence}
	if err := s.opts.Store.SetConsentPolicy(r.Context(), k.TenantID, r.PathValue("id"), p, k.ID); err != nil {
		return err
	}
	return s.getConsentPolicy(w, r)
}

func (s *Server) getConsentPolicy(w http.ResponseWriter, r *http.Request) error {
	c, err := s.opts.Store.Collection(r.Context(), keyOf(r).TenantID, r.PathValue("id"))
	if err != nil {
		return err
	}
	p, err := s.opts.Store.Policy(r.Context(), c.ID)
	if err != nil {
		return err
	}
	if p == nil {
		return &apiError{http.StatusNotFound, "not_found", "collection " + c.ID + " has no consent policy"}
	}
	writeJSON(w, http.StatusOK, policyJSON{Purpose: p.Purpose, RetentionDays: int(p.Retention / (24 * time.Hour)), Evidence: p.Evidence, DeclaredAt: p.DeclaredAt})
	return nil
}
