package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/mienhq/mien/internal/store"
)

func init() {
	register(command{name: "keys", summary: "API keys: keys create --tenant T --role admin|readwrite|read | list [--tenant T] | revoke ID; keys create-aws --tenant T [--read-only] | revoke-aws ID (Rekognition endpoint)", run: runKeys})
	register(command{name: "audit", summary: "check the audit log's hash chain and its anchored head: audit verify", run: runAudit})
}

const keysUsage = "keys: usage: mien keys create --tenant NAME --role admin|readwrite|read [--data DIR], mien keys list [--tenant NAME] [--json] [--data DIR], " +
	"mien keys revoke [--data DIR] KEY_ID, mien keys create-aws --tenant NAME [--read-only], or mien keys revoke-aws ACCESS_KEY_ID"

func runKeys(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 {
		return usageError{errors.New(keysUsage)}
	}
	switch args[0] {
	case "create":
		return runKeysCreate(ctx, env, args[1:])
	case "list":
		return runKeysList(ctx, env, args[1:])
	case "revoke":
		return runKeysRevoke(ctx, env, args[1:])
	case "create-aws", "revoke-aws":
		return runAWSKeys(ctx, env, args)
	}
	return usageError{errors.New(keysUsage)}
}

// runKeysCreate makes an API key. The tenant and the role are required: a
// bare `keys create` once minted an admin key for tenant "default".
func runKeysCreate(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "keys create", "--tenant NAME --role ROLE [--data DIR]", "Create an API key (printed once; stored hashed).")
	data := fs.String("data", filepath.Join(env.Config.Home, "data"), "data directory")
	tenant := fs.String("tenant", "", "tenant name, required (created when new)")
	role := fs.String("role", "", "admin, readwrite or read, required")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *tenant == "" || *role == "" || fs.NArg() != 0 {
		return usageError{errors.New("keys create: --tenant NAME and --role admin|readwrite|read are required (and nothing else)")}
	}
	switch *role {
	case store.RoleAdmin, store.RoleReadWrite, store.RoleRead:
	default:
		return fmt.Errorf("keys create: unknown role %q (admin, readwrite, read)", *role)
	}
	st, err := openKeyedStore(ctx, env, *data)
	if err != nil {
		return err
	}
	defer st.Close()
	t, err := st.CreateTenant(ctx, *tenant)
	if err != nil {
		return err
	}
	token, k, err := st.CreateKey(ctx, t.ID, *role, "cli")
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "%s\n", token)
	fmt.Fprintf(env.Stderr, "key %s for tenant %s (%s), role %s: shown once, stored only as a hash\n", k.ID, t.Name, t.ID, k.Role)
	return nil
}

// runKeysList prints the API keys, never their secrets.
func runKeysList(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "keys list", "[--tenant NAME] [--json] [--data DIR]", "List API keys (id, tenant, role, created, last used, revoked); secrets are never shown.")
	data := fs.String("data", filepath.Join(env.Config.Home, "data"), "data directory")
	tenant := fs.String("tenant", "", "only this tenant's keys (default: every tenant's)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageError{errors.New("keys list: takes no arguments (--tenant NAME selects a tenant)")}
	}
	st, err := openKeyedStore(ctx, env, *data)
	if err != nil {
		return err
	}
	defer st.Close()
	tid := ""
	if *tenant != "" {
		t, err := st.TenantByName(ctx, *tenant)
		if err != nil {
			return err
		}
		tid = t.ID
	}
	keys, err := st.Keys(ctx, tid)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"keys": keysJSON(keys)})
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTENANT\tROLE\tCREATED\tLAST USED\tREVOKED")
	for _, k := range keys {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Tenant, k.Role, unixDate(k.CreatedAt), unixDate(k.LastUsedAt), unixDate(k.RevokedAt))
	}
	return tw.Flush()
}

func keysJSON(keys []store.KeyInfo) []map[string]any {
	out := make([]map[string]any, len(keys))
	opt := func(v int64) any {
		if v == 0 {
			return nil
		}
		return v
	}
	for i, k := range keys {
		out[i] = map[string]any{"id": k.ID, "tenant": k.Tenant, "tenant_id": k.TenantID, "role": k.Role,
			"created_at": k.CreatedAt, "last_used_at": opt(k.LastUsedAt), "revoked_at": opt(k.RevokedAt)}
	}
	return out
}

func unixDate(v int64) string {
	if v == 0 {
		return "-"
	}
	return time.Unix(v, 0).UTC().Format("2006-01-02 15:04Z")
}

// runKeysRevoke revokes an API key of any tenant (the operator holds the
// master key); it is audited, and refused from the next request on.
func runKeysRevoke(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "keys revoke", "[--data DIR] KEY_ID", "Revoke an API key: requests with it are refused from then on.")
	data := fs.String("data", filepath.Join(env.Config.Home, "data"), "data directory")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{errors.New("keys revoke: usage: mien keys revoke [--data DIR] KEY_ID (ids: mien keys list)")}
	}
	st, err := openKeyedStore(ctx, env, *data)
	if err != nil {
		return err
	}
	defer st.Close()
	id := fs.Arg(0)
	tid, err := st.KeyTenant(ctx, id)
	if err != nil {
		return err
	}
	if err := st.RevokeKey(ctx, tid, id, "cli"); err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "key %s revoked\n", id)
	return nil
}

func runAudit(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 || args[0] != "verify" {
		return usageError{errors.New("audit: usage: mien audit verify [--data DIR]")}
	}
	fs := newFlags(env, "audit verify", "[--data DIR]",
		"Check the audit log's hash chain and its anchored head (signed under a key derived from the master key); exit 1 when it is broken.")
	data := fs.String("data", filepath.Join(env.Config.Home, "data"), "data directory")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	st, err := openKeyedStore(ctx, env, *data)
	if err != nil {
		return err
	}
	defer st.Close()
	n, head, err := st.VerifyAuditHead(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "audit log intact: %d entries, head %s\n", n, head)
	fmt.Fprintln(env.Stderr, "(keep the head's hash elsewhere: only a copy kept off this machine shows a rollback of the whole database)")
	return nil
}
