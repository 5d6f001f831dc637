package cli

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// asMien makes the test binary run as the mien command (cmd/mien/main.go is
// this one line) when it is started with this variable set: tests run the
// real command line in a process of its own, with its own argv, as a user
// does.
const asMien = "MIEN_TEST_RUN_AS_MIEN"

func TestMain(m *testing.M) {
	if os.Getenv(asMien) == "1" {
		os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr))
	}
	code := m.Run()
	if faceClipsDir != "" {
		os.RemoveAll(faceClipsDir)
	}
	os.Exit(code)
}

// mienDir returns a directory holding an executable named mien that runs
// the command line (the test binary, run as mien).
func mienDir(t *testing.T) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.Symlink(exe, filepath.Join(dir, "mien")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// result is what a mien process did.
type result struct {
	code           int
	stdout, stderr string
}

// runMien runs mien in its own process, in dir, with extra environment.
func runMien(t *testing.T, bin, dir string, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(filepath.Join(bin, "mien"), args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), asMien+"=1"), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatalf("running mien: %v", err)
	}
	return result{cmd.ProcessState.ExitCode(), out.String(), errb.String()}
}
