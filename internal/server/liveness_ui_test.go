package server_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mienhq/mien/internal/server"
	"github.com/mienhq/mien/internal/store"
	"github.com/mienhq/mien/internal/testenv"
)

// TestWebLiveness drives the liveness page (web/e2e/ui-liveness.mjs) in
// headless chromium whose fake camera plays the clips of
// $MIEN_LIVENESS_CLIPS (scripts/liveness-clips.sh: real LFW photos of one
// person), turned into Y4M by ffmpeg: the pass is live and its token logs
// the person in; the printed photo and the screen replay are not live. The
// server is real, with real models; the sessions ask the clips' challenges.
func TestWebLiveness(t *testing.T) {
	cs := livenessClips(t)
	browser, node, dir := e2eTools(t)
	ff, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("ffmpeg is not installed")
	}
	e := serve(t, testenv.Engine(t, "standard"), store.Options{}, server.Options{MaxBody: 2 << 20,
		Liveness: server.LivenessOptions{Challenges: cs.Challenges}})
	e.enrolClipPerson(e.collection(e.admin, "staff"), cs.Person)
	tmp := t.TempDir()
	want := map[string]string{"pass": "live", "print": "not_live", "screen": "not_live"}
	var clips []string
	for _, name := range []string{"pass", "print", "screen"} {
		y4m := filepath.Join(tmp, name+".y4m")
		// The clips' frames come at 10 a second, each pose held for 0.2-0.8 s;
		// the page sends a frame when the server has measured the last
		// (2-4 a second on a loaded 2-core machine), so the clip is played
		// at a third of its speed, and without most of its lead-in (the page
		// starts the session as soon as the camera runs).
		out, err := exec.Command(ff, "-hide_banner", "-loglevel", "error", "-framerate", "10/3", "-start_number", "25", "-i",
			filepath.Join(cs.dir, "frames", name, "%03d.jpg"), "-vf", "fps=10", "-pix_fmt", "yuv420p", "-f", "yuv4mpegpipe", y4m).CombinedOutput()
		if err != nil {
			t.Fatalf("ffmpeg %s: %v %s", name, err, out)
		}
		clips = append(clips, name+"="+y4m+"="+want[name])
	}
	cmd := exec.Command(node, filepath.Join(dir, "ui-liveness.mjs"))
	cmd.Env = append(os.Environ(), "MIEN_URL="+e.url, "MIEN_KEY="+e.admin, "CHROMIUM="+browser,
		"PERSON="+cs.Person, "CLIPS="+strings.Join(clips, ":"))
	out, err := cmd.CombinedOutput()
	t.Logf("web/e2e/ui-liveness.mjs:\n%s", out)
	if err != nil {
		t.Errorf("liveness page end-to-end test failed: %v", err)
	}
	// The browser's sessions are audited with their verdicts only.
	code, a := e.call("GET", "/v1/audit?action=liveness.session", e.admin, nil, "")
	if entries, _ := a["entries"].([]any); code != 200 || len(entries) != 3 {
		t.Errorf("audit after the run: %d %v, want three liveness.session entries", code, a)
	}
}
