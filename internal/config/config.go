// Package config is the one place mien reads its environment. Every
// variable is listed in Vars, which `mien --help` prints.
package config

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
)

// Var documents one environment variable.
type Var struct {
	Name, Default, Help string
}

// Vars is every environment variable mien reads.
var Vars = []Var{
	{"MIEN_HOME", "$XDG_DATA_HOME/mien or ~/.local/share/mien", "where mien keeps models, the runtime library and data"},
	{"MIEN_MODELS", "$MIEN_HOME/models", "directory holding installed model packs"},
	{"MIEN_ORT_LIB", "$MIEN_HOME/lib/libonnxruntime.so.1", "path of ONNX Runtime's shared library"},
	{"MIEN_PACK", "standard if installed, else default", "model pack the engine uses"},
	{"MIEN_WORKERS", "number of CPUs", "images processed at once (ONNX sessions per model; images in flight per stage of `embed`, `detect`, `eval`, `library add`; `--workers` overrides)"},
	{"MIEN_FLIP", "true", "add mirrored-crop embeddings (slightly more accurate, about 2x recognizer cost)"},
	{"MIEN_DETECT_MAX_SIDE", "640", "longer side images are scaled down to before detection"},
	{"MIEN_MAX_PIXELS", "40000000", "largest image (pixels) accepted"},
	{"MIEN_MASTER_KEY", "(none)", "serve: 64 hex digits (32 bytes) wrapping every collection's data key"},
	{"MIEN_MASTER_KEY_FILE", "(none)", "serve: file holding the master key (64 hex digits), instead of MIEN_MASTER_KEY"},
	{"MIEN_BOOTSTRAP_ADMIN_KEY", "(none)", "serve: an admin API key (>= 24 characters) to create at start-up if absent"},
	{"MIEN_BOOTSTRAP_TENANT", "default", "serve: tenant the bootstrap admin key belongs to"},
	{"MIEN_ADDR", "127.0.0.1:8080", "serve: address to listen on (overrides the config file)"},
	{"MIEN_DATA", "$MIEN_HOME/data", "serve: data directory (overrides the config file)"},
}

// Config is the resolved environment.
type Config struct {
	Home            string
	ModelsDir       string
	ORTLib          string
	Pack            string // "" = choose standard if installed, else default
	Workers         int
	Flip            bool
	DetectMaxSide   int
	MaxPixels       int
	MasterKey       string
	MasterKeyFile   string
	BootstrapKey    string
	BootstrapTenant string
}

// FromEnv resolves the configuration from the environment.
func FromEnv() (Config, error) {
	return fromLookup(os.LookupEnv)
}

func fromLookup(look func(string) (string, bool)) (Config, error) {
	get := func(k string) string { v, _ := look(k); return strings.TrimSpace(v) }
	c := Config{Home: get("MIEN_HOME"), Workers: runtime.NumCPU(), Flip: true, DetectMaxSide: 640, MaxPixels: 40_000_000}
	if c.Home == "" {
		base := get("XDG_DATA_HOME")
		if base == "" {
			h, err := os.UserHomeDir()
			if err != nil {
				return c, fmt.Errorf("config: cannot find a home directory; set MIEN_HOME")
			}
			base = filepath.Join(h, ".local", "share")
		}
		c.Home = filepath.Join(base, "mien")
	}
	c.ModelsDir = or(get("MIEN_MODELS"), filepath.Join(c.Home, "models"))
	c.ORTLib = or(get("MIEN_ORT_LIB"), filepath.Join(c.Home, "lib", "libonnxruntime.so.1"))
	c.Pack = get("MIEN_PACK")
	c.MasterKey, c.MasterKeyFile = get("MIEN_MASTER_KEY"), get("MIEN_MASTER_KEY_FILE")
	c.BootstrapKey, c.BootstrapTenant = get("MIEN_BOOTSTRAP_ADMIN_KEY"), or(get("MIEN_BOOTSTRAP_TENANT"), "default")
	var err error
	if c.Workers, err = intVar(get, "MIEN_WORKERS", c.Workers); err != nil {
		return c, err
	}
	if c.DetectMaxSide, err = intVar(get, "MIEN_DETECT_MAX_SIDE", c.DetectMaxSide); err != nil {
		return c, err
	}
	if c.MaxPixels, err = intVar(get, "MIEN_MAX_PIXELS", c.MaxPixels); err != nil {
		return c, err
	}
	if v := get("MIEN_FLIP"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return c, fmt.Errorf("config: MIEN_FLIP=%q is not true or false", v)
		}
		c.Flip = b
	}
	return c, nil
}

func intVar(get func(string) string, k string, def int) (int, error) {
	v := get(k)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("config: %s=%q is not a positive integer", k, v)
	}
	return n, nil
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Help returns the environment table for --help.
func Help() string {
	var b strings.Builder
	b.WriteString("Environment:\n")
	for _, v := range Vars {
		fmt.Fprintf(&b, "  %-22s %s (default: %s)\n", v.Name, v.Help, v.Default)
	}
	return b.String()
}
