package server_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/mienhq/mien/internal/events"
	"github.com/mienhq/mien/internal/server"
	"github.com/mienhq/mien/internal/store"
)

// loopbackHooks lets tests register webhooks on their receivers, which
// listen on 127.0.0.1 (cameras.webhook_allow_cidrs: ["127.0.0.0/8"]).
var loopbackHooks = &events.Guard{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}

// noTraffic stands in for dialling the public addresses the test's names
// resolve to: nothing leaves this machine.
func noTraffic(context.Context, string, string) (net.Conn, error) {
	return nil, errors.New("test: no traffic leaves this machine")
}

// TestCameraWebhookDestinations: webhook and relay URLs that lead to the
// server's own networks are refused when a camera is created or updated
// (400, nothing stored or changed), names resolved first; a public
// receiver is taken; the server's allow-list lets a network through.
func TestCameraWebhookDestinations(t *testing.T) {
	lookup := func(_ context.Context, host string) ([]netip.Addr, error) {
		switch host {
		case "hooks.example":
			return []netip.Addr{netip.MustParseAddr("93.184.216.34")}, nil
		case "localhost":
			return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
		case "metadata.internal":
			return []netip.Addr{netip.MustParseAddr("169.254.169.254")}, nil
		}
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	e := serve(t, &rekFakeEngine{}, store.Options{}, server.Options{Logger: rekQuietLog(),
		Cameras: &server.CameraOptions{Detector: &truthDetector{}, Outbound: &events.Guard{Lookup: lookup, Dial: noTraffic}}})
	body := func(field, url string) string {
		return `{"name":"door","source":"rtsp://127.0.0.1:9/x","mode":"count","line":[0,0,10,10],"` + field + `":"` + url + `"}`
	}
	for _, c := range []struct{ field, url, why string }{
		{"webhook_url", "http://169.254.169.254/latest/meta-data/", "link-local"},
		{"webhook_url", "http://metadata.internal/computeMetadata/v1/", "link-local"},
		{"webhook_url", "http://localhost:8080/hook", "loopback"},
		{"webhook_url", "http://127.0.0.1:9/hook", "loopback"},
		{"webhook_url", "http://[::1]/hook", "loopback"},
		{"webhook_url", "http://10.0.0.5/hook", "private"},
		{"webhook_url", "http://[fd00::1]/hook", "private"},
		{"webhook_url", "http://0.0.0.0/hook", "unspecified"},
		{"webhook_url", "http://239.1.2.3/hook", "multicast"},
		{"webhook_url", "http://nowhere.example/hook", "does not resolve"},
		{"webhook_url", "gopher://hooks.example/", "http or https"},
		{"relay_url", "http://192.168.1.20/open", "private"},
		{"relay_url", "http://172.16.5.5/open", "private"},
	} {
		code, out := e.js("POST", "/v1/cameras", e.admin, body(c.field, c.url))
		if msg := toJSON(out); code != 400 || !strings.Contains(msg, c.field) || !strings.Contains(msg, c.why) {
			t.Errorf("%s %s: %d %s, want 400 naming the field and %q", c.field, c.url, code, msg, c.why)
		}
	}
	if n := e.cameraCount(); n != 0 {
		t.Fatalf("refused cameras left %d stored", n)
	}
	code, cam := e.js("POST", "/v1/cameras", e.admin, body("webhook_url", "https://hooks.example/mien"))
	if code != 201 {
		t.Fatalf("a public receiver: %d %v", code, cam)
	}
	id := cam["id"].(string)
	if code, out := e.js("PUT", "/v1/cameras/"+id, e.admin, body("webhook_url", "http://169.254.169.254/")); code != 400 {
		t.Errorf("update to the metadata service: %d %v", code, out)
	}
	_, got := e.call("GET", "/v1/cameras/"+id, e.admin, nil, "")
	if st, _ := got["settings"].(map[string]any); st["webhook_url"] != "https://hooks.example/mien" {
		t.Errorf("a refused update changed the camera: %v", got)
	}

	lan := serve(t, &rekFakeEngine{}, store.Options{}, server.Options{Logger: rekQuietLog(),
		Cameras: &server.CameraOptions{Detector: &truthDetector{}, Outbound: loopbackHooks}})
	if code, out := lan.js("POST", "/v1/cameras", lan.admin, body("webhook_url", "http://127.0.0.1:9/hook")); code != 201 {
		t.Errorf("loopback with 127.0.0.0/8 allowed: %d %v", code, out)
	}
	if code, out := lan.js("POST", "/v1/cameras", lan.admin, strings.Replace(body("relay_url", "http://10.0.0.5/open"), "door", "door2", 1)); code != 400 {
		t.Errorf("a private network not in the allow-list: %d %v", code, out)
	}
}
