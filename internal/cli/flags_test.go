package cli

import (
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestParseFlagsAnywhere(t *testing.T) {
	cases := []struct {
		args       []string
		draw, json string
		quiet      bool
		n          int
		positional []string
	}{
		{args: []string{"a.jpg", "--draw", "out.png"}, draw: "out.png", positional: []string{"a.jpg"}},
		{args: []string{"--draw", "out.png", "a.jpg"}, draw: "out.png", positional: []string{"a.jpg"}},
		{args: []string{"a.jpg", "--quiet", "b.jpg"}, quiet: true, positional: []string{"a.jpg", "b.jpg"}},
		{args: []string{"a.jpg", "--quiet=false", "b.jpg"}, positional: []string{"a.jpg", "b.jpg"}},
		{args: []string{"a", "-n", "-3", "b"}, n: -3, positional: []string{"a", "b"}},
		{args: []string{"a", "--json=x.json", "b", "-draw=o.png"}, json: "x.json", draw: "o.png", positional: []string{"a", "b"}},
		{args: []string{"1", "Kofi", "Annan", "--json", "j"}, json: "j", positional: []string{"1", "Kofi", "Annan"}},
		{args: []string{"a", "--", "--draw", "-", "b"}, positional: []string{"a", "--draw", "-", "b"}},
		{args: []string{"-", "--quiet"}, quiet: true, positional: []string{"-"}},
		{args: []string{"--draw", "--quiet"}, draw: "--quiet"}, // a value flag takes the next argument as written
		{args: nil},
	}
	for _, c := range cases {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		draw := fs.String("draw", "", "")
		js := fs.String("json", "", "")
		quiet := fs.Bool("quiet", false, "")
		n := fs.Int("n", 0, "")
		if err := parseFlags(fs, c.args); err != nil {
			t.Errorf("%q: %v", c.args, err)
			continue
		}
		if *draw != c.draw || *js != c.json || *quiet != c.quiet || *n != c.n || !slices.Equal(fs.Args(), c.positional) {
			t.Errorf("%q: draw %q json %q quiet %v n %d args %q; want %q %q %v %d %q",
				c.args, *draw, *js, *quiet, *n, fs.Args(), c.draw, c.json, c.quiet, c.n, c.positional)
		}
	}
}

func TestParseFlagsErrors(t *testing.T) {
	for _, args := range [][]string{{"a.jpg", "--bogus"}, {"a.jpg", "--draw"}, {"--n", "x"}} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		fs.String("draw", "", "")
		fs.Int("n", 0, "")
		var ue usageError
		if err := parseFlags(fs, args); !errors.As(err, &ue) {
			t.Errorf("%q: %v, want a usage error", args, err)
		}
	}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if err := parseFlags(fs, []string{"a", "-h"}); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h after an argument: %v", err)
	}
}

// TestEveryCommandAcceptsFlagsAnywhere holds every command and subcommand to
// parseFlags: a direct fs.Parse would read flags after arguments as
// arguments (mien library name 1 Kofi --library X named the person in the
// default library).
func TestEveryCommandAcceptsFlagsAnywhere(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	direct := regexp.MustCompile(`\bfs\.Parse\(|FlagSet\)\.Parse\(|\.Parse\(\s*args`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || f == "flags.go" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			if direct.MatchString(line) {
				t.Errorf("%s:%d parses flags with fs.Parse; use parseFlags(fs, args) so flags may follow arguments", f, i+1)
			}
		}
	}
}

func TestUsageErrorsExit2(t *testing.T) {
	t.Setenv("MIEN_HOME", t.TempDir())
	for _, args := range [][]string{
		{"compare", "a.jpg"},
		{"detect", "a.jpg", "--bogus"},
		{"embed"},
		{"library", "people", "extra"},
		{"library", "--library", "x", "people"},
		{"library", "bogus"},
		{"models", "install"},
	} {
		if code, _, errs := run(args...); code != exitUsage || !strings.Contains(errs, "mien:") {
			t.Errorf("%q: exit %d, %q; want 2 with a message", args, code, errs)
		}
	}
	if code, out, _ := run("--help"); code != 0 || !strings.Contains(out, "Exit status: 0 done; 1 an error") {
		t.Errorf("--help does not document the exit statuses: %q", out)
	}
}
