package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// LivenessClips returns the camera clips named by $MIEN_LIVENESS_CLIPS
// (scripts/liveness-clips.sh: a pass made of real LFW photos of one person,
// a print and a screen replay, as Y4M and JPEG frames). Without them, or
// when they were made by another generator than this checkout's (their
// inputs.sha256 is not `scripts/liveness-clips.sh --key`), it skips, or
// fails with MIEN_REQUIRE_E2E=1 (CI): scripts/test.sh makes the clips
// whenever ../shared holds LFW, so their absence there is a defect, not a
// reason to skip.
func LivenessClips(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("MIEN_LIVENESS_CLIPS")
	if dir == "" {
		Shared(t, "data/lfw/images")
		E2E(t, "MIEN_LIVENESS_CLIPS is not set: make the clips with scripts/liveness-clips.sh DIR (scripts/test.sh does)")
	}
	if err := clipsCurrent(Root(t), dir); err != nil {
		E2E(t, err.Error())
	}
	return dir
}

func clipsCurrent(root, dir string) error {
	out, err := exec.Command("bash", filepath.Join(root, "scripts", "liveness-clips.sh"), "--key").Output()
	if err != nil {
		return fmt.Errorf("scripts/liveness-clips.sh --key: %w", err)
	}
	want := strings.TrimSpace(string(out))
	got, err := os.ReadFile(filepath.Join(dir, "inputs.sha256"))
	if err != nil {
		return fmt.Errorf("the clips in %s were not made and checked by scripts/liveness-clips.sh (%w)", dir, err)
	}
	if g := strings.TrimSpace(string(got)); g != want {
		return fmt.Errorf("the clips in %s were made by another generator (key %s, this checkout's %s): make them again with scripts/liveness-clips.sh", dir, g, want)
	}
	return nil
}
