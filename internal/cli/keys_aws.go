package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
)

// runAWSKeys creates or revokes access keys of the Rekognition-compatible
// endpoint: keys create-aws --tenant T [--read-only], keys revoke-aws ID.
func runAWSKeys(ctx context.Context, env *Env, args []string) error {
	create := args[0] == "create-aws"
	usage := "--tenant NAME [--read-only] [--data DIR]"
	summary := "Create an access key for the Rekognition-compatible endpoint (its secret is printed once; stored sealed under the master key)."
	if !create {
		usage, summary = "[--data DIR] ACCESS_KEY_ID", "Revoke an access key of the Rekognition-compatible endpoint."
	}
	fs := newFlags(env, "keys "+args[0], usage, summary)
	data := fs.String("data", filepath.Join(env.Config.Home, "data"), "data directory")
	tenant := fs.String("tenant", "", "tenant name, required for create-aws (created when new)")
	readOnly := fs.Bool("read-only", false, "the key may detect, compare, list, describe and search, but change nothing")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if !create && fs.NArg() != 1 {
		return usageError{errors.New("keys revoke-aws: usage: mien keys revoke-aws [--data DIR] ACCESS_KEY_ID")}
	}
	if create && (*tenant == "" || fs.NArg() != 0) {
		return usageError{errors.New("keys create-aws: --tenant NAME is required (and nothing else)")}
	}
	st, err := openKeyedStore(ctx, env, *data)
	if err != nil {
		return err
	}
	defer st.Close()
	if !create {
		id := fs.Arg(0)
		tid, err := st.AWSKeyTenant(ctx, id)
		if err != nil {
			return err
		}
		if err := st.RevokeAWSKey(ctx, tid, id, "cli"); err != nil {
			return err
		}
		fmt.Fprintf(env.Stderr, "access key %s revoked\n", id)
		return nil
	}
	t, err := st.CreateTenant(ctx, *tenant)
	if err != nil {
		return err
	}
	k, secret, err := st.CreateAWSKey(ctx, t.ID, *readOnly, "cli")
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "AWS_ACCESS_KEY_ID=%s\nAWS_SECRET_ACCESS_KEY=%s\n", k.ID, secret)
	role := "read-write"
	if k.ReadOnly {
		role = "read-only"
	}
	fmt.Fprintf(env.Stderr, "%s access key for tenant %s (%s): the secret is shown once; set AWS_ENDPOINT_URL_REKOGNITION to this server's URL\n", role, t.Name, t.ID)
	return nil
}
