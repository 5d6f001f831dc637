package server_test

import (
	"bufio"
	"bytes"
	"context"
	"image/jpeg"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mienhq/mien/detect"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/internal/server"
	"github.com/mienhq/mien/internal/store"
	"github.com/mienhq/mien/internal/stream"
	"github.com/mienhq/mien/internal/testclips"
	"github.com/mienhq/mien/video"
)

// truthDetector plays a clip's true boxes back, one frame per call.
type truthDetector struct {
	mu    sync.Mutex
	boxes [][]testclips.Box
	calls int
}

func (d *truthDetector) Detect(_ context.Context, _ *face.Image, _ detect.Options) ([]face.Detection, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []face.Detection
	if d.calls < len(d.boxes) {
		for _, b := range d.boxes[d.calls] {
			if b.Occluded < 0.5 && b.Box.Dx() >= 16 {
				out = append(out, face.Detection{Box: b.Box, Score: 0.9})
			}
		}
	}
	d.calls++
	return out, nil
}

func patch(c [3]uint8) *face.Image {
	m := face.NewImage(32, 32)
	for i := 0; i < len(m.Pix); i += 3 {
		copy(m.Pix[i:], c[:])
	}
	return m
}

// cameraEnv is a server with cameras on, a generated clip in its camera
// file directory, and sources that drop no frame (so the truth detector
// stays in step).
func cameraEnv(t *testing.T, slow bool) (*env, string, testclips.Truth) {
	t.Helper()
	ff, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("ffmpeg not found: apt-get install -y ffmpeg")
	}
	var faces []testclips.NamedFace
	for i, c := range [][3]uint8{{200, 30, 30}, {30, 200, 30}, {30, 30, 200}, {200, 200, 30}, {200, 30, 200}, {30, 200, 200}} {
		faces = append(faces, testclips.NamedFace{Name: string(rune('a' + i)), Face: patch(c)})
	}
	sc, err := testclips.Default(faces, 320, 180, 10, 9)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	clip := filepath.Join(dir, "walk.mp4")
	if err := testclips.Encode(context.Background(), ff, sc, clip, "mp4"); err != nil {
		t.Fatal(err)
	}
	truth := sc.Truth("walk.mp4")
	det := &truthDetector{boxes: truth.Boxes}
	open := func(cfg stream.Config) (stream.Source, error) {
		return video.New(cfg.Source, video.Options{FFmpeg: ff, Width: cfg.Width, Height: cfg.Height, FPS: cfg.FPS, NoDrop: true, Realtime: slow, MaxAttempts: 1})
	}
	e := serve(t, &rekFakeEngine{}, store.Options{}, server.Options{Cameras: &server.CameraOptions{Detector: det, FileDir: dir, NewSource: open}})
	return e, clip, truth
}

