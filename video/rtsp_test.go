package video

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"testing"
	"time"
)

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// perlRTSP is Debian's rtsp-server-perl with ffmpeg publishing a clip in a
// loop into it: a real RTSP server the tests can kill and restart.
type perlRTSP struct {
	t                   *testing.T
	ffmpeg, clip        string
	client, source, rtp int
	server, publisher   *exec.Cmd
}

func newPerlRTSP(t *testing.T, ffmpeg, clip string) *perlRTSP {
	if _, err := exec.LookPath("rtsp-server-perl"); err != nil {
		t.Skip("rtsp-server-perl not found: apt-get install -y rtsp-server-perl to run the RTSP tests")
	}
	p := &perlRTSP{t: t, ffmpeg: ffmpeg, clip: clip, client: freePort(t), source: freePort(t), rtp: 20000 + freePort(t)%20000}
	t.Cleanup(p.kill)
	return p
}

func (p *perlRTSP) URL() string { return fmt.Sprintf("rtsp://127.0.0.1:%d/cam", p.client) }

func (p *perlRTSP) start() {
	p.server = exec.Command("rtsp-server-perl", "--clientport", fmt.Sprint(p.client), "--serverport", fmt.Sprint(p.source),
		"--client_listen_address", "127.0.0.1", "--source_listen_address", "127.0.0.1",
		"--rtp_start_port", fmt.Sprint(p.rtp), "-l", "1")
	if err := p.server.Start(); err != nil {
		p.t.Fatal(err)
	}
	waitFor(p.t, 10*time.Second, "rtsp-server-perl to listen", func() bool {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", p.source))
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	// the Perl server takes published streams over UDP only
	p.publisher = exec.Command(p.ffmpeg, "-hide_banner", "-loglevel", "error", "-re", "-stream_loop", "-1",
		"-i", p.clip, "-c", "copy", "-f", "rtsp", "-rtsp_transport", "udp", fmt.Sprintf("rtsp://127.0.0.1:%d/cam", p.source))
	if err := p.publisher.Start(); err != nil {
		p.t.Fatal(err)
	}
}

// kill ends the server and the publisher (by their own process ids).
func (p *perlRTSP) kill() {
	for _, c := range []*exec.Cmd{p.publisher, p.server} {
		if c != nil && c.Process != nil {
			c.Process.Kill()
			c.Wait()
		}
	}
	p.publisher, p.server = nil, nil
}

// TestRTSPServerKilledAndRestarted pulls a clip from a real RTSP server
// over UDP, kills the server mid-stream and restarts it: the source
// notices the stall, reconnects with back-off and delivers frames again.
func TestRTSPServerKilledAndRestarted(t *testing.T) {
	ffmpeg := ffmpegPath(t)
	clip := makeClip(t, ffmpeg, "mp4", scene(320, 240, 50))
	srv := newPerlRTSP(t, ffmpeg, clip)
	srv.start()
	s, err := New(srv.URL(), Options{FFmpeg: ffmpeg, Width: 320, Height: 240, Transport: "udp",
		ConnectTimeout: 5 * time.Second, StallTimeout: time.Second, BackoffMin: 200 * time.Millisecond, BackoffMax: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	waitFor(t, 30*time.Second, "frames over RTSP", func() bool { return s.Health().FramesIn >= 10 })
	up := s.Health()
	srv.kill()
	waitFor(t, 15*time.Second, "the stall to be noticed", func() bool { return s.Health().Reconnects > up.Reconnects })
	before := s.Health()
	if before.LastErrorAt.Before(up.LastFrame) || before.LastError == "" {
		t.Errorf("no error reported after the server died: %+v", before)
	}
	srv.start()
	waitFor(t, 40*time.Second, "frames after the restart", func() bool {
		h := s.Health()
		return h.FramesIn >= before.FramesIn+10 && h.State == StateRunning
	})
	t.Logf("after restart: %+v (error while down: %s)", s.Health(), before.LastError)
}
