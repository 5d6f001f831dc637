package server_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	rek "github.com/aws/aws-sdk-go-v2/service/rekognition"

	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/internal/server"
	"github.com/mienhq/mien/internal/store"
	"github.com/mienhq/mien/internal/stream"
	"github.com/mienhq/mien/internal/testclips"
	"github.com/mienhq/mien/video"
)

// nopEmbedder makes gate mode available; the tests' detector finds no face,
// so it is never called.
type nopEmbedder struct{}

func (nopEmbedder) Embed(context.Context, *face.Image, face.Detection) (face.Embedding, error) {
	return face.Embedding{}, nil
}

// liveCameraEnv is a server whose cameras play looping clips in real time
// through real ffmpeg processes, one clip file per name given.
func liveCameraEnv(t *testing.T, names ...string) (*env, map[string]string) {
	t.Helper()
	ff, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("ffmpeg not found: apt-get install -y ffmpeg")
	}
	if _, err := os.Stat("/proc/self/cmdline"); err != nil {
		t.Skip("no /proc: this test finds the cameras' ffmpeg processes there")
	}
	var faces []testclips.NamedFace
	for i, c := range [][3]uint8{{200, 30, 30}, {30, 200, 30}, {30, 30, 200}, {200, 200, 30}} {
		faces = append(faces, testclips.NamedFace{Name: string(rune('a' + i)), Face: patch(c)})
	}
	sc, err := testclips.Default(faces, 160, 90, 5, 4)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	clips := map[string]string{}
	for _, n := range names {
		clips[n] = filepath.Join(dir, n+".mp4")
		if err := testclips.Encode(context.Background(), ff, sc, clips[n], "mp4"); err != nil {
			t.Fatal(err)
		}
	}
	open := func(cfg stream.Config) (stream.Source, error) {
		return video.New(cfg.Source, video.Options{FFmpeg: ff, Width: cfg.Width, Height: cfg.Height, FPS: cfg.FPS, Loop: true, Realtime: true})
	}
	e := serve(t, &rekFakeEngine{}, store.Options{}, server.Options{Logger: rekQuietLog(),
		Cameras: &server.CameraOptions{Detector: &truthDetector{}, Embedder: nopEmbedder{}, FileDir: dir, NewSource: open}})
	return e, clips
}

// ffmpegOf returns the pids of this process's children whose command line
// names the file.
func ffmpegOf(t *testing.T, file string) []int {
	t.Helper()
	procs, _ := filepath.Glob("/proc/[0-9]*/stat")
	var out []int
	me := strconv.Itoa(os.Getpid())
	for _, st := range procs {
		stat, err := os.ReadFile(st)
		if err != nil {
			continue // ended meanwhile
		}
		// pid (comm) state ppid ...: comm may hold spaces, so split after ')'
		f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(f) < 2 || f[1] != me || f[0] == "Z" {
			continue
		}
		cmd, _ := os.ReadFile(filepath.Join(filepath.Dir(st), "cmdline"))
		if bytes.Contains(cmd, []byte(file)) {
			pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(st)))
			out = append(out, pid)
		}
	}
	return out
}

