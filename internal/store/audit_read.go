package store

import (
	"context"
	"fmt"
	"regexp"
	"strings"
)

// AuditQuery selects a page of a tenant's audit entries, newest first.
type AuditQuery struct {
	Before int64  // only entries numbered below this; 0: from the newest
	Limit  int    // at most this many (1 to MaxAuditPage)
	Action string // only this action ("key.revoke"); "": any
	Object string // only entries about this object (an id); "": any
}

// MaxAuditPage is the most entries one AuditPage answers.
const MaxAuditPage = 500

// AuditPage returns a page of a tenant's audit entries, newest first, and
// the number to pass as Before for the next page (0 when there is none).
// Only the tenant's own entries are read. A Rekognition user id written
// unpseudonymised by an older mien (rekognition.search) is answered as its
// keyed pseudonym, as every newer entry holds it; the stored entry is
// unchanged (the chain is append-only).
func (s *Store) AuditPage(ctx context.Context, tenantID string, q AuditQuery) ([]AuditRecord, int64, error) {
	if q.Limit < 1 || q.Limit > MaxAuditPage {
		return nil, 0, fmt.Errorf("%w: limit %d is not between 1 and %d", ErrInvalid, q.Limit, MaxAuditPage)
	}
	if q.Before < 0 {
		return nil, 0, fmt.Errorf("%w: before %d is not a positive entry number", ErrInvalid, q.Before)
	}
	where, args := []string{"tenant_id = ?"}, []any{tenantID}
	if q.Before > 0 {
		where, args = append(where, "seq < ?"), append(args, q.Before)
	}
	if q.Action != "" {
		where, args = append(where, "action = ?"), append(args, q.Action)
	}
	if q.Object != "" {
		where, args = append(where, "object = ?"), append(args, q.Object)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT seq, at, tenant_id, actor, action, object, detail, prev_hash, hash FROM audit
		WHERE `+strings.Join(where, " AND ")+` ORDER BY seq DESC LIMIT ?`, append(args, q.Limit+1)...)
	if err != nil {
		return nil, 0, fmt.Errorf("store: %w", err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("store: %w", err)
	}
	var next int64
	if len(out) > q.Limit {
		out = out[:q.Limit]
		next = out[len(out)-1].Seq
	}
	recs := make([]AuditRecord, len(out))
	for i, e := range out {
		recs[i] = AuditRecord{Entry: e, Intact: digest(e) == e.Hash}
		s.pseudonymiseRead(&recs[i].Entry)
	}
	return recs, next, nil
}

// AuditRecord is an entry as read back, with whether its content matches
// its own hash. Intact does not check the entry's link to the one before:
// the chain runs through every tenant's entries, and VerifyAudit (`mien
// audit verify`) walks it whole.
type AuditRecord struct {
	Entry
	Intact bool
}

var pseudonymRE = regexp.MustCompile(`^user:[0-9a-f]{24}$`)

// pseudonymiseRead replaces a raw Rekognition user id in a search entry's
// detail by its pseudonym, on a copy of the detail (the hash is checked
// on the stored one).
func (s *Store) pseudonymiseRead(e *Entry) {
	u, ok := e.Detail["user"].(string)
	if e.Action != "rekognition.search" || !ok || u == "" || pseudonymRE.MatchString(u) {
		return
	}
	d := make(map[string]any, len(e.Detail))
	for k, v := range e.Detail {
		d[k] = v
	}
	d["user"] = s.pseudonym(e.Object, u)
	e.Detail = d
}

// PseudonymUser is the keyed pseudonym the audit log holds for a
// Rekognition user id of a collection (never the id itself).
func (s *Store) PseudonymUser(collectionID, userID string) string {
	return s.pseudonym(collectionID, userID)
}
