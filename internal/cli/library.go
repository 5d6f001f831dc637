package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mienhq/mien/cluster"
	"github.com/mienhq/mien/detect"
	"github.com/mienhq/mien/library"
)

func init() {
	register(command{name: "library", summary: "private photo library: library add DIR, people, name, merge, split, move, export, forget", run: runLibrary})
}

// librarySub is one `mien library` subcommand.
type librarySub struct {
	name, args, summary string
	run                 func(ctx context.Context, env *Env, lf *libraryFlags, fs *flag.FlagSet) error
	flags               func(fs *flag.FlagSet)
}

// libraryFlags are the flags every subcommand shares.
type libraryFlags struct {
	create    bool // only library add creates a library
	path      string
	method    string
	threshold float64
	minSize   float64
}

func (f *libraryFlags) register(fs *flag.FlagSet, env *Env) {
	fs.StringVar(&f.path, "library", filepath.Join(env.Config.Home, "library"), "directory of the library")
	fs.StringVar(&f.method, "method", cluster.AverageLinkage.String(), "grouping method: average-linkage, single-linkage or nearest-centroid")
	fs.Float64Var(&f.threshold, "threshold", cluster.DefaultThreshold, "grouping cosine threshold")
	fs.Float64Var(&f.minSize, "min-face", 0, "leave faces smaller than this many pixels out of grouping")
}

// errNoLibrary is returned when --library names no library: a mistyped
// path must not act on (or create) an empty library.
var errNoLibrary = errors.New("no library")

// exists checks that the library is there (library add may create it).
func (f *libraryFlags) exists() error {
	if f.create {
		return nil
	}
	ok, err := library.Exists(f.path)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%w at %s; create it with mien library add DIR --library %s", errNoLibrary, f.path, f.path)
	}
	return nil
}

func (f *libraryFlags) open() (*library.Library, error) {
	if err := f.exists(); err != nil {
		return nil, err
	}
	m, err := cluster.ParseMethod(f.method)
	if err != nil {
		return nil, err
	}
	return library.Open(f.path, library.Options{Cluster: cluster.Options{Method: m, Threshold: float32(f.threshold)}, MinFaceSize: float32(f.minSize)})
}

var librarySubs []librarySub

func init() {
	librarySubs = []librarySub{
		{name: "add", args: "DIR", summary: "index the photos under DIR (recursive, resumable) and group the new faces", run: libraryAdd, flags: addFlags},
		{name: "people", args: "", summary: "list people, most faces first", run: libraryPeople},
		{name: "show", args: "PERSON", summary: "list a person's faces (id, photo, box)", run: libraryShow},
		{name: "name", args: "PERSON NAME", summary: "name a person (and confirm its faces)", run: libraryName},
		{name: "merge", args: "INTO FROM...", summary: "merge people into one", run: libraryMerge},
		{name: "split", args: "PERSON FACE...", summary: "move the given faces of a person into a new person", run: librarySplit},
		{name: "move", args: "FACE PERSON|new", summary: "move a face to another person (or a new one)", run: libraryMove},
		{name: "not", args: "FACE", summary: "\"not this person\": take a face out of its person", run: libraryNot},
		{name: "ignore", args: "FACE", summary: "leave a face out of every person (--not-a-face for a false detection)", run: libraryIgnore, flags: ignoreFlags},
		{name: "unignore", args: "FACE", summary: "return an ignored face to grouping", run: libraryUnignore},
		{name: "regroup", args: "", summary: "re-cluster every face from scratch, keeping the curation", run: libraryRegroup},
		{name: "export", args: "", summary: "export: --format json (stdout or --out FILE), xmp (--out DIR or --beside), report (--out DIR)", run: libraryExport, flags: exportFlags},
		{name: "eval", args: "", summary: "score the grouping against folder names (LFW layout NAME/NAME_0001.jpg)", run: libraryEval},
		{name: "expire", args: "[DURATION]", summary: "erase unnamed, unconfirmed people older than DURATION (default: the library's expiry)", run: libraryExpire},
		{name: "set-expiry", args: "DURATION", summary: "keep unnamed, unconfirmed people this long after their newest photo (e.g. 30d; 0 = forever); add applies it", run: librarySetExpiry},
		{name: "remove", args: "PHOTO...", summary: "erase photos from the library (a file, or a photo's SHA-256): faces, templates, curation; add skips the file afterwards", run: libraryRemove},
		{name: "forget", args: "", summary: "delete everything the library holds (templates, boxes, names)", run: libraryForget},
	}
}

