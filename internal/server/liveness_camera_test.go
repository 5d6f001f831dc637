package server_test

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mienhq/mien/internal/server"
	"github.com/mienhq/mien/internal/store"
	"github.com/mienhq/mien/internal/stream"
	"github.com/mienhq/mien/internal/testenv"
	"github.com/mienhq/mien/video"
)

// TestLivenessFromCamera: a liveness session whose frames the server reads
// itself from a camera of the tenant (a trusted capture path: the client
// sends none). The camera plays the liveness clips in real time: the pass
// clip's session is live and its token logs the person in; the print
// clip's is not live. The client cannot send frames to such a session,
// follows its progress with GET and ends it with the nonce alone; a camera
// of no one, or one that has ended, is refused.
func TestLivenessFromCamera(t *testing.T) {
	ff, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("ffmpeg not found: apt-get install -y ffmpeg")
	}
	cs := livenessClips(t)
	dir := t.TempDir()
	for _, clip := range []string{"pass", "print"} {
		linkOrCopy(t, filepath.Join(cs.dir, clip+".y4m"), filepath.Join(dir, clip+".y4m"))
	}
	open := func(cfg stream.Config) (stream.Source, error) {
		return video.New(cfg.Source, video.Options{FFmpeg: ff, Width: cfg.Width, Height: cfg.Height, FPS: cfg.FPS, Realtime: true, MaxAttempts: 1})
	}
	eng := testenv.Engine(t, "standard")
	e := serve(t, eng, store.Options{}, server.Options{Liveness: server.LivenessOptions{Challenges: cs.Challenges, MaxFrames: 400, TTL: time.Minute},
		Cameras: &server.CameraOptions{Detector: eng, FileDir: dir, NewSource: open}})
	col := e.collection(e.admin, "staff")
	sub := e.enrolClipPerson(col, cs.Person)
	if code, out := e.js("POST", "/v1/liveness/sessions", e.admin, `{"camera_id":"cam_nobody"}`); code != 404 {
		t.Errorf("a camera of no one: %d %v", code, out)
	}
	for _, clip := range []string{"pass", "print"} {
		code, cam := e.js("POST", "/v1/cameras", e.admin, `{"name":"kiosk-`+clip+`","source":"`+filepath.Join(dir, clip+".y4m")+
			`","mode":"count","line":[320,0,320,480],"fps":10,"width":640,"height":480}`)
		if code != 201 {
			t.Fatalf("camera: %d %v", code, cam)
		}
		camID := cam["id"].(string)
		code, ses := e.js("POST", "/v1/liveness/sessions", e.admin, `{"camera_id":"`+camID+`"}`)
		if code != 201 || ses["camera_id"] != camID || ses["stream_url"] != "" {
			t.Fatalf("%s: session from the camera: %d %v", clip, code, ses)
		}
		id, nonce := ses["id"].(string), ses["nonce"].(string)
		// the client sends no frame
		body, ct := form(map[string][][]byte{"frames": {centre(t, filepath.Join(cs.dir, "frames", clip, "000.jpg"))}},
			map[string]string{"nonce": nonce, "timestamps": "0"})
		if code, out := e.call("POST", "/v1/liveness/sessions/"+id+"/frames", e.admin, body, ct); code != 409 || !strings.Contains(errCode(out), "frames_from_camera") {
			t.Errorf("%s: a client frame: %d %v, want 409 frames_from_camera", clip, code, out)
		}
		e.waitCamera(e.admin, camID, stream.StateEnded) // the clip has played
		_, got := e.call("GET", "/v1/liveness/sessions/"+id, e.admin, nil, "")
		p, _ := got["progress"].(map[string]any)
		if got["frames"].(float64) < 20 || p == nil {
			t.Fatalf("%s: the camera fed %v frames, progress %v", clip, got["frames"], p)
		}
		t.Logf("%s: %v frames from the camera, last progress %v", clip, got["frames"], p)
		body, ct = form(nil, map[string]string{"nonce": "00000000000000000000000000000000"})
		if code, _ := e.call("POST", "/v1/liveness/sessions/"+id+"/frames", e.admin, body, ct); code == 200 {
			t.Errorf("%s: ended with another nonce", clip)
		}
		body, ct = form(nil, map[string]string{"nonce": nonce})
		code, v := e.call("POST", "/v1/liveness/sessions/"+id+"/frames", e.admin, body, ct)
		want := map[string]string{"pass": "live", "print": "not_live"}[clip]
		if code != 200 || v["result"] != want {
			t.Fatalf("%s: verdict %d %v, want %s", clip, code, v, want)
		}
		t.Logf("%s: %v %v passive %v", clip, v["result"], v["reasons"], v["passive_score"])
		if clip == "pass" {
			if code, out := e.verifyToken(e.admin, col, sub, v["token"].(string)); code != 200 || out["decision"] != "match" {
				t.Errorf("the camera session's token: %d %v", code, out)
			}
		}
		if code, out := e.js("POST", "/v1/liveness/sessions", e.admin, `{"camera_id":"`+camID+`"}`); code != 409 || !strings.Contains(errCode(out), "camera_not_running") {
			t.Errorf("%s: a session from an ended camera: %d %v, want 409", clip, code, out)
		}
	}
}
