package video

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/imageio"
)

// mjpegHandler serves the scene as a multipart MJPEG stream at 20 fps, as
// IP cameras do. With perConn > 0 it hangs up after that many frames.
func mjpegHandler(t *testing.T, perConn int, conns *atomic.Int32) http.HandlerFunc {
	sc := scene(320, 240, 40)
	var jpegs [][]byte
	img := face.NewImage(320, 240)
	for i := 0; i < sc.Frames; i++ {
		if _, err := sc.Render(i, img); err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := imageio.EncodeJPEG(&b, img, 85); err != nil {
			t.Fatal(err)
		}
		jpegs = append(jpegs, b.Bytes())
	}
	return func(w http.ResponseWriter, r *http.Request) {
		conns.Add(1)
		w.Header().Set("Content-Type", "multipart/x-mixed-replace; boundary=frame")
		for i := 0; perConn == 0 || i < perConn; i++ {
			j := jpegs[i%len(jpegs)]
			fmt.Fprintf(w, "--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n", len(j))
			if _, err := w.Write(append(j, "\r\n"...)); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
}

func TestHTTPMJPEG(t *testing.T) {
	ffmpeg := ffmpegPath(t)
	var conns atomic.Int32
	srv := httptest.NewServer(mjpegHandler(t, 0, &conns))
	defer srv.Close()
	base := runtime.NumGoroutine()
	s, err := New(srv.URL+"/video.mjpg", Options{FFmpeg: ffmpeg, Width: 320, Height: 240, Format: "mpjpeg"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	want := face.NewImage(320, 240)
	scene(320, 240, 40).Render(0, want)
	for i := 0; i < 30; i++ {
		f, err := s.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if f.Seq == 1 && meanAbsDiff(f.Image.Pix, want.Pix) > 6 {
			t.Errorf("first MJPEG frame differs from the served picture")
		}
		s.Release(f)
	}
	h := s.Health()
	if h.State != StateRunning || h.FPSIn < 10 || h.FPSIn > 30 || h.FramesOut != 30 || h.LastError != "" {
		t.Errorf("health %+v; want running at about 20 fps", h)
	}
	s.Stop()
	settleGoroutines(t, base)
}

// TestReconnectsWhenServerHangsUp: the camera drops the connection every 15
// frames; the source reconnects, counts it and keeps delivering.
func TestReconnectsWhenServerHangsUp(t *testing.T) {
	ffmpeg := ffmpegPath(t)
	var conns atomic.Int32
	srv := httptest.NewServer(mjpegHandler(t, 15, &conns))
	defer srv.Close()
	s, err := New(srv.URL+"/video.mjpg", Options{FFmpeg: ffmpeg, Width: 160, Height: 120,
		Format: "mpjpeg", BackoffMin: 50 * time.Millisecond, Queue: 64})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	waitFor(t, 30*time.Second, "40 frames over reconnects", func() bool { return s.Health().FramesIn >= 40 })
	h := s.Health()
	if h.Reconnects < 2 || conns.Load() < 3 || !strings.Contains(h.LastError, "stream ended") {
		t.Errorf("health %+v after %d connections; want reconnects and the end of stream reported", h, conns.Load())
	}
}

// TestSourceThatNeverAnswers: a port that accepts and says nothing. The wait
// is bounded, the error shows in health, and another source is unaffected.
func TestSourceThatNeverAnswers(t *testing.T) {
	ffmpeg := ffmpegPath(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // hold it open, say nothing
		}
	}()
	good := makeClip(t, ffmpeg, "mp4", scene(160, 120, 20))
	base := runtime.NumGoroutine()
	dead, err := New("http://"+ln.Addr().String()+"/stream", Options{FFmpeg: ffmpeg, Width: 160, Height: 120,
		ConnectTimeout: 700 * time.Millisecond, BackoffMin: 100 * time.Millisecond, MaxAttempts: 2})
	if err != nil {
		t.Fatal(err)
	}
	live, err := New(good, Options{FFmpeg: ffmpeg, Width: 160, Height: 120, Loop: true, Realtime: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	start := time.Now()
	dead.Start(ctx)
	live.Start(ctx)
	_, derr := dead.Next(ctx) // returns once MaxAttempts failed
	took := time.Since(start)
	h := dead.Health()
	if derr == nil || !strings.Contains(derr.Error(), "gave up after 2 attempts") || took > 6*time.Second {
		t.Errorf("Next on a silent source = %v after %s", derr, took)
	}
	if h.State != StateEnded || h.Reconnects != 1 || !strings.Contains(h.LastError, "no frame within 700ms") {
		t.Errorf("silent source health %+v", h)
	}
	if lh := live.Health(); lh.FramesIn < 5 || lh.LastError != "" {
		t.Errorf("the other source was held up: %+v", lh)
	}
	live.Stop()
	dead.Stop()
	settleGoroutines(t, base)
}

// TestGarbageBytes: a server that answers with noise. ffmpeg's complaint
// reaches health and the source retries with back-off.
func TestGarbageBytes(t *testing.T) {
	ffmpeg := ffmpegPath(t)
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "video/mp2t")
		noise := make([]byte, 256<<10)
		rng := rand.New(rand.NewPCG(1, 2))
		for i := range noise {
			noise[i] = byte(rng.Uint32())
		}
		w.Write(noise)
	}))
	defer srv.Close()
	s, err := New(srv.URL+"/live.ts", Options{FFmpeg: ffmpeg, Width: 160, Height: 120,
		BackoffMin: 50 * time.Millisecond, MaxAttempts: 3, ConnectTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	s.Start(context.Background())
	defer s.Stop()
	_, nerr := s.Next(context.Background())
	h := s.Health()
	if nerr == nil || h.FramesIn != 0 || h.State != StateEnded || hits.Load() != 3 || h.LastError == "" {
		t.Errorf("garbage source: Next = %v, %d hits, health %+v", nerr, hits.Load(), h)
	}
	t.Logf("last error: %s", h.LastError)
}

// TestStallIsDetected: the camera sends a few frames, then keeps the
// connection open and silent. The watchdog kills ffmpeg and reconnects.
func TestStallIsDetected(t *testing.T) {
	ffmpeg := ffmpegPath(t)
	var conns atomic.Int32
	frames := mjpegHandler(t, 5, &conns)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		frames(w, r)
		<-r.Context().Done() // then silence, connection held open
	}))
	defer srv.Close()
	s, err := New(srv.URL+"/video.mjpg", Options{FFmpeg: ffmpeg, Width: 160, Height: 120, Format: "mpjpeg",
		StallTimeout: 500 * time.Millisecond, BackoffMin: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	s.Start(context.Background())
	defer s.Stop()
	waitFor(t, 20*time.Second, "a reconnect after the stall", func() bool { return s.Health().Reconnects >= 1 })
	h := s.Health()
	if !strings.Contains(h.LastError, "stream stalled for 500ms") || h.FramesIn < 3 {
		t.Errorf("health %+v; want the stall reported", h)
	}
}

// TestPasswordNotInHealth: a camera URL's password never reaches health.
func TestPasswordNotInHealth(t *testing.T) {
	ffmpeg := ffmpegPath(t)
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	src := strings.Replace(srv.URL, "http://", "http://admin:s3cret@", 1) + "/video.mjpg"
	s, err := New(src, Options{FFmpeg: ffmpeg, Width: 160, Height: 120, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	s.Start(context.Background())
	defer s.Stop()
	_, nerr := s.Next(context.Background())
	h := s.Health()
	if nerr == nil || h.LastError == "" || strings.Contains(h.LastError, "s3cret") || strings.Contains(nerr.Error(), "s3cret") ||
		strings.Contains(s.String(), "s3cret") {
		t.Errorf("password leaked or no error: %q / %v / %s", h.LastError, nerr, s)
	}
	t.Logf("last error: %s", h.LastError)
}
