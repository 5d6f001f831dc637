package server_test

import (
	"bufio"
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
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

// TestWebUI drives the embedded web app in Debian's headless chromium with
// playwright-core: web/e2e/ui.mjs (sign-in, the menu by keyboard,
// collections and people with enrolment from the webcam, from files and from
// one face of a group photo, identify, verify and compare with numbered
// boxes, erasure, keys, every section at a phone's width) and
// web/e2e/ui-library.mjs (photo libraries: uploads of files, a folder and a
// drop, a person's page with every face, cover, hiding, search, merge
// suggestions, merges with confirmation and undo, split, removal). The
// webcam is chromium's fake capture device fed a Y4M made from an LFW photo;
// the server is real, with real models.
//
// Needs chromium, node and web/e2e/node_modules (scripts/test.sh installs
// them); it skips without them unless MIEN_REQUIRE_E2E=1. Screenshots go to
// $MIEN_E2E_SCREENSHOTS when set.
func TestWebUI(t *testing.T) {
	browser, node, dir := e2eTools(t)
	lfw := testenv.Shared(t, "data/lfw/images")
	noFace := testenv.Shared(t, "fixtures/insightface/crop_no_face.png")
	// The server groups library uploads after a burst, as mien serve does.
	e := serve(t, testenv.Engine(t, "standard"), store.Options{}, server.Options{MaxBody: 2 << 20, GroupDelay: 500 * time.Millisecond})
	photo := func(name string, n int) string {
		return filepath.Join(lfw, name, fmt.Sprintf("%s_%04d.jpg", name, n))
	}
	tmp := t.TempDir()
	camera := filepath.Join(tmp, "camera.y4m")
	if err := writeY4M(camera, photo("Colin_Powell", 3), 640, 480, 10); err != nil {
		t.Fatal(err)
	}
	group := filepath.Join(tmp, "group.jpg")
	if err := sideBySide(group, photo("Tony_Blair", 4), photo("Gerhard_Schroeder", 1)); err != nil {
		t.Fatal(err)
	}
	var libPhotos []string
	for n := 2; n <= 5; n++ {
		libPhotos = append(libPhotos, photo("Colin_Powell", n+4), photo("Tony_Blair", n+4))
	}
	folder := filepath.Join(tmp, "Holiday")
	if err := os.Mkdir(folder, 0o700); err != nil {
		t.Fatal(err)
	}
	for n := 1; n <= 16; n++ {
		b, err := os.ReadFile(photo("George_W_Bush", n))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(folder, filepath.Base(photo("George_W_Bush", n))), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	corrupt := filepath.Join(tmp, "corrupt.jpg")
	whole, err := os.ReadFile(photo("Colin_Powell", 1))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(corrupt, whole[:len(whole)/3], 0o600); err != nil {
		t.Fatal(err)
	}
	shots := os.Getenv("MIEN_E2E_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	}
	vars := []string{"MIEN_URL=" + e.url, "MIEN_KEY=" + e.admin, "CHROMIUM=" + browser, "CAMERA_Y4M=" + camera,
		"PHOTO_A1=" + photo("Colin_Powell", 1), "PHOTO_A2=" + photo("Colin_Powell", 2),
		"PHOTO_B1=" + photo("Tony_Blair", 3), "PHOTO_B2=" + photo("Tony_Blair", 2), "PHOTO_GROUP=" + group,
		"PHOTO_C=" + photo("Gerhard_Schroeder", 2), "PHOTO_NOFACE=" + noFace, "PHOTO_CORRUPT=" + corrupt, "SCREENSHOTS=" + shots,
		"LIBRARY_PHOTOS=" + strings.Join(libPhotos, ":"), "LIBRARY_FOLDER=" + folder, "PHOTO_DROP=" + libPhotos[0]}
	for _, script := range []string{"ui.mjs", "ui-library.mjs"} {
		cmd := exec.Command(node, filepath.Join(dir, script))
		cmd.Env = append(os.Environ(), vars...)
		out, err := cmd.CombinedOutput()
		t.Logf("web/e2e/%s:\n%s", script, out)
		if err != nil {
			t.Errorf("web app end-to-end test %s failed: %v", script, err)
		}
	}
	if t.Failed() {
		return
	}
	// What the browser did is in the store: one collection, A and C left.
	code, cols := e.call("GET", "/v1/collections", e.admin, nil, "")
	list, _ := cols["collections"].([]any)
	if code != 200 || len(list) != 1 {
		t.Fatalf("collections after the UI run: %d %v", code, cols)
	}
	id := list[0].(map[string]any)["id"].(string)
	_, subs := e.call("GET", "/v1/collections/"+id+"/subjects", e.admin, nil, "")
	ss, _ := subs["subjects"].([]any)
	got := map[string]map[string]any{}
	for _, s := range ss {
		got[s.(map[string]any)["name"].(string)] = s.(map[string]any)
	}
	if len(ss) != 2 || got["Alice Example"] == nil || got["Carol Example"] == nil || got["Alice Example"]["external_id"] != "emp-001" {
		t.Fatalf("subjects after the UI run: %v", subs)
	}
	if c := got["Alice Example"]["consent"].(map[string]any); c["purpose"] != "office access" || c["evidence"] != "signed form 17" {
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

// sideBySide writes a JPEG of two photos next to each other (a group photo).
func sideBySide(path, left, right string) error {
	var imgs []image.Image
	for _, p := range []string{left, right} {
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		img, _, err := image.Decode(bytes.NewReader(data))
		if err != nil {
			return err
		}
		imgs = append(imgs, img)
	}
	a, b := imgs[0].Bounds(), imgs[1].Bounds()
	out := image.NewRGBA(image.Rect(0, 0, a.Dx()+b.Dx(), max(a.Dy(), b.Dy())))
	draw.Draw(out, image.Rect(0, 0, a.Dx(), a.Dy()), imgs[0], a.Min, draw.Src)
	draw.Draw(out, image.Rect(a.Dx(), 0, a.Dx()+b.Dx(), b.Dy()), imgs[1], b.Min, draw.Src)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, out, &jpeg.Options{Quality: 92}); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o600)
}

// e2eTools finds chromium, node and the directory of the scripts with the
// playwright-core install, or skips.
func e2eTools(t *testing.T) (browser, node, dir string) {
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
	node, dir = testenv.Node(t, "playwright-core")
	return browser, node, dir
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
