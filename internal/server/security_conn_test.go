package server_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/detect"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/internal/server"
	"github.com/mienhq/mien/internal/store"
)

// noFaceEngine finds no face in anything (tests of the transport).
type noFaceEngine struct{}

func (noFaceEngine) Analyze(context.Context, []byte, detect.Options) (*mien.Analysis, error) {
	return &mien.Analysis{Width: 10, Height: 10}, nil
}
func (noFaceEngine) Compare(a, b face.Embedding) (float32, error) { return face.Cosine(a, b) }
func (noFaceEngine) Threshold(float64) (float32, error)           { return 0.3, nil }
func (noFaceEngine) ModelID() string                              { return "fake-recognizer" }

// listenLimited serves a server the way `mien serve` does: its HTTPServer
// on a LimitListener. It returns the address and the admin and read keys of
// a tenant.
func listenLimited(t *testing.T, opts server.Options, l server.ConnLimits) (string, string, string) {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "mien.db"), store.Options{MasterKey: master})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ten, _ := st.CreateTenant(context.Background(), "a")
	admin, _, _ := st.CreateKey(context.Background(), ten.ID, store.RoleAdmin, "test")
	read, _, _ := st.CreateKey(context.Background(), ten.ID, store.RoleRead, "test")
	opts.Engine, opts.Store = noFaceEngine{}, st
	srv, err := server.New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := srv.HTTPServer(l)
	go hs.Serve(server.LimitListener(ln, l))
	t.Cleanup(func() { hs.Close() })
	return ln.Addr().String(), admin, read
}

// dialFrom opens a TCP connection to addr from the loopback address src.
func dialFrom(t *testing.T, src, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 2 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// closedWithin reports whether the server closes c within d.
func closedWithin(c net.Conn, d time.Duration) bool {
	c.SetReadDeadline(time.Now().Add(d))
	_, err := c.Read(make([]byte, 1))
	var ne net.Error
	return err != nil && !(errors.As(err, &ne) && ne.Timeout())
}

// TestSecurityIdleConnections: one client holding many silent connections
// gets only its share, they are closed when their headers do not come,
// kept-alive connections are closed when idle, and /healthz answers
// other clients meanwhile. Before the fix every connection was accepted
// and a silent one stayed open 10 s, a kept-alive idle one for ever.
func TestSecurityIdleConnections(t *testing.T) {
	l := server.ConnLimits{MaxConns: 64, MaxConnsPerIP: 8, ReadHeaderTimeout: time.Second, IdleTimeout: time.Second}
	addr, _, _ := listenLimited(t, server.Options{}, l)
	var held []net.Conn
	for range 30 {
		c := dialFrom(t, "127.0.0.2", addr)
		c.Write([]byte("GET /healthz HTTP/1.1\r\n")) // a slow client: headers never finished
		held = append(held, c)
	}
	open := 0
	for _, c := range held {
		if !closedWithin(c, 100*time.Millisecond) {
			open++
		}
	}
	if open != l.MaxConnsPerIP {
		t.Fatalf("one client holds %d connections, want %d", open, l.MaxConnsPerIP)
	}
	hc := &http.Client{Timeout: 2 * time.Second}
	resp, err := hc.Get("http://" + addr + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("/healthz while a client holds connections: %v %v", resp, err)
	}
	resp.Body.Close()
	for i, c := range held {
		if !closedWithin(c, 3*time.Second) {
			t.Fatalf("silent connection %d still open after the header timeout", i)
		}
	}
	c := dialFrom(t, "127.0.0.3", addr)
	c.Write([]byte("GET /healthz HTTP/1.1\r\nHost: mien\r\n\r\n"))
	resp, err = http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil || resp.StatusCode != 200 || resp.Close {
		t.Fatalf("kept-alive request: %v %v", resp, err)
	}
	io.Copy(io.Discard, resp.Body)
	if !closedWithin(c, 3*time.Second) {
		t.Fatal("an idle kept-alive connection is still open after the idle timeout")
	}
}

// TestSecurityConnectionCap: the total cap holds across clients.
func TestSecurityConnectionCap(t *testing.T) {
	l := server.ConnLimits{MaxConns: 10, MaxConnsPerIP: 8, ReadHeaderTimeout: 5 * time.Second}
	addr, _, _ := listenLimited(t, server.Options{}, l)
	open := 0
	for _, src := range []string{"127.0.0.2", "127.0.0.3"} {
		for range 8 {
			if c := dialFrom(t, src, addr); !closedWithin(c, 100*time.Millisecond) {
				open++
			}
		}
	}
	if open != 10 {
		t.Fatalf("%d connections open, want the cap of 10", open)
	}
}
