package server

import (
	"maps"
	"net/http"
	"strconv"

	"github.com/mienhq/mien/internal/store"
)

// The audit log of the caller's tenant, for its admins, newest first. An
// entry holds ids, counts and decisions, never images or templates, and a
// Rekognition user id only as its keyed pseudonym. Each entry says whether
// its content matches its own hash; the chain's links (which run through
// every tenant's entries) are checked by `mien audit verify` on the server.

// auditJSON is an audit entry on the wire.
type auditJSON struct {
	Seq       int64          `json:"seq"`
	At        int64          `json:"at"`
	Actor     string         `json:"actor"`
	Action    string         `json:"action"`
	Object    string         `json:"object"`
	Detail    map[string]any `json:"detail"`
	RequestID string         `json:"request_id,omitempty"`
	Intact    bool           `json:"intact"`
}

func auditWire(r store.AuditRecord) auditJSON {
	d := maps.Clone(r.Detail)
	if d == nil {
		d = map[string]any{}
	}
	id, _ := d["request_id"].(string)
	delete(d, "request_id")
	return auditJSON{Seq: r.Seq, At: r.At, Actor: r.Actor, Action: r.Action, Object: r.Object, Detail: d, RequestID: id, Intact: r.Intact}
}

// auditQuery reads limit (1-500, default 100), before, action and object.
func auditQuery(r *http.Request) (store.AuditQuery, error) {
	v := r.URL.Query()
	q := store.AuditQuery{Limit: 100, Action: v.Get("action"), Object: v.Get("object")}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > store.MaxAuditPage {
			return q, badRequest("limit must be a whole number from 1 to 500, got " + strconv.Quote(s))
		}
		q.Limit = n
	}
	if s := v.Get("before"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 1 {
			return q, badRequest("before must be an entry number (a whole number from 1, the next field of the previous page), got " + strconv.Quote(s))
		}
		q.Before = n
	}
	return q, nil
}

func (s *Server) listAudit(w http.ResponseWriter, r *http.Request) error {
	q, err := auditQuery(r)
	if err != nil {
		return err
	}
	recs, next, err := s.opts.Store.AuditPage(r.Context(), keyOf(r).TenantID, q)
	if err != nil {
		return err
	}
	out := make([]auditJSON, len(recs))
	for i, rec := range recs {
		out[i] = auditWire(rec)
	}
	var nextp *int64
	if next > 0 {
		nextp = &next
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": out, "next": nextp})
	return nil
}
