package server_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/mienhq/mien/internal/server"
	"github.com/mienhq/mien/internal/store"
	"github.com/mienhq/mien/internal/testenv"
)

// TestWebUILive drives the live pages (driver monitor, face effects) in
// headless chromium with its fake webcam: web/e2e/ui-live.mjs. The webcam
// plays clips made from real photos by scripts/face-clips.sh (eyes open;
// eyes open, closed 3 s, open). The server is real, with real models, and
// the recognizer never runs while the pages do.
func TestWebUILive(t *testing.T) {
	browser, node, dir := e2eTools(t)
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		testenv.E2E(t, "ffmpeg not found")
	}
	shared := filepath.Dir(testenv.Shared(t, "fixtures"))
	eng := testenv.Engine(t, "standard")
	e := serve(t, eng, store.Options{}, server.Options{})
	clips := t.TempDir()
	cmd := exec.Command("bash", "../../scripts/face-clips.sh", clips, "driver")
	cmd.Env = append(os.Environ(), "SHARED="+shared)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("face-clips.sh: %v\n%s", err, out)
	}
	shots := os.Getenv("MIEN_E2E_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	}
	runs := eng.RecognizerRuns()
	cmd = exec.Command(node, filepath.Join(dir, "ui-live.mjs"))
	cmd.Env = append(os.Environ(), "MIEN_URL="+e.url, "MIEN_KEY="+e.admin, "CHROMIUM="+browser,
		"CAMERA_AWAKE="+filepath.Join(clips, "awake.y4m"), "CAMERA_DROWSY="+filepath.Join(clips, "drowsy.y4m"), "SCREENSHOTS="+shots)
	out, err := cmd.CombinedOutput()
	t.Logf("web/e2e/ui-live.mjs:\n%s", out)
	if err != nil {
		t.Fatalf("live pages end-to-end test failed: %v", err)
	}
	if got := eng.RecognizerRuns(); got != runs {
		t.Fatalf("the recognizer ran %d times while the live pages ran; it must never run", got-runs)
	}
}