func runLibrary(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		libraryUsage(env)
		return nil
	}
	for _, s := range librarySubs {
		if s.name != args[0] {
			continue
		}
		fs := newFlags(env, "library "+s.name, s.args+" [flags]", s.summary)
		lf := libraryFlags{create: s.name == "add"}
		lf.register(fs, env)
		if s.flags != nil {
			s.flags(fs)
		}
		if err := parseFlags(fs, args[1:]); err != nil {
			return err
		}
		if s.args == "" {
			if err := needArgs(fs, 0, false); err != nil {
				return err
			}
		}
		return s.run(ctx, env, &lf, fs)
	}
	libraryUsage(env)
	if strings.HasPrefix(args[0], "-") {
		return usageError{fmt.Errorf("library: name the subcommand first: mien library SUBCOMMAND [args] [flags]")}
	}
	return usageError{fmt.Errorf("library: unknown subcommand %q", args[0])}
}

func libraryUsage(env *Env) {
	fmt.Fprintln(env.Stdout, "Usage: mien library SUBCOMMAND [args] [flags]\n\nA private photo library: its templates live only in its own directory (--library).\n\nSubcommands:")
	for _, s := range librarySubs {
		fmt.Fprintf(env.Stdout, "  %-9s %-16s %s\n", s.name, s.args, s.summary)
	}
}

// needArgs checks the number of positional arguments.
func needArgs(fs *flag.FlagSet, n int, variadic bool) error {
	if fs.NArg() < n || (!variadic && fs.NArg() > n) {
		fs.Usage()
		return usageError{fmt.Errorf("%s: wrong number of arguments (%d given)", fs.Name(), fs.NArg())}
	}
	return nil
}

var (
	addEngine engineFlags
	addJSON   *string
	addFlip   *bool
	addScale  *float64
	addProf   *string
	addFace   *float64
)

func addFlags(fs *flag.FlagSet) {
	addEngine = engineFlags{}
	addEngine.register(fs)
	addJSON = fs.String("json", "", "also write the report as JSON to this file")
	addFlip = fs.Bool("flip", false, "add mirrored-crop embeddings (measured on LFW: no better grouping at twice the recognizer cost)")
	addProf = fs.String("cpuprofile", "", "write a Go CPU profile of the whole run to this file (docs/benchmarks.md)")
	addFace = fs.Float64("smallest-face", float64(library.SmallestFace), "index only faces at least this many pixels high and wide (shorter side of the box), detecting at the size such a face needs: half size for LFW's 250x250 photos (0 = every face the detector finds, at its full size; docs/library.md)")
	addScale = fs.Float64("detect-scale", 1, "detect faces on photos scaled by this factor, 0.25-1 (0.5: less detection work, faces under about 20 px are missed; docs/benchmarks.md)")
}

func libraryAdd(ctx context.Context, env *Env, lf *libraryFlags, fs *flag.FlagSet) error {
	if err := needArgs(fs, 1, false); err != nil {
		return err
	}
	root, err := addRoot(fs.Arg(0))
	if err != nil {
		return err
	}
	addEngine.noFlip = addEngine.noFlip || !*addFlip
	if !(*addScale >= 0.25 && *addScale <= 1) {
		return usageError{fmt.Errorf("library add: --detect-scale %g is outside 0.25-1", *addScale)}
	}
	if !(*addFace >= 0 && *addFace <= 1000) {
		return usageError{fmt.Errorf("library add: --smallest-face %g is outside 0-1000", *addFace)}
	}
	stop, err := startCPUProfile(*addProf)
	if err != nil {
		return err
	}
	defer stop()
	eng, err := openEngine(env, addEngine)
	if err != nil {
		return err
	}
	defer eng.Close()
	lib, err := lf.open()
	if err != nil {
		return err
	}
	defer lib.Close()
	var bar *progress
	rep, err := lib.Add(ctx, eng, root, library.AddOptions{
		Workers: env.Config.Workers + 1, // one more than sessions, to overlap reading and decoding
		Detect:  detect.Options{Scale: float32(*addScale), MinSize: float32(*addFace), FaceSize: float32(*addFace)},
		Progress: func(done, total int) {
			if bar == nil {
				bar = newProgress(env.Stderr, "indexing", total)
			}
			bar.Add(1)
		}})
	if bar != nil {
		bar.Finish()
	}
	if rep != nil {
		printAddReport(env, rep)
		if *addJSON != "" {
			b, _ := json.MarshalIndent(rep, "", "  ")
			if werr := os.WriteFile(*addJSON, append(b, '\n'), 0o644); werr != nil && err == nil {
				err = werr
			}
		}
	}
	if err == nil {
		if ex, xerr := lib.Expire(time.Now(), 0); xerr != nil {
			err = xerr
		} else if ex.Faces > 0 {
			fmt.Fprintf(env.Stdout, "expired: %d unnamed, unconfirmed people (%d face templates erased)\n", ex.People, ex.Faces)
		}
	}
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("library add: interrupted; the photos indexed so far are saved: run the same command again to continue")
	}
	return err
}

