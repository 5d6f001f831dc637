package store

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// Issue 9, Medium 7: a wrong master key on a database without collections
// was accepted, and the right key refused afterwards.
func TestSecurityWrongMasterKeyRefused(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "mien.db")
	s := openTest(t, path, nil)
	ten, _ := s.CreateTenant(ctx, "acme") // no collection, no access key: nothing sealed
	s.Close()
	wrong := []byte("ffffffffffffffffffffffffffffffff")
	if bad, err := Open(ctx, path, Options{MasterKey: wrong}); !errors.Is(err, ErrWrongKey) {
		if bad != nil {
			bad.Close()
		}
		t.Fatalf("wrong key on a database without collections: %v, want ErrWrongKey", err)
	}
	s = openTest(t, path, nil)
	if _, err := s.CreateCollection(ctx, ten.ID, "c", "m", "t"); err != nil {
		t.Fatalf("right key after a refused wrong one: %v", err)
	}
}

// A database made before the key check value existed is checked against a
// sealed value it holds; a wrong key leaves it as it was.
func TestSecurityWrongMasterKeyOnUpgrade(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "mien.db")
	saved := migrations
	t.Cleanup(func() { migrations = saved })
	migrations = migrations[:slices.Index(migrations, migrationSecurity)]
	s := openTest(t, path, nil)
	ten, _ := s.CreateTenant(ctx, "acme")
	s.CreateCollection(ctx, ten.ID, "staff", "m", "t")
	s.Close()
	migrations = saved
	if bad, err := Open(ctx, path, Options{MasterKey: []byte("ffffffffffffffffffffffffffffffff")}); !errors.Is(err, ErrWrongKey) {
		if bad != nil {
			bad.Close()
		}
		t.Fatalf("wrong key on upgrade: %v", err)
	}
	s = openTest(t, path, nil)
	if v, _ := s.SchemaVersion(ctx); v != len(migrations) {
		t.Fatalf("schema %d after upgrade with the right key", v)
	}
	if n, err := s.VerifyAudit(ctx); err != nil || n != 2 {
		t.Fatalf("audit after upgrade: %d %v", n, err)
	}
}

// Issue 9, Low: deleting the newest audit rows went unnoticed.
func TestSecurityAuditTruncationDetected(t *testing.T) {
	ctx := context.Background()
	cases := map[string]struct {
		sql  []string
		want string
	}{
		"newest rows deleted": {[]string{`DROP TRIGGER audit_no_delete`, `DELETE FROM audit WHERE seq > 4`}, "newest entries removed"},
		"all rows deleted":    {[]string{`DROP TRIGGER audit_no_delete`, `DELETE FROM audit`}, "newest entries removed"},
		"anchor deleted":      {[]string{`DROP TRIGGER audit_no_delete`, `DELETE FROM audit WHERE seq > 4`, `DELETE FROM audit_head`}, "anchored head is missing"},
		"anchor rewritten":    {[]string{`DROP TRIGGER audit_no_delete`, `DELETE FROM audit WHERE seq > 4`, `UPDATE audit_head SET seq = 4, hash = (SELECT hash FROM audit WHERE seq = 4)`}, "signature does not hold"},
		"newest replaced": {[]string{`DROP TRIGGER audit_no_delete`, `DELETE FROM audit WHERE seq = 7`,
			`INSERT INTO audit SELECT 7, at, tenant_id, actor, 'other', object, detail, prev_hash, hash FROM audit WHERE seq = 6`}, "entry 7"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "mien.db")
			s := openTest(t, path, nil)
			ten, _ := s.CreateTenant(ctx, "acme")
			for i := 0; i < 6; i++ {
				s.Audit(ctx, Entry{TenantID: ten.ID, Actor: "k", Action: "identify", Object: "col"})
			}
			if n, err := s.VerifyAudit(ctx); err != nil || n != 7 {
				t.Fatalf("clean chain: %d %v", n, err)
			}
			raw, _ := sql.Open("sqlite", path)
			defer raw.Close()
			for _, q := range c.sql {
				if _, err := raw.Exec(q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			if _, err := s.VerifyAudit(ctx); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("tampering not detected: %v (want %q)", err, c.want)
			}
		})
	}
}

