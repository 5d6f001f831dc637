package server_test

import (
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mienhq/mien/internal/server"
	"github.com/mienhq/mien/internal/store"
	"github.com/mienhq/mien/internal/stream"
	"github.com/mienhq/mien/internal/testenv"
	"github.com/mienhq/mien/video"
)

// TestGateCameraAntiSpoof runs gate cameras with anti-spoofing on (the
// default) over the liveness camera clips (scripts/liveness-clips.sh: real
// LFW photos of one person in front of the camera, a halftone print of one
// of them, a recorded pass replayed on a screen), that person enrolled from
// another photo: the live clip's camera grants them; the print's and the
// screen's say denied_not_live, with no subject and no score, and grant no
// one; a grey copy of the live clip (an infrared camera) is denied as not
// live and the server's log says why, once.
func TestGateCameraAntiSpoof(t *testing.T) {
	ff, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("ffmpeg not found: apt-get install -y ffmpeg")
	}
	eng := testenv.Engine(t, "standard")
	lfw := testenv.Shared(t, "data/lfw/images")
	clips := testenv.LivenessClips(t)
	open := func(cfg stream.Config) (stream.Source, error) {
		return video.New(cfg.Source, video.Options{FFmpeg: ff, Width: cfg.Width, Height: cfg.Height, FPS: cfg.FPS, NoDrop: true, MaxAttempts: 1})
	}
	dir := t.TempDir()
	for _, clip := range []string{"pass", "print", "screen"} {
		linkOrCopy(t, filepath.Join(clips, clip+".y4m"), filepath.Join(dir, clip+".y4m")) // the camera file directory holds them
	}
	if out, err := exec.Command(ff, "-v", "error", "-i", filepath.Join(clips, "pass.y4m"), "-vf", "hue=s=0", "-c:v", "libx264", "-crf", "18",
		filepath.Join(dir, "grey.mp4")).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v %s", err, out)
	}
	var logs logBuffer
	e := serveAt(t, eng, t.TempDir(), store.Options{}, server.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		Cameras: &server.CameraOptions{Detector: eng, Embedder: eng, Liveness: eng, FileDir: dir, NewSource: open}})
	col := e.collection(e.admin, "staff")
	// the clips show Tony_Blair_0045, 0049, 0071 and 0101
	body, ct := form(map[string][][]byte{"images": {centre(t, filepath.Join(lfw, "Tony_Blair", "Tony_Blair_0002.jpg"))}}, consentFields("tony"))
	code, sub := e.call("POST", "/v1/collections/"+col+"/subjects", e.admin, body, ct)
	if code != 201 {
		t.Fatalf("enrol: %d %v", code, sub)
	}
	for _, clip := range []string{"pass", "print", "screen", "grey"} {
		src := filepath.Join(dir, clip+".y4m")
		if clip == "grey" {
			src = filepath.Join(dir, "grey.mp4")
		}
		code, cam := e.js("POST", "/v1/cameras", e.admin, `{"name":"`+clip+`","source":"`+src+
			`","mode":"gate","collection_id":"`+col+`","fps":10,"width":640,"height":480}`)
		if code != 201 {
			t.Fatalf("%s camera: %d %v", clip, code, cam)
		}
		if st, _ := cam["settings"].(map[string]any); st["anti_spoof"] != true {
			t.Errorf("%s camera's settings %v: anti_spoof is not shown on", clip, st)
		}
		id := cam["id"].(string)
		e.waitCamera(e.admin, id, stream.StateEnded)
		_, list := e.call("GET", "/v1/cameras/"+id+"/events?limit=1000", e.admin, nil, "")
		kinds := map[string]int{}
		for _, ev := range list["events"].([]any) {
			m := ev.(map[string]any)
			d := m["detail"].(map[string]any)
			kinds[m["kind"].(string)]++
			switch m["kind"] {
			case "granted":
				if d["subject_id"] != sub["id"] {
					t.Errorf("%s: granted someone else: %v", clip, m)
				}
			case "denied_not_live":
				if d["subject_id"] != nil || d["score"] != nil {
					t.Errorf("%s: denied_not_live carries identity: %v", clip, m)
				}
			}
		}
		t.Logf("%s: events %v", clip, kinds)
		if grey := strings.Count(logs.String(), "no colour"); (clip == "grey") != (grey == 1) {
			t.Errorf("after the %s camera, the log says %d times that faces have no colour", clip, grey)
		}
		live := clip == "pass"
		if live && (kinds["granted"] == 0 || kinds["denied_not_live"] != 0) || !live && (kinds["granted"] != 0 || kinds["denied_not_live"] == 0) {
			t.Errorf("%s: events %v; want %s", clip, kinds, map[bool]string{true: "granted, never denied_not_live", false: "denied_not_live, never granted"}[live])
		}
	}
}

// linkOrCopy makes dst the same file as src: a hard link, or a copy across
// file systems.
func linkOrCopy(t *testing.T, src, dst string) {
	t.Helper()
	if os.Link(src, dst) == nil {
		return
	}
	b, err := os.ReadFile(src)
	if err == nil {
		err = os.WriteFile(dst, b, 0o644)
	}
	if err != nil {
		t.Fatal(err)
	}
}