func (e *env) waitCamera(key, id, state string) map[string]any {
	e.t.Helper()
	deadline := time.Now().Add(3 * time.Minute) // a shared, loaded machine
	for {
		code, c := e.call("GET", "/v1/cameras/"+id, key, nil, "")
		h, _ := c["health"].(map[string]any)
		if code == 200 && h != nil && h["state"] == state {
			return c
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("camera %s: %d %v, want state %s", id, code, c, state)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestCameraAPI: create a counting camera on a clip, its events and
// minute counts match the truth, the source's password and the secret are
// never shown after creation, bad input changes nothing, metrics carry it,
// delete removes its events.
func TestCameraAPI(t *testing.T) {
	e, clip, truth := cameraEnv(t, false)
	for _, bad := range []string{
		`{"name":"x","source":"` + clip + `","mode":"record","line":[160,0,160,180],"width":320,"height":180}`,
		`{"name":"x","source":"` + clip + `","mode":"count","width":320,"height":180}`,
		`{"name":"x","source":"/etc/passwd","mode":"count","line":[160,0,160,180],"width":320,"height":180}`,
		`{"name":"x","source":"` + clip + `","mode":"count","line":[160,0,160,180],"webhook_url":"ftp://x/y","width":320,"height":180}`,
		`{"name":"x","source":"concat:a|b","mode":"count","line":[160,0,160,180],"width":320,"height":180}`,
		`{"name":"x","source":"` + clip + `","mode":"gate","width":320,"height":180}`,
		`{"name":"x","source":"` + clip + `","mode":"count","line":[160,0,160,180],"width":320,"height":180,"anti_spoof":true}`,
		`{"name":"x","source":"` + clip + `","mode":"count","zones":[{"name":"z","polygon":[[0,0],[1,1]]}],"width":320,"height":180}`,
	} {
		if code, out := e.js("POST", "/v1/cameras", e.admin, bad); code != 400 {
			t.Errorf("%s: %d %v", bad, code, out)
		}
	}
	if n := e.cameraCount(); n != 0 {
		t.Fatalf("bad requests left %d cameras", n)
	}
	code, cam := e.js("POST", "/v1/cameras", e.admin, `{"name":"hall","source":"`+clip+`","mode":"count","fps":10,
		"line":[160,0,160,180],"zones":[{"name":"left","polygon":[[0,0],[160,0],[160,180],[0,180]]}],"width":320,"height":180}`)
	if code != 201 || !strings.HasPrefix(cam["webhook_secret"].(string), "whsec_") {
		t.Fatalf("create: %d %v", code, cam)
	}
	id := cam["id"].(string)
	c := e.waitCamera(e.admin, id, stream.StateEnded)
	if c["webhook_secret"] != nil {
		t.Error("the webhook secret is shown after creation")
	}
	_, list := e.call("GET", "/v1/cameras/"+id+"/events?limit=1000", e.admin, nil, "")
	in, out := 0, 0
	for _, ev := range list["events"].([]any) {
		switch ev.(map[string]any)["kind"] {
		case "in":
			in++
		case "out":
			out++
		}
	}
	if in != truth.In || out != truth.Out {
		t.Errorf("events in %d out %d, truth %d %d", in, out, truth.In, truth.Out)
	}
	_, counts := e.call("GET", "/v1/cameras/"+id+"/counts", e.admin, nil, "")
	mIn, mOut, peak := 0.0, 0.0, 0.0
	for _, m := range counts["minutes"].([]any) {
		mm := m.(map[string]any)
		mIn, mOut = mIn+mm["in"].(float64), mOut+mm["out"].(float64)
		if occ, ok := mm["occupancy"].(map[string]any); ok {
			peak = max(peak, occ["left"].(float64))
		}
	}
	if int(mIn) != truth.In || int(mOut) != truth.Out || peak < 1 {
		t.Errorf("minute counts in %g out %g peak %g; truth %d %d: %v", mIn, mOut, peak, truth.In, truth.Out, counts)
	}
	code, _, metrics := e.raw("GET", "/metrics", e.admin, nil, "")
	if code != 200 || !bytes.Contains(metrics, []byte(`mien_camera_in_total{camera="`+id+`"} 3`)) {
		t.Errorf("metrics: %d\n%s", code, metrics)
	}
	if code, _ := e.call("GET", "/v1/cameras/"+id+"/events?after=x", e.admin, nil, ""); code != 400 {
		t.Errorf("after=x: %d", code)
	}
	if code, _ := e.call("DELETE", "/v1/cameras/"+id, e.admin, nil, ""); code != 204 {
		t.Fatalf("delete: %d", code)
	}
	if n := e.cameraCount(); n != 0 {
		t.Errorf("%d cameras left after delete", n)
	}
	if code, _ := e.call("GET", "/v1/cameras/"+id+"/events", e.admin, nil, ""); code != 404 {
		t.Errorf("events of a deleted camera: %d", code) // the rows themselves: store's TestCameraStore
	}
}

// TestCameraSourcePasswordNeverShown: the password of an RTSP URL is sealed
// and masked in every answer.
func TestCameraSourcePasswordNeverShown(t *testing.T) {
	e, _, _ := cameraEnv(t, false)
	code, cam := e.js("POST", "/v1/cameras", e.admin, `{"name":"door","source":"rtsp://admin:s3cr3t-pw@127.0.0.1:9/live?token=tok-123","mode":"count","line":[0,0,10,10]}`)
	if code != 201 {
		t.Fatalf("create: %d %v", code, cam)
	}
	for _, p := range []string{"/v1/cameras", "/v1/cameras/" + cam["id"].(string)} {
		_, _, b := e.raw("GET", p, e.admin, nil, "")
		if bytes.Contains(b, []byte("s3cr3t-pw")) || bytes.Contains(b, []byte("tok-123")) || !bytes.Contains(b, []byte("admin:xxxxx@127.0.0.1")) {
			t.Errorf("%s: %s", p, b)
		}
	}
	code, upd := e.js("PUT", "/v1/cameras/"+cam["id"].(string), e.admin, `{"name":"door-2","mode":"count","line":[0,0,20,20]}`)
	if code != 200 || upd["name"] != "door-2" || !strings.Contains(upd["source"].(string), "admin:xxxxx@") {
		t.Errorf("update keeping the source: %d %v", code, upd)
	}
}

// TestCameraSSEAndSnapshot: events arrive live over SSE; reconnecting with
// Last-Event-ID resumes after it; the snapshot is a JPEG with the tracks.
func TestCameraSSEAndSnapshot(t *testing.T) {
	e, clip, truth := cameraEnv(t, true)
	code, cam := e.js("POST", "/v1/cameras", e.admin, `{"name":"hall","source":"`+clip+`","mode":"count","fps":10,"line":[160,0,160,180],"width":320,"height":180}`)
	if code != 201 {
		t.Fatalf("create: %d %v", code, cam)
	}
	id := cam["id"].(string)
	req, _ := http.NewRequest("GET", e.url+"/v1/cameras/"+id+"/events", nil)
	req.Header.Set("Authorization", "Bearer "+e.admin)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	ids := readSSE(t, resp, 2)
	var snap []byte
	var tracks string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline) && tracks == ""; time.Sleep(50 * time.Millisecond) {
		code, h, b := e.raw("GET", "/v1/cameras/"+id+"/snapshot", e.admin, nil, "")
		if code == 200 && h.Get("Mien-Tracks") != "null" && h.Get("Mien-Tracks") != "[]" {
			snap, tracks = b, h.Get("Mien-Tracks")
		}
	}
	if img, err := jpeg.Decode(bytes.NewReader(snap)); err != nil || img.Bounds().Dx() != 320 || !strings.Contains(tracks, `"track":`) {
		t.Errorf("snapshot: %v, tracks %s", err, tracks)
	}
	// resume after the first event: the second comes again, then the rest
	req.Header.Set("Last-Event-ID", ids[0])
	resp2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	again := readSSE(t, resp2, truth.In+truth.Out-1)
	if again[0] != ids[1] {
		t.Errorf("resumed after %s at %s, want %s", ids[0], again[0], ids[1])
	}
}

// readSSE reads n events from a stream and closes it, returning their ids.
func readSSE(t *testing.T, resp *http.Response, n int) []string {
	t.Helper()
	defer resp.Body.Close()
	var ids []string
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() && len(ids) < n {
			if id, ok := strings.CutPrefix(sc.Text(), "id: "); ok {
				ids = append(ids, id)
			}
		}
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		resp.Body.Close()
		<-done
		t.Fatalf("%d of %d events within 30 s", len(ids), n)
	}
	return ids
}

// TestCameraLimitPerTenant: a tenant at its camera limit is refused one
// more (409 camera_limit) and another tenant is not held by it.
func TestCameraLimitPerTenant(t *testing.T) {
	e := serve(t, &rekFakeEngine{}, store.Options{}, server.Options{Cameras: &server.CameraOptions{Detector: &truthDetector{}, MaxPerTenant: 2}})
	body := func(name string) string {
		return `{"name":"` + name + `","source":"rtsp://127.0.0.1:9/x","mode":"count","line":[0,0,10,10]}`
	}
	for _, n := range []string{"a1", "a2"} {
		if code, out := e.js("POST", "/v1/cameras", e.admin, body(n)); code != 201 {
			t.Fatalf("%s: %d %v", n, code, out)
		}
	}
	code, out := e.js("POST", "/v1/cameras", e.admin, body("a3"))
	if errBody, _ := out["error"].(map[string]any); code != 409 || errBody["code"] != "camera_limit" {
		t.Errorf("third camera: %d %v", code, out)
	}
	if code, out := e.js("POST", "/v1/cameras", e.other, body("b1")); code != 201 {
		t.Errorf("another tenant: %d %v", code, out)
	}
	if n := e.cameraCount(); n != 3 {
		t.Errorf("%d cameras stored, want 3", n)
	}
}

// cameraCount is how many cameras the store holds, every tenant's.
func (e *env) cameraCount() int {
	cams, err := e.st.Cameras(context.Background(), "")
	if err != nil {
		e.t.Fatal(err)
	}
	return len(cams)
}
