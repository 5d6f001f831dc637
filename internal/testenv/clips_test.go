package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestLivenessClipsCurrent: clips without the generator's key, or with
// another generator's (the clips cached before the generator changed), are
// not used; clips with this checkout's key are.
func TestLivenessClipsCurrent(t *testing.T) {
	root, dir := Root(t), t.TempDir()
	if err := clipsCurrent(root, dir); err == nil || !strings.Contains(err.Error(), "not made and checked") {
		t.Errorf("no inputs.sha256: %v", err)
	}
	key, err := exec.Command("bash", filepath.Join(root, "scripts", "liveness-clips.sh"), "--key").Output()
	if err != nil || len(strings.TrimSpace(string(key))) != 16 {
		t.Fatalf("scripts/liveness-clips.sh --key: %q %v", key, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "inputs.sha256"), []byte("0123456789abcdef\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := clipsCurrent(root, dir); err == nil || !strings.Contains(err.Error(), "another generator") {
		t.Errorf("another generator's key: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "inputs.sha256"), key, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := clipsCurrent(root, dir); err != nil {
		t.Errorf("this generator's key: %v", err)
	}
}