// addRoot returns the folder library add walks: DIR itself, or where it
// points when it is a symbolic link (~/Pictures often is; the walk follows
// no link, so it found no photo at all).
func addRoot(dir string) (string, error) {
	st, err := os.Lstat(dir)
	if err != nil {
		return "", fmt.Errorf("library add: %w", err)
	}
	if st.Mode()&os.ModeSymlink == 0 {
		return dir, nil
	}
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", fmt.Errorf("library add: %w", err)
	}
	return root, nil
}

func printAddReport(env *Env, r *library.AddReport) {
	w := env.Stdout
	fmt.Fprintf(w, "%s found: %d unchanged, %d duplicate content, %d newly indexed with %s; %s placed into people (%.1f s)\n",
		plural(r.Files, "image file", "image files"), r.Unchanged, r.Duplicates, r.Indexed, plural(r.Faces, "face", "faces"),
		plural(r.Grouped, "face", "faces"), r.Seconds)
	if len(r.Unreadable) > 0 {
		fmt.Fprintf(w, "%s could not be indexed:\n", plural(len(r.Unreadable), "file", "files"))
		for _, u := range r.Unreadable {
			fmt.Fprintf(w, "  %s: %s\n", u.Path, u.Reason)
		}
	}
}

func libraryPeople(ctx context.Context, env *Env, lf *libraryFlags, fs *flag.FlagSet) error {
	lib, err := lf.open()
	if err != nil {
		return err
	}
	defer lib.Close()
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PERSON\tNAME\tFACES\tPHOTOS\tCONFIRMED")
	for _, p := range lib.People() {
		fmt.Fprintf(tw, "%d\t%s\t%d\t%d\t%v\n", p.ID, p.Name, p.Faces, p.Photos, p.Confirmed)
	}
	return tw.Flush()
}

func personArg(s string) (int, error) {
	id, err := strconv.Atoi(s)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("library: %q is not a person id", s)
	}
	return id, nil
}

