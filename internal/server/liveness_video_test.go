package server_test

import (
	"bytes"
	"mime/multipart"
	"os/exec"
	"testing"
	"time"

	"github.com/mienhq/mien/internal/server"
)

// videoUpload posts one video to a session's frames.
func (e *env) videoUpload(key, id, nonce string, clip []byte) (int, map[string]any) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("nonce", nonce)
	w, _ := mw.CreateFormFile("video", "clip.y4m")
	w.Write(clip)
	mw.Close()
	return e.call("POST", "/v1/liveness/sessions/"+id+"/frames", key, &buf, mw.FormDataContentType())
}

// TestLivenessVideoUpload: a short video is decoded by ffmpeg (from a pipe)
// at 10 frames a second and fed to the session: a passing clip is live with
// a token; a clip longer than the time since the session began, garbage,
// and a video over the size limit are refused; without ffmpeg, 501.
func TestLivenessVideoUpload(t *testing.T) {
	ff, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("ffmpeg is not installed")
	}
	e, _, clk := liveServe(t, server.LivenessOptions{PerTenant: 4, MaxFrames: 100, FFmpeg: ff, MaxVideoBytes: 1 << 20})
	id, nonce, ks := e.liveStart(e.admin)
	// Each frame of the passing sequence held for 0.3 s, as a Y4M clip.
	var pngs bytes.Buffer
	for _, f := range passing(1, ks) {
		for range 3 {
			pngs.Write(f)
		}
	}
	cmd := exec.Command(ff, "-hide_banner", "-loglevel", "error", "-f", "image2pipe", "-framerate", "10", "-i", "pipe:0",
		"-pix_fmt", "yuv420p", "-f", "yuv4mpegpipe", "pipe:1")
	cmd.Stdin = &pngs
	clip, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	if code, out := e.videoUpload(e.admin, id, nonce, clip); code != 400 {
		t.Errorf("a clip longer than the session so far: %d %v, want 400", code, out)
	}
	clk.advance(5 * time.Second)
	code, out := e.videoUpload(e.admin, id, nonce, clip)
	if code != 200 || out["result"] != "live" || out["token"] == nil || out["frames"] != float64(3*len(passing(1, ks))) {
		t.Fatalf("passing clip: %d %v, want live with a token and %d frames", code, out, 3*len(passing(1, ks)))
	}
	id, nonce, _ = e.liveStart(e.admin)
	if code, out := e.videoUpload(e.admin, id, nonce, []byte("not a video, just words")); code != 415 || errCode(out) != "unsupported_video" {
		t.Errorf("garbage: %d %v, want 415 unsupported_video", code, out)
	}
	if code, out := e.videoUpload(e.admin, id, nonce, make([]byte, 1<<20+1)); code != 413 || errCode(out) != "video_too_large" {
		t.Errorf("over the size limit: %d %v, want 413", code, out)
	}
	if code, out := e.call("GET", "/v1/liveness/sessions/"+id, e.admin, nil, ""); code != 200 || out["frames"] != 0.0 {
		t.Errorf("after refused videos: %d %v, want no frame", code, out)
	}
	e2, _, _ := liveServe(t, server.LivenessOptions{})
	id, nonce, _ = e2.liveStart(e2.admin)
	if code, out := e2.videoUpload(e2.admin, id, nonce, clip); code != 501 || errCode(out) != "video_unavailable" {
		t.Errorf("without ffmpeg: %d %v, want 501", code, out)
	}
}
