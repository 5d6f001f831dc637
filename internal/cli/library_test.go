package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
	if code, out, _ := run("people", "--library", lib); code != 0 || !strings.HasPrefix(out, "PERSON") {
		t.Errorf("people: %d %q", code, out)
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
