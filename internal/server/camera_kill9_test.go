package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mienhq/mien/imageio"
	"github.com/mienhq/mien/internal/events"
	"github.com/mienhq/mien/internal/testclips"
	"github.com/mienhq/mien/internal/testenv"
)

// lfwClip writes a 640x360 clip of six LFW faces walking through, at 10 fps.
func lfwClip(t *testing.T, dir string) (string, testclips.Truth) {
	t.Helper()
	ff, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("ffmpeg not found: apt-get install -y ffmpeg")
	}
	var faces []testclips.NamedFace
	for _, n := range []string{"Aaron_Eckhart", "Kofi_Annan", "Angela_Merkel", "Tony_Blair", "Serena_Williams", "Hugo_Chavez"} {
		data, err := os.ReadFile(testenv.Shared(t, "data/lfw/images/"+n+"/"+n+"_0001.jpg"))
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
	clip := filepath.Join(dir, "walk.mp4")
	if err := testclips.Encode(context.Background(), ff, sc, clip, "mp4"); err != nil {
		t.Fatal(err)
	}
	return clip, sc.Truth("walk.mp4")
}

// hookReceiver is a webhook endpoint that can be switched down (503).
type hookReceiver struct {
	mu     sync.Mutex
	down   bool
	secret []byte
	seen   map[string]int // event id -> deliveries
	bad    []string
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.down {
		http.Error(w, "receiver down", 503)
		return
	}
	if err := events.Verify(h.secret, r.Header.Get(events.SignatureHeader), body, time.Now(), 5*time.Minute); err != nil {
		h.bad = append(h.bad, err.Error())
		http.Error(w, "bad signature", 401)
		return
	}
	var b events.Body
	json.Unmarshal(body, &b)
	h.seen[b.ID]++
}

func (h *hookReceiver) missing(ids []string) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, id := range ids {
		if h.seen[id] == 0 {
			out = append(out, id)
		}
	}
	return out
}

// TestCameraKill9ReplaysOutbox is issue 11's acceptance point: a real
// `mien serve` counts a looping clip with the real detector and posts
// signed webhooks to a real receiver, which goes down; mien is killed with
// SIGKILL while events wait in its outbox; after a restart every event it
// had acknowledged (stored: listed by the API) reaches the receiver at
// least once, under the id it was listed with.
func TestCameraKill9ReplaysOutbox(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the mien binary")
	}
	testenv.Engine(t, "standard") // skips without models
	dir := t.TempDir()
	clip, _ := lfwClip(t, dir)
	cfg := filepath.Join(dir, "mien.json")
	os.WriteFile(cfg, []byte(`{"cameras":{"file_dir":"`+dir+`","webhook_allow_cidrs":["127.0.0.1"]}}`), 0o600)
	rc := &hookReceiver{seen: map[string]int{}}
	hook := httptest.NewServer(rc)
	defer hook.Close()
	bin := buildMien(t)
	data := t.TempDir()
	cmd, url := serveProc(t, bin, data, "--config", cfg)
	code, cam := request(t, "POST", url+"/v1/cameras", bytes.NewBufferString(`{"name":"hall","source":"`+clip+`","mode":"count",
		"loop":true,"fps":10,"line":[320,0,320,360],"width":640,"height":360,"webhook_url":"`+hook.URL+`"}`), "application/json")
	if code != 201 {
		t.Fatalf("create camera: %d %v", code, cam)
	}
	rc.mu.Lock()
	rc.secret = []byte(cam["webhook_secret"].(string))
	rc.mu.Unlock()
	id := cam["id"].(string)
	// some events delivered while the receiver is up, then it goes down
	waitEvents(t, url, id, 2, 60*time.Second)
	rc.mu.Lock()
	rc.down = true
	rc.mu.Unlock()
	before := len(waitEvents(t, url, id, 0, 0))
	acked := waitEvents(t, url, id, before+4, 90*time.Second)
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if len(rc.missing(acked)) == 0 {
		t.Fatal("every event reached the receiver before the kill: nothing was left to replay")
	}
	t.Logf("killed with %d events acknowledged, %d not yet delivered", len(acked), len(rc.missing(acked)))
	rc.mu.Lock()
	rc.down = false
	rc.mu.Unlock()
	_, url = serveProc(t, bin, data, "--config", cfg)
	deadline := time.Now().Add(60 * time.Second)
	for len(rc.missing(acked)) > 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if m := rc.missing(acked); len(m) > 0 {
		t.Fatalf("%d acknowledged events never delivered after the restart: %v", len(m), m)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.bad) > 0 {
		t.Errorf("deliveries with bad signatures: %v", rc.bad)
	}
}

// waitEvents lists a camera's event ids, waiting until there are at least n.
func waitEvents(t *testing.T, url, cam string, n int, within time.Duration) []string {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		code, out := request(t, "GET", url+"/v1/cameras/"+cam+"/events?limit=1000", nil, "")
		var ids []string
		if evs, ok := out["events"].([]any); ok {
			for _, e := range evs {
				ids = append(ids, e.(map[string]any)["id"].(string))
			}
		}
		if code == 200 && len(ids) >= n {
			return ids
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d events of %d within %s (%d)", len(ids), n, within, code)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
