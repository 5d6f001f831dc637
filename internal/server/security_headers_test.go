package server_test

import (
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/mienhq/mien/internal/server"
)

func get(t *testing.T, url, key string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// TestSecurityHeaders: every answer carries nosniff, DENY framing, no
// referrer and a Content-Security-Policy; the web UI's policy allows its
// own inline script by hash and nothing else. Before the fix there were
// none.
func TestSecurityHeaders(t *testing.T) {
	addr, admin, _ := listenLimited(t, server.Options{}, server.ConnLimits{})
	base := "http://" + addr
	for _, path := range []string{"/healthz", "/v1/collections", "/v1/openapi.json", "/", "/ui/", "/nope"} {
		resp, _ := get(t, base+path, admin)
		h := resp.Header
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("X-Frame-Options") != "DENY" ||
			h.Get("Referrer-Policy") != "no-referrer" || !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
			t.Errorf("%s: security headers missing: %v", path, h)
		}
	}
	resp, page := get(t, base+"/", "")
	csp := resp.Header.Get("Content-Security-Policy")
	scriptSrc := ""
	for _, d := range strings.Split(csp, ";") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(d), "script-src "); ok {
			scriptSrc = v
		}
	}
	if !strings.HasPrefix(scriptSrc, "'self'") || strings.Contains(scriptSrc, "unsafe") || strings.Contains(scriptSrc, "*") ||
		strings.Contains(csp, "style-src 'self' 'unsafe-inline'") {
		t.Errorf("the UI's policy allows more than its own scripts and styles: %s", csp)
	}
	for rest := page; ; {
		_, after, ok := strings.Cut(rest, "<script>") // inline scripts must be allowed by hash
		if !ok {
			break
		}
		script, _, _ := strings.Cut(after, "</script>")
		sum := sha256.Sum256([]byte(script))
		if !strings.Contains(scriptSrc, "'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'") {
			t.Errorf("the UI's inline script is not allowed by hash: %s", csp)
		}
		rest = after
	}
	resp, _ = get(t, base+"/healthz", "")
	if got := resp.Header.Get("Content-Security-Policy"); !strings.HasPrefix(got, "default-src 'none'") {
		t.Errorf("an API answer's policy: %s", got)
	}
}

// TestSecurityMetricsAndOpenAPI: /metrics needs an admin key unless
// metrics_public is set; /v1/openapi.json is public (it describes the API,
// it holds no data). Before the fix /metrics answered anyone.
func TestSecurityMetricsAndOpenAPI(t *testing.T) {
	addr, admin, read := listenLimited(t, server.Options{}, server.ConnLimits{})
	base := "http://" + addr
	for _, c := range []struct {
		path, key string
		want      int
	}{
		{"/metrics", "", 401}, {"/metrics", "mien_nope", 401}, {"/metrics", read, 403}, {"/metrics", admin, 200},
		{"/v1/openapi.json", "", 200},
	} {
		resp, body := get(t, base+c.path, c.key)
		if resp.StatusCode != c.want {
			t.Errorf("GET %s with key %q: %d, want %d", c.path, c.key, resp.StatusCode, c.want)
		}
		if c.want == 200 && c.path == "/metrics" && !strings.Contains(body, "mien_queue_depth") {
			t.Errorf("metrics body: %s", body)
		}
	}
	pub, _, _ := listenLimited(t, server.Options{MetricsPublic: true}, server.ConnLimits{})
	if resp, body := get(t, "http://"+pub+"/metrics", ""); resp.StatusCode != 200 || !strings.Contains(body, "mien_queue_depth") {
		t.Errorf("metrics_public: %d %s", resp.StatusCode, body)
	}
}
