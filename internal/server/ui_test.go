package server_test

import (
	"bufio"
	"bytes"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mienhq/mien/internal/server"
	"github.com/mienhq/mien/internal/store"
	"github.com/mienhq/mien/internal/testenv"
)

// TestWebUI drives the embedded web UI in Debian's headless chromium with
// playwright-core (web/e2e/ui.mjs): sign in, create a collection, enrol from
// the webcam (chromium's fake capture device, fed a Y4M made from an LFW
// photo) and from a file with consent fields, refusals, identify, verify,
// compare and erasure. The server is real, with real models.
//
// Needs chromium, node and web/e2e/node_modules (scripts/test.sh installs
// them); it skips without them unless MIEN_REQUIRE_E2E=1.
func TestWebUI(t *testing.T) {
	browser, node, script := e2eTools(t)
	lfw := testenv.Shared(t, "data/lfw/images")
	noFace := testenv.Shared(t, "fixtures/insightface/crop_no_face.png")
	// The server groups library uploads after a burst, as mien serve does.
	e := serve(t, testenv.Engine(t, "standard"), store.Options{}, server.Options{MaxBody: 2 << 20, GroupDelay: 500 * time.Millisecond})
	photo := func(name string, n int) string {
		return filepath.Join(lfw, name, fmt.Sprintf("%s_%04d.jpg", name, n))
	}
	dir := t.TempDir()
	camera := filepath.Join(dir, "camera.y4m")
	if err := writeY4M(camera, photo("Colin_Powell", 3), 640, 480, 10); err != nil {
		t.Fatal(err)
	}
	var libPhotos []string
	for n := 2; n <= 5; n++ {
		libPhotos = append(libPhotos, photo("Colin_Powell", n+4), photo("Tony_Blair", n+4))
	}
	corrupt := filepath.Join(dir, "corrupt.jpg")
	whole, err := os.ReadFile(photo("Colin_Powell", 1))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(corrupt, whole[:len(whole)/3], 0o600); err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(dir, "ui.png")
	if v := os.Getenv("MIEN_E2E_SCREENSHOT"); v != "" {
		shot = v
	}
	cmd := exec.Command(node, script)
	cmd.Env = append(os.Environ(), "MIEN_URL="+e.url, "MIEN_KEY="+e.admin, "CHROMIUM="+browser, "CAMERA_Y4M="+camera,
		"PHOTO_A1="+photo("Colin_Powell", 1), "PHOTO_A2="+photo("Colin_Powell", 2),
		"PHOTO_B1="+photo("Tony_Blair", 3), "PHOTO_B2="+photo("Tony_Blair", 2), "PHOTO_NOFACE="+noFace, "SCREENSHOT="+shot,
		"LIBRARY_PHOTOS="+strings.Join(libPhotos, ":"), "PHOTO_CORRUPT="+corrupt)
	out, err := cmd.CombinedOutput()
	t.Logf("web/e2e/ui.mjs:\n%s", out)
	if err != nil {
		t.Fatalf("web UI end-to-end test failed: %v", err)
	}
	// What the browser did is in the store: one collection, one subject left (A).
	code, cols := e.call("GET", "/v1/collections", e.admin, nil, "")
	list, _ := cols["collections"].([]any)
	if code != 200 || len(list) != 1 {
		t.Fatalf("collections after the UI run: %d %v", code, cols)
	}
	id := list[0].(map[string]any)["id"].(string)
	_, subs := e.call("GET", "/v1/collections/"+id+"/subjects", e.admin, nil, "")
	ss, _ := subs["subjects"].([]any)
	if len(ss) != 1 || ss[0].(map[string]any)["name"] != "Alice Example" || ss[0].(map[string]any)["external_id"] != "emp-001" {
		t.Fatalf("subjects after the UI run: %v", subs)
	}
	if c := ss[0].(map[string]any)["consent"].(map[string]any); c["purpose"] != "office access" || c["evidence"] != "signed form 17" {
		t.Fatalf("consent recorded by the UI: %v", c)
	}
	// The library the UI made and forgot is gone, files and all.
	if code, libs := e.call("GET", "/v1/libraries", e.admin, nil, ""); code != 200 || len(libs["libraries"].([]any)) != 0 {
		t.Fatalf("libraries after the UI forgot its library: %d %v", code, libs)
	}
	if left, _ := filepath.Glob(filepath.Join(e.libs, "*", "*")); len(left) != 0 {
		t.Fatalf("files left after forgetting the library: %v", left)
	}
}

// e2eTools finds chromium, node and the playwright-core install, or skips.
func e2eTools(t *testing.T) (browser, node, script string) {
	t.Helper()
	browser = os.Getenv("MIEN_CHROMIUM")
	for _, name := range []string{"chromium", "chromium-browser"} {
		if browser != "" {
			break
		}
		if p, err := exec.LookPath(name); err == nil {
			browser = p
		}
	}
	if browser == "" {
		testenv.E2E(t, "chromium not found")
	}
	node, dir := testenv.Node(t, "playwright-core")
	return browser, node, filepath.Join(dir, "ui.mjs")
}

// writeY4M writes a short 4:2:0 video of the photo centred on a grey
// w x h frame, for chromium's --use-file-for-fake-video-capture.
func writeY4M(path, photo string, w, h, frames int) error {
	data, err := os.ReadFile(photo)
	if err != nil {
		return err
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return err
	}
	b := img.Bounds()
	ox, oy := (w-b.Dx())/2, (h-b.Dy())/2
	at := func(x, y int) color.Color {
		if x < ox || y < oy || x >= ox+b.Dx() || y >= oy+b.Dy() {
			return color.Gray{Y: 128}
		}
		return img.At(b.Min.X+x-ox, b.Min.Y+y-oy)
	}
	yp, cb, cr := make([]byte, w*h), make([]byte, w*h/4), make([]byte, w*h/4)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			r, g, bl, _ := at(x, y).RGBA()
			Y, U, V := color.RGBToYCbCr(uint8(r>>8), uint8(g>>8), uint8(bl>>8))
			yp[y*w+x] = Y
			if x%2 == 0 && y%2 == 0 {
				cb[(y/2)*(w/2)+x/2], cr[(y/2)*(w/2)+x/2] = U, V
			}
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(f)
	fmt.Fprintf(bw, "YUV4MPEG2 W%d H%d F10:1 Ip A1:1 C420jpeg\n", w, h)
	for i := 0; i < frames; i++ {
		bw.WriteString("FRAME\n")
		bw.Write(yp)
		bw.Write(cb)
		bw.Write(cr)
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
