package video

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/imageio"
)

// TestMJPEGRateFromArrival: an MJPEG camera sending 10 frames a second,
// analysed at 5 fps, gives 5 frames a second. MJPEG carries no timestamps;
// without stamping frames as they arrive ffmpeg takes the stream as 25 fps
// and the fps filter keeps 2 frames a second (each 0.5 s of the scene apart).
func TestMJPEGRateFromArrival(t *testing.T) {
	ffmpeg := ffmpegPath(t)
	img := face.NewImage(160, 120)
	var b bytes.Buffer
	if err := imageio.EncodeJPEG(&b, img, 85); err != nil {
		t.Fatal(err)
	}
	j := b.Bytes()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "multipart/x-mixed-replace; boundary=frame")
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			fmt.Fprintf(w, "--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n", len(j))
			if _, err := w.Write(append(j, "\r\n"...)); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-tick.C:
			}
		}
	}))
	defer srv.Close()
	s, err := New(srv.URL+"/video.mjpg", Options{FFmpeg: ffmpeg, Width: 160, Height: 120, FPS: 5, Format: "mpjpeg"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	if _, err := s.Next(ctx); err != nil { // connected
		t.Fatal(err)
	}
	start, n := time.Now(), 0
	for time.Since(start) < 4*time.Second {
		f, err := s.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		s.Release(f)
		n++
	}
	rate := float64(n) / time.Since(start).Seconds()
	if rate < 3.8 || rate > 6.2 {
		t.Errorf("%.1f frames a second from a 10 fps MJPEG camera analysed at 5 fps, want about 5", rate)
	}
}
