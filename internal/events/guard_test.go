package events

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mienhq/mien/internal/store"
	"github.com/mienhq/mien/internal/stream"
)

func TestRefusedRanges(t *testing.T) {
	for _, c := range []struct {
		ip, why string // why "": a public address, allowed
	}{
		{"127.0.0.1", "loopback"}, {"127.8.9.10", "loopback"}, {"::1", "loopback"}, {"::ffff:127.0.0.1", "loopback"},
		{"169.254.169.254", "link-local"}, {"169.254.0.1", "link-local"}, {"fe80::1", "link-local"}, {"fe80::1%eth0", "link-local"},
		{"::ffff:169.254.169.254", "link-local"}, {"64:ff9b::a9fe:a9fe", "link-local"}, // NAT64 of 169.254.169.254
		{"10.0.0.1", "private"}, {"172.16.0.1", "private"}, {"172.31.255.254", "private"}, {"192.168.1.10", "private"},
		{"fc00::1", "private"}, {"fd12:3456::1", "private"}, {"2002:c0a8:0101::1", "private"}, // 6to4 of 192.168.1.1
		{"0.0.0.0", "unspecified"}, {"::", "unspecified"}, {"0.1.2.3", "this-network"},
		{"224.0.0.1", "multicast"}, {"239.255.255.250", "multicast"}, {"ff02::1", "multicast"}, {"ff05::2", "multicast"},
		{"100.100.100.200", "shared (carrier-grade NAT, some clouds' metadata)"}, {"255.255.255.255", "reserved or broadcast"},
		{"198.18.0.1", "benchmarking"}, {"::7f00:1", "IPv4-compatible"},
		{"93.184.216.34", ""}, {"172.32.0.1", ""}, {"172.15.255.255", ""}, {"2606:4700::1111", ""}, {"64:ff9b::808:808", ""},
	} {
		if got := Refused(netip.MustParseAddr(c.ip)); got != c.why {
			t.Errorf("%s: %q, want %q", c.ip, got, c.why)
		}
	}
}

// names answers for the test's host names; no test resolves a real name.
func names(m map[string][]string) func(context.Context, string) ([]netip.Addr, error) {
	return func(_ context.Context, host string) ([]netip.Addr, error) {
		var out []netip.Addr
		for _, a := range m[host] {
			out = append(out, netip.MustParseAddr(a))
		}
		if len(out) == 0 {
			return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
		}
		return out, nil
	}
}

func TestCheckURL(t *testing.T) {
	ctx := context.Background()
	lookup := names(map[string][]string{
		"localhost": {"127.0.0.1", "::1"}, "metadata.google.internal": {"169.254.169.254"},
		"hooks.example": {"93.184.216.34"}, "split.example": {"93.184.216.34", "10.0.0.7"}, "v6.example": {"fd00::5"},
	})
	strict := &Guard{Lookup: lookup}
	lan := &Guard{Lookup: lookup, Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("192.168.10.0/24")}}
	for _, c := range []struct {
		g      *Guard
		url    string
		reason string // "": allowed
	}{
		{strict, "https://hooks.example/mien", ""},
		{strict, "http://93.184.216.34:8080/x", ""},
		{strict, "ftp://hooks.example/x", "http or https"},
		{strict, "file:///etc/passwd", "http or https"},
		{strict, "gopher://hooks.example/", "http or https"},
		{strict, "http:///nohost", "http or https"},
		{strict, "javascript:alert(1)", "http or https"},
		{strict, "http://127.0.0.1:9/hook", "loopback"},
		{strict, "http://localhost/hook", "loopback"},
		{strict, "http://[::1]:80/", "loopback"},
		{strict, "http://169.254.169.254/latest/meta-data/", "link-local"},
		{strict, "http://metadata.google.internal/computeMetadata/v1/", "link-local"},
		{strict, "http://[fe80::1%25eth0]/", "link-local"},
		{strict, "http://10.1.2.3/", "private"},
		{strict, "http://172.20.0.1/", "private"},
		{strict, "http://192.168.1.1/", "private"},
		{strict, "http://v6.example/", "private"},
		{strict, "http://split.example/", "private"}, // one bad address refuses the host
		{strict, "http://0.0.0.0:8080/", "unspecified"},
		{strict, "http://[::]/", "unspecified"},
		{strict, "http://224.0.0.251/", "multicast"},
		{strict, "http://[::ffff:10.0.0.1]/", "private"},
		{strict, "http://nowhere.example/", "does not resolve"},
		{lan, "http://127.0.0.1:9/hook", ""},
		{lan, "http://192.168.10.20/open", ""},
		{lan, "http://192.168.11.20/open", "private"},
		{lan, "http://169.254.169.254/", "link-local"},
		{lan, "ftp://127.0.0.1/", "http or https"},
	} {
		err := c.g.CheckURL(ctx, c.url)
		switch {
		case c.reason == "" && err != nil:
			t.Errorf("%s: %v, want allowed", c.url, err)
		case c.reason != "" && (!errors.Is(err, ErrDestination) || !strings.Contains(err.Error(), c.reason)):
			t.Errorf("%s: %v, want refused (%s)", c.url, err, c.reason)
		}
	}
}

