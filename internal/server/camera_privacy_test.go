package server_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/imageio"
	"github.com/mienhq/mien/internal/server"
	"github.com/mienhq/mien/internal/store"
	"github.com/mienhq/mien/internal/stream"
	"github.com/mienhq/mien/internal/testclips"
	"github.com/mienhq/mien/internal/testenv"
	"github.com/mienhq/mien/video"
)

// countingEmbedder counts the templates computed for cameras.
type countingEmbedder struct {
	eng *mien.Engine
	n   atomic.Int64
}

func (c *countingEmbedder) Embed(ctx context.Context, img *face.Image, d face.Detection) (face.Embedding, error) {
	c.n.Add(1)
	return c.eng.Embed(ctx, img, d)
}

// TestCameraGateAndPrivacy runs the real engine on an LFW gate clip (three
// enrolled people, three strangers): a gate camera grants only enrolled
// subjects and tells strangers apart with no subject and no score; a
// counting camera on the same clip computes no template at all; two
// cameras number their tracks each on their own; afterwards the store holds
// the enrolled templates and nothing else of anyone: no template, crop or
// image of the strangers, no frame, and no camera route takes an image.
func TestCameraGateAndPrivacy(t *testing.T) {
	ff, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("ffmpeg not found: apt-get install -y ffmpeg")
	}
	eng := testenv.Engine(t, "standard")
	lfw := testenv.Shared(t, "data/lfw/images")
	people, err := testclips.GatePeople(os.DirFS(lfw), 1)
	if err != nil {
		t.Fatal(err)
	}
	for i := range people[0] {
		data, _ := os.ReadFile(filepath.Join(lfw, people[0][i].Photo))
		if people[0][i].Face, err = imageio.Decode(data, imageio.Options{}); err != nil {
			t.Fatal(err)
		}
	}
	sc, err := testclips.GateScene(people[0], 1280, 720, 10, 12, 0)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	clip := filepath.Join(dir, "gate.mp4")
	if err := testclips.Encode(context.Background(), ff, sc, clip, "mp4"); err != nil {
		t.Fatal(err)
	}
	emb := &countingEmbedder{eng: eng}
	open := func(cfg stream.Config) (stream.Source, error) {
		return video.New(cfg.Source, video.Options{FFmpeg: ff, Width: cfg.Width, Height: cfg.Height, FPS: cfg.FPS, NoDrop: true, MaxAttempts: 1})
	}
	data := t.TempDir()
	sopts := store.Options{}
	e := serveAt(t, eng, data, sopts, server.Options{Cameras: &server.CameraOptions{Detector: eng, Embedder: emb, FileDir: dir, NewSource: open}})
	col := e.collection(e.admin, "staff")
	enrolled := map[string]string{} // subject id -> name
	for _, p := range people[0] {
		if !p.Enrolled {
			continue
		}
		img := centre(t, filepath.Join(lfw, testclips.EnrolPhoto(p.Name)))
		body, ct := form(map[string][][]byte{"images": {img}}, consentFields(p.Name))
		code, sub := e.call("POST", "/v1/collections/"+col+"/subjects", e.admin, body, ct)
		if code != 201 {
			t.Fatalf("enrol %s: %d %v", p.Name, code, sub)
		}
		enrolled[sub["id"].(string)] = p.Name
	}
	templatesBefore := e.rows("templates")
	// anti-spoofing off: the clip's walkers are face crops pasted on a wall,
	// photos to any anti-spoof model (TestGateCameraAntiSpoof has it on, on
	// the liveness camera clips); this test is about identification and
	// what is kept
	code, cam := e.js("POST", "/v1/cameras", e.admin, `{"name":"door","source":"`+clip+`","mode":"gate","collection_id":"`+col+`","fps":10,"anti_spoof":false}`)
	if code != 201 {
		t.Fatalf("gate camera: %d %v", code, cam)
	}
	e.waitCamera(e.admin, cam["id"].(string), stream.StateEnded)
	_, list := e.call("GET", "/v1/cameras/"+cam["id"].(string)+"/events?limit=1000", e.admin, nil, "")
	granted := map[string]bool{}
	denied := 0
	for _, ev := range list["events"].([]any) {
		m := ev.(map[string]any)
		d := m["detail"].(map[string]any)
		for k := range d {
			if k != "track" && k != "box" && k != "subject_id" && k != "score" {
				t.Errorf("event detail holds %q: %v", k, d)
			}
		}
		switch m["kind"] {
		case "granted":
			sid, _ := d["subject_id"].(string)
			if enrolled[sid] == "" {
				t.Errorf("granted someone not enrolled: %v", m)
			}
			granted[sid] = true
		case "denied_unknown":
			denied++
			if d["subject_id"] != nil || d["score"] != nil {
				t.Errorf("denied_unknown carries face data: %v", m)
			}
		}
	}
	t.Logf("gate: %d of %d enrolled granted, %d denied_unknown events, %d templates computed", len(granted), len(enrolled), denied, emb.n.Load())
	if len(granted) == 0 || denied == 0 {
		t.Errorf("granted %d subjects, %d denied: the gate did not decide", len(granted), denied)
	}
	// counting cameras: no template, tracks numbered per camera
	before := emb.n.Load()
	var camIDs []string
	for _, name := range []string{"hall-1", "hall-2"} {
		code, c := e.js("POST", "/v1/cameras", e.admin, `{"name":"`+name+`","source":"`+clip+`","mode":"count","fps":10,"line":[320,0,320,360],"width":640,"height":360}`)
		if code != 201 {
			t.Fatalf("count camera: %d %v", code, c)
		}
		camIDs = append(camIDs, c["id"].(string))
	}
	for _, id := range camIDs {
		e.waitCamera(e.admin, id, stream.StateEnded)
	}
	if n := emb.n.Load() - before; n != 0 {
		t.Errorf("counting cameras computed %d templates", n)
	}
	for _, id := range camIDs {
		_, l := e.call("GET", "/v1/cameras/"+id+"/events?limit=1000", e.admin, nil, "")
		evs := l["events"].([]any)
		if len(evs) == 0 {
			t.Fatalf("camera %s counted nobody", id)
		}
		first := evs[0].(map[string]any)["detail"].(map[string]any)["track"].(float64)
		for _, ev := range evs {
			if ev.(map[string]any)["camera_id"] != id {
				t.Errorf("camera %s lists another camera's event: %v", id, ev)
			}
		}
		if first > float64(len(people[0])) {
			t.Errorf("camera %s's first crossing is track %g: track ids continue across cameras", id, first)
		}
	}
	if n := e.rows("templates"); n != templatesBefore {
		t.Errorf("the cameras stored %d templates (enrolled: %d)", n-templatesBefore, templatesBefore)
	}
	e.st.Close()
	checkNoImages(t, data)
	for _, r := range registeredRoutes(t) {
		if strings.HasPrefix(r.path, "/v1/cameras") && r.method == "POST" && r.path != "/v1/cameras" {
			t.Errorf("%s %s: a camera route that takes a request body beyond the camera's settings", r.method, r.path)
		}
	}
}