// Issue 9, Low: names and ids of any length and content, and consent dates
// of 1800 or 9999, were accepted.
func TestSecurityInputLimits(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	s := openTest(t, filepath.Join(t.TempDir(), "mien.db"), nil)
	ten, _ := s.CreateTenant(ctx, "acme")
	col, _ := s.CreateCollection(ctx, ten.ID, "staff", "m", "t")
	tpl := []Template{{Vector: []float32{1, 0}}}
	long := strings.Repeat("a", 1<<20)
	bad := map[string]Subject{
		"1 MiB name":             {Name: long, Consent: consent(now)},
		"257-character name":     {Name: strings.Repeat("é", MaxName+1), Consent: consent(now)},
		"NUL in name":            {Name: "Ada\x00Lovelace", Consent: consent(now)},
		"newline in id":          {ExternalID: "e-1\nadmin", Consent: consent(now)},
		"right-to-left override": {Name: "Ada \u202Egnp.exe", Consent: consent(now)},
		"isolate in id":          {ExternalID: "\u2066e-1", Consent: consent(now)},
		"invalid UTF-8":          {Name: "Ada \xff", Consent: consent(now)},
		"consented in 1800":      {Consent: Consent{Purpose: "p", Evidence: "e", ConsentedAt: time.Date(1800, 1, 1, 0, 0, 0, 0, time.UTC), ExpiresAt: now.Add(time.Hour)}},
		"expires in 9999":        {Consent: Consent{Purpose: "p", Evidence: "e", ConsentedAt: now, ExpiresAt: time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)}},
		"1 MiB evidence":         {Consent: Consent{Purpose: "p", Evidence: long, ConsentedAt: now, ExpiresAt: now.Add(time.Hour)}},
	}
	for name, sub := range bad {
		if _, err := s.Enroll(ctx, ten.ID, col.ID, sub, tpl, "t"); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: got %v, want ErrInvalid", name, err)
		}
	}
	if n := count(t, s, "subjects"); n != 0 {
		t.Fatalf("refused enrolments stored %d subjects", n)
	}
	for _, name := range []string{long, "staff\u202E", "a\x00b"} {
		if _, err := s.CreateCollection(ctx, ten.ID, name, "m", "t"); !errors.Is(err, ErrInvalid) {
			t.Errorf("collection name %.20q: %v", name, err)
		}
		if _, err := s.CreateTenant(ctx, name); !errors.Is(err, ErrInvalid) {
			t.Errorf("tenant name %.20q: %v", name, err)
		}
	}
	good := []string{"Ada Lovelace", "Zoë Ó Dálaigh-Nuñez", "李小龍", "محمد", "👩‍👩‍👧", "O'Brien, Jr.", strings.Repeat("x", MaxName)}
	for i, name := range good {
		c := consent(now)
		c.ExpiresAt = now.Add(3650 * 24 * time.Hour)
		if _, err := s.Enroll(ctx, ten.ID, col.ID, Subject{Name: name, ExternalID: name, Consent: c}, tpl, "t"); err != nil {
			t.Errorf("good name %d %.20q: %v", i, name, err)
		}
	}
}

// Issue 9, Low: mien.db was created 0644.
func TestSecurityDatabaseFilesPrivate(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "mien.db")
	s := openTest(t, path, nil)
	s.CreateTenant(ctx, "acme")
	check := func(when string) {
		for _, p := range []string{path, path + "-wal", path + "-shm"} {
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("%s: %s is %v, want -rw-------", when, filepath.Base(p), fi.Mode().Perm())
			}
		}
	}
	check("created")
	s.Close()
	// A database made by an older mien (0644) is narrowed when opened.
	for _, p := range []string{path} {
		os.Chmod(p, 0o644)
	}
	s = openTest(t, path, nil)
	s.CreateTenant(ctx, "other")
	check("reopened")
}

// Issue 9, Medium 9 and issue 10: keys are listed without secrets, revoked
// at once, and a revoked bootstrap key is not imported again.
func TestSecurityKeyRevocation(t *testing.T) {
	ctx := context.Background()
	clock := time.Now()
	s := openTest(t, filepath.Join(t.TempDir(), "mien.db"), func() time.Time { return clock })
	a, _ := s.CreateTenant(ctx, "a")
	b, _ := s.CreateTenant(ctx, "b")
	boot := "bootstrap-admin-key-0123456789abcdef"
	bk, err := s.ImportKey(ctx, a.ID, RoleAdmin, boot)
	if err != nil {
		t.Fatal(err)
	}
	token, k, _ := s.CreateKey(ctx, a.ID, RoleRead, "test")
	s.CreateKey(ctx, b.ID, RoleAdmin, "test")
	if _, err := s.Authenticate(ctx, token); err != nil {
		t.Fatal(err)
	}
	keys, err := s.Keys(ctx, a.ID)
	if err != nil || len(keys) != 2 || keys[1].ID != k.ID || keys[1].Tenant != "a" || keys[1].Role != RoleRead || keys[1].RevokedAt != 0 || keys[1].LastUsedAt == 0 {
		t.Fatalf("tenant a's keys: %+v %v", keys, err)
	}
	if all, _ := s.Keys(ctx, ""); len(all) != 3 {
		t.Fatalf("all keys: %+v", all)
	}
	if err := s.RevokeKey(ctx, b.ID, k.ID, "test"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("tenant b revoked a's key: %v", err)
	}
	if err := s.RevokeKey(ctx, a.ID, k.ID, "admin"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, token); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("revoked key authenticated: %v", err)
	}
	if err := s.RevokeKey(ctx, a.ID, k.ID, "admin"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("revoked twice: %v", err)
	}
	log, _ := s.AuditLog(ctx, a.ID, 0, 100)
	if last := log[len(log)-1]; last.Action != "key.revoke" || last.Object != k.ID || last.Actor != "admin" {
		t.Fatalf("revocation not audited: %+v", last)
	}
	// The bootstrap key, revoked, stays revoked when the server starts again.
	s.RevokeKey(ctx, a.ID, bk.ID, "admin")
	if _, err := s.ImportKey(ctx, a.ID, RoleAdmin, boot); !errors.Is(err, ErrRevoked) {
		t.Fatalf("revoked bootstrap key imported again: %v", err)
	}
	if _, err := s.Authenticate(ctx, boot); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("revoked bootstrap key authenticates: %v", err)
	}
}
