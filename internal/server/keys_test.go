package server_test

import (
	"context"
	"strings"
	"testing"

	"github.com/mienhq/mien/internal/server"
	"github.com/mienhq/mien/internal/store"
)

// Issue 9 Medium 9 and issue 10: API keys are listed, created and revoked
// through the API by a tenant's admins, for their own tenant only;
// revocation takes effect at the next request and is audited.
func TestSecurityAPIKeys(t *testing.T) {
	e := rekServe(t, &rekFakeEngine{}, server.Options{})
	ctx := context.Background()
	ta, _ := e.st.CreateTenant(ctx, "a")
	reader, _, _ := e.st.CreateKey(ctx, ta.ID, store.RoleRead, "test")
	for _, c := range []struct{ method, path, key string }{
		{"GET", "/v1/keys", ""}, {"GET", "/v1/keys", reader}, {"POST", "/v1/keys", reader}, {"DELETE", "/v1/keys/key_x", reader},
	} {
		want := 403
		if c.key == "" {
			want = 401
		}
		if code, _ := e.call(c.method, c.path, c.key, strings.NewReader(`{"role":"admin"}`), "application/json"); code != want {
			t.Errorf("%s %s as %q: %d, want %d", c.method, c.path, c.key, code, want)
		}
	}
	for _, body := range []string{``, `{}`, `{"role":"root"}`, `{"role":"read","tenant":"b"}`, `not json`} {
		if code, out := e.call("POST", "/v1/keys", e.admin, strings.NewReader(body), "application/json"); code != 400 {
			t.Errorf("create with %q: %d %v", body, code, out)
		}
	}
	code, out := e.call("POST", "/v1/keys", e.admin, strings.NewReader(`{"role":"readwrite"}`), "application/json")
	token, _ := out["key"].(string)
	id, _ := out["id"].(string)
	if code != 201 || token == "" || id == "" || out["tenant"] != "a" || out["role"] != "readwrite" {
		t.Fatalf("create: %d %v", code, out)
	}
	if code, _ := e.call("GET", "/v1/collections", token, nil, ""); code != 200 {
		t.Fatalf("new key refused: %d", code)
	}
	code, _, body := e.raw("GET", "/v1/keys", e.admin, nil, "")
	if code != 200 || strings.Contains(string(body), token) || strings.Contains(string(body), `"key"`) || !strings.Contains(string(body), id) {
		t.Fatalf("list: %d %s", code, body)
	}
	_, list := e.call("GET", "/v1/keys", e.admin, nil, "")
	for _, k := range list["keys"].([]any) {
		k := k.(map[string]any)
		if k["tenant"] != "a" {
			t.Fatalf("another tenant's key listed: %v", k)
		}
		if k["id"] == id && (k["role"] != "readwrite" || k["revoked_at"] != nil || k["created_at"] == nil) {
			t.Fatalf("listed key: %v", k)
		}
	}
	if _, _, other := e.raw("GET", "/v1/keys", e.other, nil, ""); strings.Contains(string(other), id) {
		t.Fatal("tenant b lists a's key")
	}
	if code, _ := e.call("DELETE", "/v1/keys/"+id, e.other, nil, ""); code != 404 {
		t.Fatalf("tenant b revokes a's key: %d", code)
	}
	if code, _ := e.call("GET", "/v1/collections", token, nil, ""); code != 200 {
		t.Fatalf("key revoked by another tenant: %d", code)
	}
	if code, _ := e.call("DELETE", "/v1/keys/"+id, e.admin, nil, ""); code != 204 {
		t.Fatalf("revoke: %d", code)
	}
	if code, _ := e.call("GET", "/v1/collections", token, nil, ""); code != 401 {
		t.Fatalf("revoked key accepted: %d", code)
	}
	if code, _ := e.call("DELETE", "/v1/keys/"+id, e.admin, nil, ""); code != 404 {
		t.Fatalf("revoked twice: %d", code)
	}
	_, list = e.call("GET", "/v1/keys", e.admin, nil, "")
	for _, k := range list["keys"].([]any) {
		if k := k.(map[string]any); k["id"] == id && k["revoked_at"] == nil {
			t.Fatalf("revoked key listed as live: %v", k)
		}
	}
	log, _ := e.st.AuditLog(ctx, ta.ID, 0, 1000)
	var created, revoked bool
	for _, en := range log {
		created = created || (en.Action == "key.create" && en.Object == id)
		revoked = revoked || (en.Action == "key.revoke" && en.Object == id && strings.HasPrefix(en.Actor, "key_"))
	}
	if !created || !revoked {
		t.Fatalf("key creation audited %v, revocation audited %v", created, revoked)
	}
}

// Issue 9, Low: names without limits were accepted; now a clear 400.
func TestSecurityInputLimitsHTTP(t *testing.T) {
	e := rekServe(t, &rekFakeEngine{}, server.Options{})
	for _, name := range []string{strings.Repeat("n", 300), "staff\u202Egnp", "a\\u0000b"} {
		code, out := e.call("POST", "/v1/collections", e.admin, strings.NewReader(`{"name":"`+name+`"}`), "application/json")
		if code != 400 {
			t.Errorf("collection name %.20q: %d %v", name, code, out)
		}
	}
	if _, out := e.call("GET", "/v1/collections", e.admin, nil, ""); len(out["collections"].([]any)) != 0 {
		t.Fatalf("refused collections stored: %v", out)
	}
}