// flipResolver answers hooks.example with a public address until rebind
// is set, then with the loopback address (DNS rebinding).
type flipResolver struct{ rebind atomic.Bool }

func (f *flipResolver) lookup(_ context.Context, host string) ([]netip.Addr, error) {
	if host != "hooks.example" {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	if f.rebind.Load() {
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
	}
	return []netip.Addr{netip.MustParseAddr("93.184.216.34")}, nil
}

// TestDeliveryChecksEachConnection: the deliverer dials the address it
// has just checked (never the name); when the name later resolves to
// loopback (DNS rebinding after the URL was registered), the webhook is
// refused before any connection and stays in the outbox.
func TestDeliveryChecksEachConnection(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	var hits atomic.Int32
	rcv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	rcv.Config.SetKeepAlivesEnabled(false) // each delivery dials, so each is checked
	rcv.Start()
	defer rcv.Close()
	port := rcv.Listener.Addr().(*net.TCPAddr).Port
	var mu sync.Mutex
	var dialed []string
	res := &flipResolver{}
	g := &Guard{Lookup: res.lookup, Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
		mu.Lock()
		dialed = append(dialed, addr)
		mu.Unlock()
		// the public address stands for a receiver on the internet: this
		// test's receiver plays it, on loopback
		return (&net.Dialer{}).DialContext(ctx, network, rcv.Listener.Addr().String())
	}}
	hook := "http://hooks.example:" + strconv.Itoa(port) + "/mien"
	if err := g.CheckURL(ctx, hook); err != nil {
		t.Fatalf("registration: %v", err)
	}
	ten, _ := st.CreateTenant(ctx, "t")
	cam, err := st.CreateCamera(ctx, store.Camera{TenantID: ten.ID, Name: "c", Source: "/x.mp4", Mode: store.ModeCount, Secret: "s",
		Settings: store.CameraSettings{WebhookURL: hook}}, "test")
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	d := NewDeliverer(st, g, slog.New(slog.NewTextHandler(&logs, nil)))
	hub := NewHub(st, NewBroker(), nil, g, nil)
	hub.Event(ctx, cam.ID, stream.Event{Kind: stream.KindIn, Track: 1, At: time.Now()})
	if d.Once(ctx) != 1 || hits.Load() != 1 {
		t.Fatalf("before rebinding: %d hits, want 1; log: %s", hits.Load(), logs.String())
	}
	if want := "93.184.216.34:" + strconv.Itoa(port); len(dialed) != 1 || dialed[0] != want {
		t.Fatalf("dialed %v, want [%s]: the checked address, not the name", dialed, want)
	}
	res.rebind.Store(true)
	hub.Event(ctx, cam.ID, stream.Event{Kind: stream.KindOut, Track: 1, At: time.Now()})
	d.Once(ctx)
	if n, _ := st.OutboxPending(ctx); hits.Load() != 1 || len(dialed) != 1 || n != 1 {
		t.Errorf("after rebinding to 127.0.0.1: %d hits, dialed %v, %d pending; want 1 hit, no new dial, 1 pending", hits.Load(), dialed, n)
	}
	if !strings.Contains(logs.String(), "hooks.example is 127.0.0.1, a loopback address") {
		t.Errorf("the refusal is not in the delivery's error: %s", logs.String())
	}
}

