package cli

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mienhq/mien/internal/store"
)

func TestKeysCreateAndRevokeAWS(t *testing.T) {
	home := t.TempDir()
	t.Setenv("MIEN_HOME", home)
	t.Setenv("MIEN_MASTER_KEY", strings.Repeat("ab", 32))
	data := filepath.Join(home, "data")
	code, out, errs := run("keys", "create-aws", "--data", data, "--tenant", "acme", "--read-only")
	if code != 0 || !strings.Contains(errs, "read-only") {
		t.Fatalf("create-aws: %d %q %q", code, out, errs)
	}
	var id, secret string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		k, v, _ := strings.Cut(l, "=")
		switch k {
		case "AWS_ACCESS_KEY_ID":
			id = v
		case "AWS_SECRET_ACCESS_KEY":
			secret = v
		}
	}
	if len(id) != 20 || len(secret) != 40 {
		t.Fatalf("printed %q", out)
	}
	check := func() error {
		st, err := store.Open(context.Background(), filepath.Join(data, "mien.db"), store.Options{MasterKey: []byte(strings.Repeat("\xab", 32))})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		k, got, err := st.AWSCredentials(context.Background(), id)
		if err == nil && (got != secret || !k.ReadOnly) {
			t.Fatalf("stored key %+v", k)
		}
		return err
	}
	if err := check(); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := run("keys", "revoke-aws", "--data", data, id); code != 0 {
		t.Fatalf("revoke-aws: %d %q", code, errs)
	}
	if err := check(); !errors.Is(err, store.ErrUnauthorized) {
		t.Fatalf("after revocation: %v", err)
	}
	if code, _, _ := run("keys", "revoke-aws", "--data", data, "MIENNOSUCHKEY0000000"); code == 0 {
		t.Fatal("revoking an unknown key succeeded")
	}
}
