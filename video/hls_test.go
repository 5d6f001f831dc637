package video

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestHTTPStreams pulls MPEG-TS and HLS over HTTP from a loopback server.
func TestHTTPStreams(t *testing.T) {
	ffmpeg := ffmpegPath(t)
	dir := t.TempDir()
	sc := scene(320, 240, 40)
	ts := makeClip(t, ffmpeg, "ts", sc)
	// segment the clip into an HLS playlist of 1-second pieces
	hls := exec.Command(ffmpeg, "-hide_banner", "-loglevel", "error", "-i", ts, "-c", "copy", "-f", "hls",
		"-hls_time", "1", "-hls_list_size", "0", filepath.Join(dir, "live.m3u8"))
	if out, err := hls.CombinedOutput(); err != nil {
		t.Fatalf("making HLS: %v: %s", err, out)
	}
	mux := http.NewServeMux()
	mux.Handle("/hls/", http.StripPrefix("/hls/", http.FileServer(http.Dir(dir))))
	mux.HandleFunc("/cam.ts", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "video/mp2t")
		http.ServeFile(w, r, ts)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	for _, path := range []string{"/cam.ts", "/hls/live.m3u8"} {
		t.Run(path, func(t *testing.T) {
			s, err := New(srv.URL+path, Options{FFmpeg: ffmpeg, Width: 320, Height: 240, NoDrop: true,
				BackoffMin: 100 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s.Start(ctx)
			defer s.Stop()
			for i := 0; i < 40; i++ { // the whole clip
				f, err := s.Next(ctx)
				if err != nil {
					t.Fatalf("frame %d: %v (health %+v)", i+1, err, s.Health())
				}
				s.Release(f)
			}
			// the stream ends and, being a network source, is reconnected
			waitFor(t, 20*time.Second, "a reconnect after the end", func() bool { return s.Health().Reconnects >= 1 })
		})
	}
}
