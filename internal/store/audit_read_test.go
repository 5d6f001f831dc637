package store

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
)

// AuditPage: a tenant's entries only, newest first, paged; an altered entry
// is answered as not intact; a raw Rekognition user id written by an older
// mien is answered as its pseudonym, and the entry is still intact.
func TestAuditPage(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, filepath.Join(t.TempDir(), "mien.db"), nil)
	a, _ := s.CreateTenant(ctx, "a")
	b, _ := s.CreateTenant(ctx, "b")
	for i := 0; i < 4; i++ {
		s.CreateKey(ctx, a.ID, RoleRead, "test")
		s.CreateKey(ctx, b.ID, RoleRead, "test")
	}
	if err := s.Audit(ctx, Entry{TenantID: a.ID, Actor: "AKIAX", Action: "rekognition.search", Object: "col_1",
		Detail: map[string]any{"user": "alice@example.com"}}); err != nil {
		t.Fatal(err)
	}
	page, next, err := s.AuditPage(ctx, a.ID, AuditQuery{Limit: 3})
	if err != nil || len(page) != 3 || next != page[2].Seq || page[0].Seq <= page[1].Seq || page[1].Seq <= page[2].Seq {
		t.Fatalf("first page: %v next %d err %v", page, next, err)
	}
	if u := page[0].Detail["user"]; u != s.pseudonym("col_1", "alice@example.com") || !page[0].Intact {
		t.Fatalf("search entry: %+v", page[0])
	}
	rest, next, err := s.AuditPage(ctx, a.ID, AuditQuery{Limit: 500, Before: next})
	if err != nil || next != 0 || len(rest) != 3 { // tenant.create and 4 key.create, less the 2 already read
		t.Fatalf("second page: %d entries, next %d, err %v", len(rest), next, err)
	}
	for _, r := range append(page, rest...) {
		if r.TenantID != a.ID {
			t.Fatalf("tenant b's entry: %+v", r)
		}
	}
	// Alter an entry behind the trigger's back: it is no longer intact.
	if _, err := s.db.Exec(`DROP TRIGGER audit_no_update`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.Exec(`UPDATE audit SET detail = '{"role":"admin"}' WHERE seq = ?`, rest[0].Seq); err != nil {
		t.Fatal(err)
	}
	got, _, _ := s.AuditPage(ctx, a.ID, AuditQuery{Limit: 1, Before: rest[0].Seq + 1})
	if len(got) != 1 || got[0].Intact || got[0].Detail["role"] != "admin" {
		t.Fatalf("altered entry: %+v", got)
	}
	for _, q := range []AuditQuery{{Limit: 0}, {Limit: 501}, {Limit: 10, Before: -1}} {
		if _, _, err := s.AuditPage(ctx, a.ID, q); !errors.Is(err, ErrInvalid) {
			t.Errorf("%+v: %v", q, err)
		}
	}
}
