package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mienhq/mien/library"
)

// TestLibraryCommands runs the subcommands that need no models on an
// empty library.
func TestLibraryCommands(t *testing.T) {
	t.Setenv("MIEN_HOME", t.TempDir())
	lib := filepath.Join(t.TempDir(), "lib")
	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := Main(append([]string{"library"}, args...), &out, &errb)
		return code, out.String(), errb.String()
	}
	if code, out, _ := run("--help"); code != 0 || !strings.Contains(out, "forget") || !strings.Contains(out, "split") {
		t.Errorf("help: %d %q", code, out)
	}
	for _, args := range [][]string{{"people", "--library", lib}, {"name", "1", "Kofi", "Annan", "--library", lib},
		{"export", "--library", lib}, {"forget", "--library", lib}, {"name", "1", "Kofi", "Annan"}} {
		if code, _, errs := run(args...); code != 1 || !strings.Contains(errs, "no library at") || !strings.Contains(errs, "mien library add") {
			t.Errorf("%q on a missing library: %d %q", args, code, errs)
		}
	}
	if _, err := os.Stat(lib); !os.IsNotExist(err) {
		t.Fatalf("a command other than add created the library: %v", err)
	}
	if _, err := os.Stat(filepath.Join(os.Getenv("MIEN_HOME"), "library")); !os.IsNotExist(err) {
		t.Fatalf("a command created the default library: %v", err)
	}
	l, err := library.Open(lib, library.Options{})
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	if code, out, _ := run("people", "--library", lib); code != 0 || !strings.HasPrefix(out, "PERSON") {
		t.Errorf("people: %d %q", code, out)
	}
	if code, out, _ := run("people", "--library="+lib); code != 0 || !strings.HasPrefix(out, "PERSON") {
		t.Errorf("people --library=: %d %q", code, out)
	}
	if code, out, _ := run("export", "--library", lib, "--format", "json"); code != 0 || !strings.Contains(out, `"photos"`) {
		t.Errorf("export json: %d %q", code, out)
	}
	if code, _, errs := run("export", "--library", lib, "--format", "xmp"); code == 0 || !strings.Contains(errs, "--out") {
		t.Errorf("export xmp without --out: %d %q", code, errs)
	}
	if code, _, errs := run("name", "--library", lib, "7", "Ada"); code == 0 || !strings.Contains(errs, "not found") {
		t.Errorf("naming a missing person: %d %q", code, errs)
	}
	if code, _, errs := run("name", "7", "Ada", "Lovelace", "--library", lib); code == 0 || !strings.Contains(errs, "not found") {
		t.Errorf("naming a missing person, flag last: %d %q", code, errs)
	}
	if code, _, errs := run("remove", "--library", lib, strings.Repeat("ab", 32)); code == 0 || !strings.Contains(errs, "not found") {
		t.Errorf("removing a photo the library does not hold: %d %q", code, errs)
	}
	if code, _, errs := run("remove", "--library", lib, "no-such-file.jpg"); code == 0 || !strings.Contains(errs, "neither a readable file") {
		t.Errorf("removing a missing file: %d %q", code, errs)
	}
	if code, _, _ := run("bogus"); code == 0 {
		t.Error("unknown subcommand accepted")
	}
	if code, _, errs := run("forget", "--library", lib); code != 0 {
		t.Errorf("forget: %d %q", code, errs)
	}
	if _, err := os.Stat(lib); !os.IsNotExist(err) {
		t.Error("forget left the library directory")
	}
}

// TestLibraryAddSmallestFaceRange: an out-of-range --smallest-face is a
// usage error that creates no library.
func TestLibraryAddSmallestFaceRange(t *testing.T) {
	t.Setenv("MIEN_HOME", t.TempDir())
	lib := filepath.Join(t.TempDir(), "lib")
	for _, v := range []string{"-1", "5000", "NaN"} {
		var out, errb bytes.Buffer
		code := Main([]string{"library", "add", "--library", lib, "--smallest-face", v, t.TempDir()}, &out, &errb)
		if code != 2 || !strings.Contains(errb.String(), "--smallest-face") {
			t.Errorf("--smallest-face %s: %d %q", v, code, errb.String())
		}
	}
	if _, err := os.Stat(lib); !os.IsNotExist(err) {
		t.Errorf("a refused add created the library: %v", err)
	}
}
