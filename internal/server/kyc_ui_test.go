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

// TestWebUIIDCheck drives the web app's ID check page (web/e2e/ui-idcheck.mjs)
// in headless chromium against a real server: a synthetic document of Tony
// Blair against Serena Williams' photo (no match) and against a webcam
// selfie of Tony Blair (match; the fake camera plays a Y4M that ffmpeg made
// from another LFW photo of him), and a document without a face. Skips as
// TestWebUI does.
func TestWebUIIDCheck(t *testing.T) {
	browser, node, dir := e2eTools(t)
	lfwDir := testenv.Shared(t, "data/lfw/images")
	noFace := testenv.Shared(t, "fixtures/insightface/crop_no_face.png")
	e := serve(t, testenv.Engine(t, "standard"), store.Options{}, server.Options{MaxBody: 4 << 20})
	tmp := t.TempDir()
	doc := filepath.Join(tmp, "document.jpg")
	if err := os.WriteFile(doc, synthDocument(t, "data/lfw/images/Tony_Blair/Tony_Blair_0002.jpg"), 0o600); err != nil {
		t.Fatal(err)
	}
	camera := filepath.Join(tmp, "camera.y4m")
	if err := ffmpegY4M(camera, filepath.Join(lfwDir, "Tony_Blair", "Tony_Blair_0003.jpg")); err != nil {
		t.Fatal(err)
	}
	shots := os.Getenv("MIEN_E2E_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	}
	cmd := exec.Command(node, filepath.Join(dir, "ui-idcheck.mjs"))
	cmd.Env = append(os.Environ(), "MIEN_URL="+e.url, "MIEN_KEY="+e.admin, "CHROMIUM="+browser, "CAMERA_Y4M="+camera,
		"DOCUMENT="+doc, "SELFIE_OTHER="+filepath.Join(lfwDir, "Serena_Williams", "Serena_Williams_0002.jpg"),
		"PHOTO_NOFACE="+noFace, "SCREENSHOTS="+shots)
	out, err := cmd.CombinedOutput()
	t.Logf("web/e2e/ui-idcheck.mjs:\n%s", out)
	if err != nil {
		t.Fatalf("web app end-to-end test ui-idcheck.mjs failed: %v", err)
	}
	if e.rows("templates") != 0 {
		t.Error("the ID checks stored templates")
	}
}

// ffmpegY4M writes a one-second 640x480 Y4M of photo centred on grey, made
// by ffmpeg (writeY4M's pure-Go frames when ffmpeg is absent).
func ffmpegY4M(path, photo string) error {
	ff, err := exec.LookPath("ffmpeg")
	if err != nil {
		return writeY4M(path, photo, 640, 480, 10)
	}
	cmd := exec.Command(ff, "-loglevel", "error", "-y", "-loop", "1", "-i", photo, "-vf",
		"pad=640:480:(ow-iw)/2:(oh-ih)/2:color=gray,format=yuv420p", "-r", "10", "-frames:v", "10", "-f", "yuv4mpegpipe", path)
	if out, err := cmd.CombinedOutput(); err != nil {
		return &exec.Error{Name: string(out), Err: err}
	}
	return nil
}