// waitFFmpeg waits until the file's ffmpeg runs (want true) or is gone, and
// returns how long that took.
func waitFFmpeg(t *testing.T, file string, want bool, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		if (len(ffmpegOf(t, file)) > 0) == want {
			return time.Since(start)
		}
		if time.Since(start) > within {
			t.Fatalf("%s: ffmpeg running %v after %v, want %v", filepath.Base(file), !want, within, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (e *env) liveCamera(name, body string) string {
	e.t.Helper()
	code, cam := e.js("POST", "/v1/cameras", e.admin, body)
	if code != 201 {
		e.t.Fatalf("create %s: %d %v", name, code, cam)
	}
	id := cam["id"].(string)
	e.waitCamera(e.admin, id, stream.StateRunning)
	return id
}

// TestDeletesStopCameraStreamsAtOnce: deleting a gate camera's collection
// (through /v1 and through the Rekognition API) or deleting a camera kills
// its ffmpeg before the deletion is answered, and the camera's health says
// why; cameras that do not depend on what was deleted go on.
func TestDeletesStopCameraStreamsAtOnce(t *testing.T) {
	e, clips := liveCameraEnv(t, "gate1", "gate2", "count", "rekgate")
	const bound = 2 * time.Second // the deletion waits for the stop: 0 expected, 2 s for a loaded machine
	staff, visitors := e.collection(e.admin, "staff"), e.collection(e.admin, "visitors")
	gate := func(name, col string) string { // no anti-spoof models here: the test is about stopping
		return `{"name":"` + name + `","source":"` + clips[name] + `","mode":"gate","collection_id":"` + col + `","fps":5,"width":160,"height":90,"anti_spoof":false}`
	}
	// this server has no anti-spoof models: a gate camera must say it gates without
	if code, out := e.js("POST", "/v1/cameras", e.admin, strings.Replace(gate("gate1", staff), `,"anti_spoof":false`, "", 1)); code != 400 ||
		!strings.Contains(fmt.Sprint(out), "anti_spoof") {
		t.Fatalf("a gate camera with anti-spoofing on and no anti-spoof models: %d %v, want 400 naming anti_spoof", code, out)
	}
	g1, g2 := e.liveCamera("gate1", gate("gate1", staff)), e.liveCamera("gate2", gate("gate2", visitors))
	cnt := e.liveCamera("count", `{"name":"count","source":"`+clips["count"]+`","mode":"count","collection_id":"`+staff+`","line":[80,0,80,90],"fps":5,"width":160,"height":90}`)
	for _, n := range []string{"gate1", "gate2", "count"} {
		waitFFmpeg(t, clips[n], true, time.Minute)
	}

	if code, _ := e.call("DELETE", "/v1/collections/"+staff, e.admin, nil, ""); code != 204 {
		t.Fatalf("delete collection: %d", code)
	}
	t.Logf("collection deleted: gate camera's ffmpeg gone %v after the answer", waitFFmpeg(t, clips["gate1"], false, bound))
	_, c := e.call("GET", "/v1/cameras/"+g1, e.admin, nil, "")
	if h, _ := c["health"].(map[string]any); h["state"] != stream.StateFailed || !strings.Contains(h["last_error"].(string), staff) {
		t.Errorf("gate camera of the deleted collection: %v, want failed, naming the collection", c["health"])
	}
	for id, n := range map[string]string{g2: "gate2", cnt: "count"} { // another collection's gate; a counter never uses one
		if _, c := e.call("GET", "/v1/cameras/"+id, e.admin, nil, ""); c["health"].(map[string]any)["state"] != stream.StateRunning || len(ffmpegOf(t, clips[n])) == 0 {
			t.Errorf("%s stopped by another collection's deletion: %v", n, c["health"])
		}
	}

	if code, _ := e.call("DELETE", "/v1/cameras/"+cnt, e.admin, nil, ""); code != 204 {
		t.Fatalf("delete camera: %d", code)
	}
	t.Logf("camera deleted: its ffmpeg gone %v after the answer", waitFFmpeg(t, clips["count"], false, bound))

	ctx := rekCtx(t)
	id, secret := e.awsKey(e.admin, false)
	rc := rekClient(e.url, id, secret)
	if _, err := rc.CreateCollection(ctx, &rek.CreateCollectionInput{CollectionId: aws.String("door")}); err != nil {
		t.Fatal(err)
	}
	_, cols := e.call("GET", "/v1/collections", e.admin, nil, "")
	var door string
	for _, c := range cols["collections"].([]any) {
		if cm := c.(map[string]any); cm["name"] == "door" {
			door = cm["id"].(string)
		}
	}
	rg := e.liveCamera("rekgate", gate("rekgate", door))
	waitFFmpeg(t, clips["rekgate"], true, time.Minute)
	if _, err := rc.DeleteCollection(ctx, &rek.DeleteCollectionInput{CollectionId: aws.String("door")}); err != nil {
		t.Fatal(err)
	}
	t.Logf("Rekognition DeleteCollection: gate camera's ffmpeg gone %v after the answer", waitFFmpeg(t, clips["rekgate"], false, bound))
	if _, c := e.call("GET", "/v1/cameras/"+rg, e.admin, nil, ""); c["health"].(map[string]any)["state"] != stream.StateFailed {
		t.Errorf("gate camera after its collection's Rekognition deletion: %v", c["health"])
	}
	if _, c := e.call("GET", "/v1/cameras/"+g2, e.admin, nil, ""); c["health"].(map[string]any)["state"] != stream.StateRunning {
		t.Errorf("gate2 after other deletions: %v", c["health"])
	}
}

// TestStoredGateWithoutAntiSpoofModels: a gate camera stored before gates
// checked liveness (no anti_spoof setting, so on) does not start on a
// server whose model pack has no anti-spoof models: it is failed, with the
// reason and the way out in its health, and grants nobody.
func TestStoredGateWithoutAntiSpoofModels(t *testing.T) {
	e, clips := liveCameraEnv(t, "door")
	staff := e.collection(e.admin, "staff")
	code, cam := e.js("POST", "/v1/cameras", e.admin, `{"name":"door","source":"`+clips["door"]+`","mode":"gate","collection_id":"`+staff+
		`","fps":5,"width":160,"height":90,"anti_spoof":false}`)
	if code != 201 {
		t.Fatalf("create: %d %v", code, cam)
	}
	id := cam["id"].(string)
	ctx := context.Background()
	all, err := e.st.Cameras(ctx, "")
	if err != nil || len(all) != 1 || all[0].ID != id {
		t.Fatalf("stored cameras %v %v", all, err)
	}
	c := all[0]
	c.Settings.AntiSpoof = nil // as stored before the setting existed
	if _, err := e.st.UpdateCamera(ctx, c, "test"); err != nil {
		t.Fatal(err)
	}
	// the server starts again on the same store
	e2 := serveAt(t, &rekFakeEngine{}, filepath.Dir(e.db), store.Options{}, server.Options{Logger: rekQuietLog(),
		Cameras: &server.CameraOptions{Detector: &truthDetector{}, Embedder: nopEmbedder{}, FileDir: filepath.Dir(clips["door"])}})
	got := e2.waitCamera(e.admin, id, stream.StateFailed)
	h := got["health"].(map[string]any)
	if msg, _ := h["last_error"].(string); !strings.Contains(msg, "anti-spoof") || !strings.Contains(msg, "anti_spoof to false") {
		t.Fatalf("health %v: want the reason (no anti-spoof models) and the way out", h)
	}
	if st, _ := got["settings"].(map[string]any); st["anti_spoof"] != true {
		t.Errorf("settings %v: anti_spoof not shown on", st)
	}
}