func libraryShow(ctx context.Context, env *Env, lf *libraryFlags, fs *flag.FlagSet) error {
	if err := needArgs(fs, 1, false); err != nil {
		return err
	}
	id, err := personArg(fs.Arg(0))
	if err != nil {
		return err
	}
	lib, err := lf.open()
	if err != nil {
		return err
	}
	defer lib.Close()
	faces := lib.Faces(id)
	if len(faces) == 0 {
		return fmt.Errorf("library: no person %d", id)
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FACE\tBOX (x y w h)\tPHOTO")
	for _, f := range faces {
		fmt.Fprintf(tw, "%s\t%.0f %.0f %.0f %.0f\t%s\n", f.ID, f.Box.Min.X, f.Box.Min.Y, f.Box.Dx(), f.Box.Dy(), f.Path)
	}
	return tw.Flush()
}

func libraryName(ctx context.Context, env *Env, lf *libraryFlags, fs *flag.FlagSet) error {
	if err := needArgs(fs, 2, true); err != nil {
		return err
	}
	id, err := personArg(fs.Arg(0))
	if err != nil {
		return err
	}
	return withLibrary(lf, func(lib *library.Library) error {
		return lib.Name(id, strings.Join(fs.Args()[1:], " "))
	})
}

func withLibrary(lf *libraryFlags, fn func(*library.Library) error) error {
	lib, err := lf.open()
	if err != nil {
		return err
	}
	err = fn(lib)
	return errors.Join(err, lib.Close())
}

func libraryMerge(ctx context.Context, env *Env, lf *libraryFlags, fs *flag.FlagSet) error {
	if err := needArgs(fs, 2, true); err != nil {
		return err
	}
	var ids []int
	for _, a := range fs.Args() {
		id, err := personArg(a)
		if err != nil {
			return err
		}
		ids = append(ids, id)
	}
	return withLibrary(lf, func(lib *library.Library) error { return lib.Merge(ids[0], ids[1:]...) })
}

func librarySplit(ctx context.Context, env *Env, lf *libraryFlags, fs *flag.FlagSet) error {
	if err := needArgs(fs, 2, true); err != nil {
		return err
	}
	id, err := personArg(fs.Arg(0))
	if err != nil {
		return err
	}
	return withLibrary(lf, func(lib *library.Library) error {
		nid, err := lib.Split(id, fs.Args()[1:])
		if err == nil {
			fmt.Fprintf(env.Stdout, "new person %d\n", nid)
		}
		return err
	})
}

func libraryMove(ctx context.Context, env *Env, lf *libraryFlags, fs *flag.FlagSet) error {
	if err := needArgs(fs, 2, false); err != nil {
		return err
	}
	to := 0
	if fs.Arg(1) != "new" {
		var err error
		if to, err = personArg(fs.Arg(1)); err != nil {
			return err
		}
	}
	return withLibrary(lf, func(lib *library.Library) error {
		pid, err := lib.Move(fs.Arg(0), to)
		if err == nil {
			fmt.Fprintf(env.Stdout, "face %s is in person %d\n", fs.Arg(0), pid)
		}
		return err
	})
}

func libraryNot(ctx context.Context, env *Env, lf *libraryFlags, fs *flag.FlagSet) error {
	if err := needArgs(fs, 1, false); err != nil {
		return err
	}
	return withLibrary(lf, func(lib *library.Library) error {
		pid, err := lib.NotPerson(fs.Arg(0))
		if err == nil {
			fmt.Fprintf(env.Stdout, "face %s is now in person %d\n", fs.Arg(0), pid)
		}
		return err
	})
}

var notAFace *bool

func ignoreFlags(fs *flag.FlagSet) {
	notAFace = fs.Bool("not-a-face", false, "the detection is not a face at all")
}

func libraryIgnore(ctx context.Context, env *Env, lf *libraryFlags, fs *flag.FlagSet) error {
	if err := needArgs(fs, 1, false); err != nil {
		return err
	}
	reason := "ignore"
	if *notAFace {
		reason = "not-a-face"
	}
	return withLibrary(lf, func(lib *library.Library) error { return lib.Ignore(fs.Arg(0), reason) })
}

func libraryUnignore(ctx context.Context, env *Env, lf *libraryFlags, fs *flag.FlagSet) error {
	if err := needArgs(fs, 1, false); err != nil {
		return err
	}
	return withLibrary(lf, func(lib *library.Library) error { return lib.Unignore(fs.Arg(0)) })
}

func libraryRegroup(ctx context.Context, env *Env, lf *libraryFlags, fs *flag.FlagSet) error {
	return withLibrary(lf, func(lib *library.Library) error {
		n, err := lib.Group(ctx, true)
		if err == nil {
			fmt.Fprintf(env.Stdout, "%s changed person; %s\n", plural(n, "face", "faces"), plural(len(lib.People()), "person", "people"))
		}
		return err
	})
}

var (
	exportFormat, exportOut *string
	exportBeside            *bool
)

func exportFlags(fs *flag.FlagSet) {
	exportFormat = fs.String("format", "json", "json, xmp or report")
	exportOut = fs.String("out", "", "output file (json) or directory (xmp, report)")
	exportBeside = fs.Bool("beside", false, "xmp: write each sidecar next to its photo (NAME.xmp)")
}

func libraryExport(ctx context.Context, env *Env, lf *libraryFlags, fs *flag.FlagSet) error {
	lib, err := lf.open()
	if err != nil {
		return err
	}
	defer lib.Close()
	switch *exportFormat {
	case "json":
		if *exportOut == "" {
			return lib.WriteJSON(env.Stdout)
		}
		f, err := os.Create(*exportOut)
		if err != nil {
			return err
		}
		return errors.Join(lib.WriteJSON(f), f.Close())
	case "xmp":
		if *exportOut == "" && !*exportBeside {
			return fmt.Errorf("library export: xmp needs --out DIR or --beside")
		}
		n, err := lib.WriteSidecars(*exportOut, *exportBeside)
		fmt.Fprintf(env.Stdout, "%s written\n", plural(n, "XMP sidecar", "XMP sidecars"))
		return err
	case "report":
		if *exportOut == "" {
			return fmt.Errorf("library export: report needs --out DIR")
		}
		if err := lib.WriteReport(ctx, *exportOut, library.ReportOptions{}); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "report written to %s\n", filepath.Join(*exportOut, "index.html"))
		return nil
	}
	return fmt.Errorf("library export: unknown format %q (json, xmp, report)", *exportFormat)
}

