package server_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/mienhq/mien/internal/server"
	"github.com/mienhq/mien/internal/store"
)

// auditPage reads one page of GET /v1/audit as key.
func (e *env) auditPage(key, query string) ([]map[string]any, any) {
	e.t.Helper()
	code, out := e.call("GET", "/v1/audit"+query, key, nil, "")
	if code != 200 {
		e.t.Fatalf("GET /v1/audit%s: %d %v", query, code, out)
	}
	var entries []map[string]any
	for _, x := range out["entries"].([]any) {
		entries = append(entries, x.(map[string]any))
	}
	return entries, out["next"]
}

func seqs(entries []map[string]any) []int64 {
	out := make([]int64, len(entries))
	for i, x := range entries {
		out[i] = int64(x["seq"].(float64))
	}
	return out
}

// Issue 10: an admin reads its own tenant's audit log, newest first, in
// pages; other roles are refused; another tenant's entries never appear;
// a raw Rekognition user id is never shown.
func TestAuditAPI(t *testing.T) {
	e := rekServe(t, &rekFakeEngine{}, server.Options{})
	ctx := context.Background()
	ka, err := e.st.Authenticate(ctx, e.admin)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := e.st.Authenticate(ctx, e.other)
	var made []string
	for i := 0; i < 5; i++ {
		_, out := e.call("POST", "/v1/keys", e.admin, strings.NewReader(`{"role":"read"}`), "application/json")
		made = append(made, out["id"].(string))
		e.call("POST", "/v1/keys", e.other, strings.NewReader(`{"role":"read"}`), "application/json")
	}
	if code, _ := e.call("DELETE", "/v1/keys/"+made[2], e.admin, nil, ""); code != 204 {
		t.Fatalf("revoke: %d", code)
	}
	// An entry written by an older mien, with the user id in the clear.
	if err := e.st.Audit(ctx, store.Entry{TenantID: ka.TenantID, Actor: "AKIAX", Action: "rekognition.search", Object: "col_1",
		Detail: map[string]any{"by": "image", "user": "alice@example.com"}}); err != nil {
		t.Fatal(err)
	}
	all, next := e.auditPage(e.admin, "")
	stored, _ := e.st.AuditLog(ctx, ka.TenantID, 0, 1000)
	theirs, _ := e.st.AuditLog(ctx, kb.TenantID, 0, 1000)
	if next != nil || len(all) != len(stored) || len(all) < 8 {
		t.Fatalf("all entries: %d (next %v), stored %d", len(all), next, len(stored))
	}
	for i, x := range all {
		if want := stored[len(stored)-1-i]; int64(x["seq"].(float64)) != want.Seq || x["action"] != want.Action || x["actor"] != want.Actor {
			t.Fatalf("entry %d is %v, want %+v (newest first)", i, x, want)
		}
		if x["intact"] != true {
			t.Fatalf("entry not intact: %v", x)
		}
		for _, o := range theirs {
			if int64(x["seq"].(float64)) == o.Seq || x["object"] == o.Object {
				t.Fatalf("tenant b's entry shown to a: %v", x)
			}
		}
	}
	if u, _ := all[0]["detail"].(map[string]any)["user"].(string); u != e.st.PseudonymUser("col_1", "alice@example.com") || !strings.HasPrefix(u, "user:") {
		t.Fatalf("search entry's user: %v", all[0])
	}
	if _, _, body := e.raw("GET", "/v1/audit", e.admin, nil, ""); strings.Contains(string(body), "alice@example.com") {
		t.Fatal("a raw user id is shown")
	}
	revoke := all[1]
	if revoke["action"] != "key.revoke" || revoke["object"] != made[2] || revoke["actor"] != ka.ID || revoke["request_id"] == nil || revoke["detail"].(map[string]any)["request_id"] != nil {
		t.Fatalf("the revocation's entry: %v", revoke)
	}
	// Pages of 3 follow each other to the oldest entry.
	var paged []map[string]any
	query := "?limit=3"
	for pages := 0; ; pages++ {
		page, next := e.auditPage(e.admin, query)
		if len(page) > 3 || pages > len(all) {
			t.Fatalf("page %d: %d entries", pages, len(page))
		}
		paged = append(paged, page...)
		if next == nil {
			break
		}
		query = fmt.Sprintf("?limit=3&before=%d", int64(next.(float64)))
	}
	if fmt.Sprint(seqs(paged)) != fmt.Sprint(seqs(all)) {
		t.Fatalf("paged %v, whole %v", seqs(paged), seqs(all))
	}
	// Filters.
	creates, _ := e.auditPage(e.admin, "?action=key.create")
	if len(creates) != 6 {
		t.Fatalf("key.create entries: %d, want 6 (the test's admin and 5)", len(creates))
	}
	for _, x := range creates {
		if x["action"] != "key.create" {
			t.Fatalf("filter by action: %v", x)
		}
	}
	about, _ := e.auditPage(e.admin, "?object="+made[2])
	if len(about) != 2 || about[0]["action"] != "key.revoke" || about[1]["action"] != "key.create" {
		t.Fatalf("filter by object: %v", about)
	}
	if bs, _ := e.auditPage(e.other, "?limit=500"); len(bs) != len(theirs) {
		t.Fatalf("tenant b reads %d entries, has %d", len(bs), len(theirs))
	}
}

func TestAuditAPIRefusals(t *testing.T) {
	e := rekServe(t, &rekFakeEngine{}, server.Options{})
	ctx := context.Background()
	ka, _ := e.st.Authenticate(ctx, e.admin)
	for _, role := range []string{store.RoleRead, store.RoleReadWrite} {
		k, _, _ := e.st.CreateKey(ctx, ka.TenantID, role, "test")
		if code, out := e.call("GET", "/v1/audit", k, nil, ""); code != 403 {
			t.Errorf("%s key reads the audit log: %d %v", role, code, out)
		}
	}
	if code, _ := e.call("GET", "/v1/audit", "", nil, ""); code != 401 {
		t.Errorf("no key: %d", code)
	}
	for q, word := range map[string]string{"limit=0": "limit", "limit=501": "limit", "limit=ten": "limit", "limit=-1": "limit",
		"before=0": "before", "before=-5": "before", "before=x": "before", "before=1.5": "before"} {
		code, out := e.call("GET", "/v1/audit?"+q, e.admin, nil, "")
		msg, _ := out["error"].(map[string]any)["message"].(string)
		if code != 400 || !strings.Contains(msg, word) {
			t.Errorf("?%s: %d %q", q, code, msg)
		}
	}
	if _, next := e.auditPage(e.admin, "?limit=500&before=1"); next != nil {
		t.Fatalf("before the first entry: next %v", next)
	}
}
