package server_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/imageio"
	"github.com/mienhq/mien/internal/server"
	"github.com/mienhq/mien/internal/store"
	"github.com/mienhq/mien/internal/testclips"
	"github.com/mienhq/mien/internal/testenv"
)

// mjpegCamera serves a scene of LFW faces walking through, looped, as an
// HTTP MJPEG stream at 10 frames a second: a network camera on loopback.
// (MJPEG has no timestamps: the camera's format mpjpeg makes ffmpeg stamp
// frames as they arrive, so the 5 fps analysed are 5 fps of the scene.)
func mjpegCamera(t *testing.T) *httptest.Server {
	t.Helper()
	lfw := testenv.Shared(t, "data/lfw/images")
	var faces []testclips.NamedFace
	for _, n := range []string{"Aaron_Eckhart", "Kofi_Annan", "Angela_Merkel", "Tony_Blair", "Serena_Williams", "Hugo_Chavez"} {
		data, err := os.ReadFile(filepath.Join(lfw, n, n+"_0001.jpg"))
		if err != nil {
			t.Fatal(err)
		}
		img, err := imageio.Decode(data, imageio.Options{})
		if err != nil {
			t.Fatal(err)
		}
		faces = append(faces, testclips.NamedFace{Name: n, Face: img})
	}
	sc, err := testclips.Default(faces, 640, 360, 10, 9)
	if err != nil {
		t.Fatal(err)
	}
	var jpegs [][]byte
	frame := face.NewImage(640, 360)
	for i := 0; i < sc.Frames; i++ {
		if _, err := sc.Render(i, frame); err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := imageio.EncodeJPEG(&b, frame, 85); err != nil {
			t.Fatal(err)
		}
		jpegs = append(jpegs, b.Bytes())
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "multipart/x-mixed-replace; boundary=frame")
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			j := jpegs[i%len(jpegs)]
			fmt.Fprintf(w, "--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n", len(j))
			if _, err := w.Write(append(j, "\r\n"...)); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-tick.C:
			}
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestWebUICameras runs web/e2e/ui-cameras.mjs in headless chromium against
// a server with the real detector watching a live MJPEG stream: a camera is
// added from the page, its preview shows boxes and track ids, its events
// arrive over SSE, its counts chart fills, and it is deleted.
func TestWebUICameras(t *testing.T) {
	browser, node, dir := e2eTools(t)
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not found: apt-get install -y ffmpeg")
	}
	eng := testenv.Engine(t, "standard")
	cam := mjpegCamera(t)
	e := serve(t, eng, store.Options{}, server.Options{Cameras: &server.CameraOptions{Detector: eng}})
	shots := os.Getenv("MIEN_E2E_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	}
	cmd := exec.CommandContext(context.Background(), node, filepath.Join(dir, "ui-cameras.mjs"))
	cmd.Env = append(os.Environ(), "MIEN_URL="+e.url, "MIEN_KEY="+e.admin, "CHROMIUM="+browser,
		"CAMERA_URL="+cam.URL+"/video.mjpg", "SCREENSHOTS="+shots)
	out, err := cmd.CombinedOutput()
	t.Logf("web/e2e/ui-cameras.mjs:\n%s", out)
	if err != nil {
		t.Fatalf("web app end-to-end test ui-cameras.mjs failed: %v", err)
	}
	if code, list := e.call("GET", "/v1/cameras", e.admin, nil, ""); code != 200 || len(list["cameras"].([]any)) != 0 {
		t.Errorf("cameras after the UI deleted its camera: %d %v", code, list)
	}
}