func libraryEval(ctx context.Context, env *Env, lf *libraryFlags, fs *flag.FlagSet) error {
	lib, err := lf.open()
	if err != nil {
		return err
	}
	defer lib.Close()
	s, missing, err := lib.ScoreFolders()
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "%s\n%d photos without a grouped labelled face (counted as people of their own)\n", s, missing)
	return nil
}

func libraryRemove(ctx context.Context, env *Env, lf *libraryFlags, fs *flag.FlagSet) error {
	if err := needArgs(fs, 1, true); err != nil {
		return err
	}
	return withLibrary(lf, func(lib *library.Library) error {
		for _, arg := range fs.Args() {
			hash := strings.ToLower(arg)
			if data, err := os.ReadFile(arg); err == nil {
				sum := sha256.Sum256(data)
				hash = hex.EncodeToString(sum[:])
			} else if len(hash) != 64 || strings.Trim(hash, "0123456789abcdef") != "" {
				return fmt.Errorf("library remove: %s is neither a readable file nor a photo's SHA-256", arg)
			}
			n, err := lib.RemovePhoto(hash)
			if err != nil {
				return fmt.Errorf("library remove %s: %w", arg, err)
			}
			fmt.Fprintf(env.Stdout, "removed %s: %s erased\n", arg, plural(n, "face", "faces"))
		}
		return nil
	})
}

func libraryForget(ctx context.Context, env *Env, lf *libraryFlags, fs *flag.FlagSet) error {
	if err := needArgs(fs, 0, false); err != nil {
		return err
	}
	if err := lf.exists(); err != nil {
		return err
	}
	if err := library.Forget(lf.path); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "forgot the library in %s: templates, boxes, grouping and names are deleted\n", lf.path)
	return nil
}

// parseAge reads a duration with an optional day suffix ("30d", "12h", "0").
func parseAge(s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseFloat(d, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("library: %q is not a number of days", s)
		}
		return time.Duration(n * 24 * float64(time.Hour)), nil
	}
	if s == "0" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("library: %q is not a duration (like 30d or 12h)", s)
	}
	return d, nil
}

func librarySetExpiry(ctx context.Context, env *Env, lf *libraryFlags, fs *flag.FlagSet) error {
	if err := needArgs(fs, 1, false); err != nil {
		return err
	}
	d, err := parseAge(fs.Arg(0))
	if err != nil {
		return err
	}
	return withLibrary(lf, func(lib *library.Library) error {
		if err := lib.SetExpiry(d); err != nil {
			return err
		}
		if d == 0 {
			fmt.Fprintln(env.Stdout, "unnamed, unconfirmed people are kept until you remove them")
		} else {
			fmt.Fprintf(env.Stdout, "unnamed, unconfirmed people expire %v after their newest photo was added\n", d)
		}
		return nil
	})
}

func libraryExpire(ctx context.Context, env *Env, lf *libraryFlags, fs *flag.FlagSet) error {
	if err := needArgs(fs, 0, true); err != nil {
		return err
	}
	var ttl time.Duration
	if fs.NArg() > 0 {
		d, err := parseAge(fs.Arg(0))
		if err != nil {
			return err
		}
		if d == 0 {
			return fmt.Errorf("library expire: give a duration above 0")
		}
		ttl = d
	}
	return withLibrary(lf, func(lib *library.Library) error {
		if ttl == 0 && lib.Expiry() == 0 {
			return fmt.Errorf("library expire: no expiry is set (mien library set-expiry 30d) and no DURATION given")
		}
		rep, err := lib.Expire(time.Now(), ttl)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "expired %d unnamed, unconfirmed people (%d face templates erased from the library)\n", rep.People, rep.Faces)
		return nil
	})
}