// TestNoRedirectFollowed: a receiver that answers with a redirect to an
// internal address fails the delivery; nothing is sent there, even to a
// network that is allowed.
func TestNoRedirectFollowed(t *testing.T) {
	inside, err := net.Listen("tcp", "127.0.0.2:0") // an internal service
	if err != nil {
		t.Skip("no 127.0.0.2 on this machine:", err)
	}
	var reached atomic.Int32
	internal := &httptest.Server{Listener: inside, Config: &http.Server{Handler: http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reached.Add(1) })}}
	internal.Start()
	defer internal.Close()
	for _, target := range []string{internal.URL + "/admin", "http://169.254.169.254/latest/meta-data/iam/"} {
		rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, target, http.StatusTemporaryRedirect)
		}))
		for _, allow := range []string{"127.0.0.1/32", "127.0.0.0/8"} { // the target refused, then allowed: never followed
			g := &Guard{Allow: []netip.Prefix{netip.MustParsePrefix(allow)}}
			err := Post(context.Background(), g.Client(5*time.Second), rcv.URL, []byte("s"), "evt_1", []byte(`{}`))
			if err == nil || !strings.Contains(err.Error(), "307") {
				t.Errorf("redirect to %s (allow %s): %v, want the 307 as a failure", target, allow, err)
			}
		}
		rcv.Close()
	}
	if reached.Load() != 0 {
		t.Errorf("the internal service was reached %d times through a redirect", reached.Load())
	}
}

// TestRelayRefusedDestination: a relay on a refused address is never
// called, even when the camera's event is stored and passed on.
func TestRelayRefusedDestination(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	var calls atomic.Int32
	door := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { calls.Add(1) }))
	defer door.Close()
	ten, _ := st.CreateTenant(ctx, "t")
	col, _ := st.CreateCollection(ctx, ten.ID, "staff", "m", "test")
	cam, _ := st.CreateCamera(ctx, store.Camera{TenantID: ten.ID, Name: "door", Source: "/x.mp4", Mode: store.ModeGate, Collection: col.ID, Secret: "sec"}, "test")
	var logs bytes.Buffer
	hub := NewHub(st, NewBroker(), nil, nil, slog.New(slog.NewTextHandler(&logs, nil))) // nil: the strict guard
	hub.SetRelay(cam.ID, door.URL, "sec")
	if err := hub.Event(ctx, cam.ID, stream.Event{Kind: stream.KindGranted, Track: 1, Subject: "emp-7", Score: 0.7}); err != nil {
		t.Fatal(err)
	}
	hub.Close()
	if calls.Load() != 0 || !strings.Contains(logs.String(), "loopback") {
		t.Errorf("relay on loopback without an allow-list: %d calls; log %s", calls.Load(), logs.String())
	}
	if evs, _ := st.CameraEvents(ctx, ten.ID, cam.ID, 0, 10); len(evs) != 1 {
		t.Errorf("the event itself: %v", evs)
	}
	// the scheme is checked at delivery too (a URL stored before the check existed)
	for _, u := range []string{"file:///etc/passwd", "ftp://" + strings.TrimPrefix(door.URL, "http://")} {
		if err := Post(ctx, loopback.Client(time.Second), u, []byte("s"), "evt", []byte(`{}`)); err == nil {
			t.Errorf("%s: posted", u)
		}
	}
	if calls.Load() != 0 {
		t.Errorf("door called %d times", calls.Load())
	}
}
