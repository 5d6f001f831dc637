// Package cli implements the mien command line.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"syscall"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/imageio"
	"github.com/mienhq/mien/internal/config"
	"github.com/mienhq/mien/models"
	"github.com/mienhq/mien/onnx"
)

// command is one subcommand.
type command struct {
	name, usage, summary string
	run                  func(ctx context.Context, env *Env, args []string) error
}

// Env is what a command runs with.
type Env struct {
	Stdout, Stderr io.Writer
	Config         config.Config
}

var commands []command

func register(c command) { commands = append(commands, c) }

// exitError carries a specific exit status (e.g. compare's "different person").
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// usageError is a command line mien cannot run as given: a wrong number of
// arguments, an unknown flag or subcommand (exit status 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// Exit statuses, the same for every command (printed by mien --help).
const (
	exitOK     = 0 // done; detect and embed: every file was read
	exitFailed = 1 // an error; detect and embed: at least one file could not be read (the others are still printed)
	exitUsage  = 2 // the command line is wrong (unknown command, flag or subcommand, wrong number of arguments)
	exitDiff   = 3 // compare: the faces are of different people
	exitAlert  = 4 // drive: the driver monitor raised at least one alert
)

const exitHelp = `Exit status: 0 done; 1 an error (detect and embed: at least one file could
not be read: each is named on stderr with the reason, and the JSON still has
every file); 2 the command line is wrong; 3 compare: different people;
4 drive: at least one alert was raised.
`

// Main runs the command line and returns the process exit status.
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		return 0
	}
	cfg, err := config.FromEnv()
	if err != nil {
		fmt.Fprintln(stderr, "mien:", err)
		return exitUsage
	}
	env := &Env{Stdout: stdout, Stderr: stderr, Config: cfg}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	name, rest := args[0], args[1:]
	for _, c := range commands {
		if c.name == name {
			return exitStatus(stderr, c.run(ctx, env, rest))
		}
	}
	fmt.Fprintf(stderr, "mien: unknown command %q (run 'mien --help')\n", name)
	return exitUsage
}

// exitStatus prints a command's error and returns the process exit status.
func exitStatus(stderr io.Writer, err error) int {
	var ee exitError
	var ue usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, &ue):
		fmt.Fprintln(stderr, "mien:", err)
		return exitUsage
	}
	fmt.Fprintln(stderr, "mien:", err)
	return exitFailed
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "mien: self-hosted, consent-based face recognition.")
	fmt.Fprintln(w, "\nUsage: mien COMMAND [flags] [args]\n\nCommands:")
	sorted := append([]command(nil), commands...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].name < sorted[j].name })
	for _, c := range sorted {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'mien COMMAND -h' for a command's flags. Flags may come before or after the")
	fmt.Fprintln(w, "arguments; \"--\" ends the flags (mien detect -- -photo.jpg).")
	fmt.Fprintln(w)
	fmt.Fprint(w, exitHelp)
	fmt.Fprintln(w)
	fmt.Fprint(w, config.Help())
}

// newFlags returns a flag set whose -h prints the command's usage.
func newFlags(env *Env, c string, usageLine, summary string) *flag.FlagSet {
	fs := flag.NewFlagSet(c, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(env.Stderr, "Usage: mien %s %s\n\n%s\n\nFlags (before or after the arguments; -- ends them):\n", c, usageLine, summary)
		fs.PrintDefaults()
		fmt.Fprintf(env.Stderr, "\n%s", exitHelp)
	}
	return fs
}

// packDir returns the directory of the pack the engine should use.
func packDir(cfg config.Config) (string, error) {
	if cfg.Pack != "" {
		return filepath.Join(cfg.ModelsDir, cfg.Pack), nil
	}
	for _, name := range []string{"standard", "default"} {
		d := filepath.Join(cfg.ModelsDir, name)
		if _, err := os.Stat(filepath.Join(d, models.ManifestFile)); err == nil {
			return d, nil
		}
	}
	return "", fmt.Errorf("no model pack is installed in %s.\n  Install one with:  mien models install default\n  (or, from a local mirror of the standard pack:  mien models install standard --from DIR)", cfg.ModelsDir)
}

// engineFlags are the flags every engine-using command shares.
type engineFlags struct {
	pack     string
	detector string
	refine   bool
	workers  int
	flip     bool
	noFlip   bool
	liveness float64 // liveness threshold override (eval liveness --threshold)
	// noRecognizer opens no recognizer (geometry-only commands: effects)
	noRecognizer bool
}

func (f *engineFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.pack, "pack", "", "model pack to use (default: $MIEN_PACK, else standard if installed, else default)")
	fs.StringVar(&f.detector, "detector", "", "detector model id to use (default: the pack's preferred one; see mien models list)")
	fs.BoolVar(&f.refine, "refine-landmarks", false, "take alignment points from the 68-point landmark model even when the detector gives five")
	fs.IntVar(&f.workers, "workers", 0, "images processed at once (default: $MIEN_WORKERS or the number of CPUs)")
	fs.BoolVar(&f.noFlip, "no-flip", false, "disable mirrored-crop test-time augmentation")
}

// openEngine opens the engine with the configuration and the flags.
// inFlight is the number of images a command keeps in flight: --workers,
// else $MIEN_WORKERS or the number of CPUs.
func (f engineFlags) inFlight(env *Env) int {
	if f.workers > 0 {
		return f.workers
	}
	return max(1, env.Config.Workers)
}

func openEngine(env *Env, f engineFlags) (*mien.Engine, error) {
	return openEngineFor(env, f, false)
}

// openEngineFor opens the engine, with the detector alone when detectOnly
// (counting: no recognizer loaded, no template possible).
func openEngineFor(env *Env, f engineFlags, detectOnly bool) (*mien.Engine, error) {
	cfg := env.Config
	if f.pack != "" {
		cfg.Pack = f.pack
	}
	if f.workers > 0 {
		cfg.Workers = f.workers
	}
	if f.noFlip {
		cfg.Flip = false
	}
	dir, err := packDir(cfg)
	if err != nil {
		return nil, err
	}
	pack, err := models.Load(dir)
	if errors.Is(err, models.ErrNotInstalled) {
		name := filepath.Base(dir)
		return nil, fmt.Errorf("model pack %q is not installed in %s.\n  Install it with:  mien models install %s", name, cfg.ModelsDir, name)
	}
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(cfg.ORTLib); err != nil {
		return nil, fmt.Errorf("ONNX Runtime library not found at %s (set MIEN_ORT_LIB, or run scripts/setup.sh)", cfg.ORTLib)
	}
	return mien.Open(pack, mien.Options{
		Runtime:           onnx.RuntimeOptions{LibraryPath: cfg.ORTLib},
		Workers:           cfg.Workers,
		Flip:              cfg.Flip,
		Detector:          f.detector,
		RefineLandmarks:   f.refine,
		DetectMaxSide:     cfg.DetectMaxSide,
		Image:             imageio.Options{MaxPixels: cfg.MaxPixels},
		LivenessThreshold: f.liveness,
		DetectOnly:        detectOnly,
		NoRecognizer:      f.noRecognizer,
	})
}

// readInput reads a file, or standard input for "-".
func readInput(path string) ([]byte, error) {
	if path == "-" {
		return io.ReadAll(io.LimitReader(os.Stdin, 64<<20))
	}
	return os.ReadFile(path)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