// checkNoImages fails if any file under dir holds a JPEG, PNG or raw frame.
func checkNoImages(t *testing.T, dir string) {
	t.Helper()
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, _ := os.ReadFile(p)
		for _, magic := range [][]byte{[]byte("\xff\xd8\xff\xe0"), []byte("\xff\xd8\xff\xdb"), []byte("JFIF"), []byte("\x89PNG")} {
			if bytes.Contains(b, magic) {
				t.Errorf("%s holds image data (%q)", p, magic)
			}
		}
		if info.Size() > 64<<20 {
			t.Errorf("%s is %d bytes: frames stored?", p, info.Size())
		}
		return nil
	})
}

// centre returns the middle 150x150 of an LFW photo as JPEG: the person
// the folder is named for, without the others some photos show.
func centre(t *testing.T, path string) []byte {
	t.Helper()
	data, _ := os.ReadFile(path)
	m, err := imageio.Decode(data, imageio.Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := image.NewRGBA(image.Rect(0, 0, 150, 150))
	for y := range 150 {
		for x := range 150 {
			r, g, b := m.At(x+(m.W-150)/2, y+(m.H-150)/2)
			out.Set(x, y, color.RGBA{r, g, b, 255})
		}
	}
	var buf bytes.Buffer
	jpeg.Encode(&buf, out, &jpeg.Options{Quality: 95})
	return buf.Bytes()
}
