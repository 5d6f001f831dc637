package video

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"testing"
	"time"
)

// gstRTSP is the GStreamer RTSP server (testdata/gst-rtsp-server.py), which
// serves a clip over both TCP and UDP transports.
type gstRTSP struct {
	t    *testing.T
	clip string
	port int
	cmd  *exec.Cmd
}

func newGstRTSP(t *testing.T, clip string) *gstRTSP {
	probe := exec.Command("/usr/bin/python3", "-c",
		`import gi; gi.require_version("GstRtspServer", "1.0"); from gi.repository import GstRtspServer`)
	if err := probe.Run(); err != nil {
		t.Skip("GStreamer RTSP server not found: apt-get install -y python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-good")
	}
	g := &gstRTSP{t: t, clip: clip, port: freePort(t)}
	t.Cleanup(g.kill)
	return g
}

func (g *gstRTSP) URL() string { return fmt.Sprintf("rtsp://127.0.0.1:%d/cam", g.port) }

func (g *gstRTSP) start() {
	g.cmd = exec.Command("/usr/bin/python3", "testdata/gst-rtsp-server.py", fmt.Sprint(g.port), g.clip)
	if err := g.cmd.Start(); err != nil {
		g.t.Fatal(err)
	}
	waitFor(g.t, 15*time.Second, "the GStreamer RTSP server to listen", func() bool {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", g.port))
		if err == nil {
			c.Close()
		}
		return err == nil
	})
}

func (g *gstRTSP) kill() {
	if g.cmd != nil && g.cmd.Process != nil {
		g.cmd.Process.Kill()
		g.cmd.Wait()
	}
	g.cmd = nil
}

// TestRTSPTransports pulls over TCP and UDP; over TCP the server is killed
// and restarted mid-stream.
func TestRTSPTransports(t *testing.T) {
	ffmpeg := ffmpegPath(t)
	clip := makeClip(t, ffmpeg, "mp4", scene(320, 240, 100))
	for _, transport := range []string{"tcp", "udp"} {
		t.Run(transport, func(t *testing.T) {
			srv := newGstRTSP(t, clip)
			srv.start()
			s, err := New(srv.URL(), Options{FFmpeg: ffmpeg, Width: 320, Height: 240, Transport: transport,
				StallTimeout: time.Second, BackoffMin: 200 * time.Millisecond, BackoffMax: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			s.Start(context.Background())
			defer s.Stop()
			waitFor(t, 30*time.Second, "frames over RTSP/"+transport, func() bool { return s.Health().FramesIn >= 10 })
			if transport == "udp" {
				return
			}
			up := s.Health()
			srv.kill()
			waitFor(t, 15*time.Second, "the loss to be noticed", func() bool { return s.Health().Reconnects > up.Reconnects })
			down := s.Health()
			srv.start()
			waitFor(t, 30*time.Second, "frames after the restart", func() bool {
				h := s.Health()
				return h.FramesIn >= down.FramesIn+10 && h.State == StateRunning
			})
			if down.LastError == "" || down.LastErrorAt.Before(up.LastFrame) {
				t.Errorf("no error reported while the server was down: %+v", down)
			}
			t.Logf("while down: %s; after: %+v", down.LastError, s.Health())
		})
	}
}
