package cli

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mienhq/mien/internal/config"
	"github.com/mienhq/mien/internal/store"
)

func keyedHome(t *testing.T) string {
	home := t.TempDir()
	t.Setenv("MIEN_HOME", home)
	t.Setenv("MIEN_MASTER_KEY", strings.Repeat("ab", 32))
	return filepath.Join(home, "data")
}

// Issue 10: a bare `keys create` minted an admin key for tenant "default".
func TestSecurityKeysCreateNeedsTenantAndRole(t *testing.T) {
	data := keyedHome(t)
	for _, args := range [][]string{
		{"keys", "create", "--data", data},
		{"keys", "create", "--data", data, "--tenant", "acme"},
		{"keys", "create", "--data", data, "--role", "admin"},
		{"keys", "create", "--data", data, "--tenant", "acme", "--role", "root"},
		{"keys", "create-aws", "--data", data},
	} {
		if code, out, errs := run(args...); code == 0 || out != "" || !strings.Contains(errs, "--tenant") && !strings.Contains(errs, "role") {
			t.Errorf("%v: exit %d, %q %q", args, code, out, errs)
		}
	}
	if _, err := os.Stat(filepath.Join(data, "mien.db")); err == nil {
		t.Fatal("a refused keys create opened (created) the database")
	}
}

// Issue 9 Medium 9, issue 10: keys list (never the secret) and keys revoke.
func TestSecurityKeysListAndRevoke(t *testing.T) {
	data := keyedHome(t)
	code, token, errs := run("keys", "create", "--data", data, "--tenant", "acme", "--role", "read")
	token = strings.TrimSpace(token)
	if code != 0 || !strings.HasPrefix(token, "mien_") {
		t.Fatalf("create: %d %q %q", code, token, errs)
	}
	run("keys", "create", "--data", data, "--tenant", "other", "--role", "admin")
	// Issue 9, Low: the data directory is private, and so is the database.
	for p, want := range map[string]os.FileMode{data: 0o700, filepath.Join(data, "mien.db"): 0o600} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Fatalf("%s is %v, want %v", p, fi.Mode().Perm(), want)
		}
	}
	code, out, errs := run("keys", "list", "--data", data, "--tenant", "acme", "--json")
	var list struct {
		Keys []map[string]any `json:"keys"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil || len(list.Keys) != 1 || strings.Contains(out, token) {
		t.Fatalf("list: %d %q %q", code, out, errs)
	}
	k := list.Keys[0]
	id, _ := k["id"].(string)
	if k["tenant"] != "acme" || k["role"] != "read" || k["revoked_at"] != nil {
		t.Fatalf("listed %v", k)
	}
	if code, out, _ := run("keys", "list", "--data", data); code != 0 || !strings.Contains(out, "other") || !strings.Contains(out, id) || strings.Contains(out, token) {
		t.Fatalf("list all: %d %q", code, out)
	}
	if code, _, errs := run("keys", "list", "--data", data, "--tenant", "acmee"); code == 0 || !strings.Contains(errs, "not found") {
		t.Fatalf("unknown tenant: %d %q", code, errs)
	}
	if code, _, errs := run("keys", "revoke", "--data", data, id); code != 0 {
		t.Fatalf("revoke: %d %q", code, errs)
	}
	if code, _, _ := run("keys", "revoke", "--data", data, "key_nosuch"); code == 0 {
		t.Fatal("revoking an unknown key succeeded")
	}
	_, out, _ = run("keys", "list", "--data", data, "--tenant", "acme", "--json")
	json.Unmarshal([]byte(out), &list)
	if len(list.Keys) != 1 || list.Keys[0]["revoked_at"] == nil {
		t.Fatalf("after revoke: %q", out)
	}
	st := openData(t, data)
	if _, err := st.Authenticate(context.Background(), token); err == nil {
		t.Fatal("revoked key authenticates")
	}
	if tenants, _ := st.Keys(context.Background(), ""); len(tenants) != 2 {
		t.Fatalf("keys %+v (no tenant may be created by list)", tenants)
	}
	if code, out, _ := run("audit", "verify", "--data", data); code != 0 || !strings.Contains(out, "intact") {
		t.Fatalf("audit verify: %d %q", code, out)
	}
}

func openData(t *testing.T, data string) *store.Store {
	os.MkdirAll(data, 0o700)
	st, err := store.Open(context.Background(), filepath.Join(data, "mien.db"), store.Options{MasterKey: bytes.Repeat([]byte{0xab}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// Issue 9 Medium 9: revoking the bootstrap key must not stop the server
// from starting, nor be undone by a restart.
func TestSecurityRevokedBootstrapKey(t *testing.T) {
	ctx := context.Background()
	data := keyedHome(t)
	var errb bytes.Buffer
	env := &Env{Stdout: &bytes.Buffer{}, Stderr: &errb, Config: config.Config{BootstrapKey: "bootstrap-admin-key-0123456789abcdef", BootstrapTenant: "default"}}
	st := openData(t, data)
	if _, err := bootstrap(ctx, env, st, false); err != nil {
		t.Fatal(err)
	}
	k, err := st.Authenticate(ctx, env.Config.BootstrapKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.RevokeKey(ctx, k.TenantID, k.ID, "admin"); err != nil {
		t.Fatal(err)
	}
	if _, err := bootstrap(ctx, env, st, false); err != nil {
		t.Fatalf("start after revoking the bootstrap key: %v", err)
	}
	if _, err := st.Authenticate(ctx, env.Config.BootstrapKey); err == nil {
		t.Fatal("a restart brought the revoked bootstrap key back")
	}
	if !strings.Contains(errb.String(), "revoked") {
		t.Fatalf("no word on stderr: %q", errb.String())
	}
}

// Issue 9, Low: `serve --dev --data DIR` wrote a dev admin key into a real
// database.
func TestSecurityServeDevRefusesData(t *testing.T) {
	data := keyedHome(t)
	code, _, errs := run("serve", "--dev", "--data", data, "--addr", "127.0.0.1:0")
	if code == 0 || !strings.Contains(errs, "--data") {
		t.Fatalf("serve --dev --data: %d %q", code, errs)
	}
	if _, err := os.Stat(filepath.Join(data, "mien.db")); err == nil {
		t.Fatal("serve --dev --data touched the database")
	}
}

// Issue 9, Low: `mien audit verify` did not notice the newest entries
// deleted (with the triggers dropped, as whoever holds the file can).
func TestSecurityAuditVerifyTruncation(t *testing.T) {
	data := keyedHome(t)
	for _, tenant := range []string{"a", "b", "c"} {
		if code, _, errs := run("keys", "create", "--data", data, "--tenant", tenant, "--role", "read"); code != 0 {
			t.Fatal(errs)
		}
	}
	if code, out, errs := run("audit", "verify", "--data", data); code != 0 || !strings.Contains(out, "intact: 6 entries") {
		t.Fatalf("clean: %d %q %q", code, out, errs)
	}
	raw, err := sql.Open("sqlite", filepath.Join(data, "mien.db"))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`DROP TRIGGER audit_no_delete`, `DELETE FROM audit WHERE seq > 4`} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()
	if code, out, errs := run("audit", "verify", "--data", data); code != 1 || !strings.Contains(errs, "newest entries removed") {
		t.Fatalf("truncated: %d %q %q", code, out, errs)
	}
}
