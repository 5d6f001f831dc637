package server_test

import (
	"testing"
	"time"

	"github.com/mienhq/mien/imageio/imageiotest"
)

// TestSecurityJPEGBombOverHTTP: the progressive-JPEG CPU bomb of issue 9
// (about 1 MB declaring 38 MP in 12,001 scans) sent to /v1/detect with a
// read key is refused at once with 413. Before the fix it held an engine
// worker for minutes, past the request timeout.
func TestSecurityJPEGBombOverHTTP(t *testing.T) {
	e := setup(t)
	bomb := imageiotest.ProgressiveJPEG(6400, 6000, 12000)
	body, ct := form(map[string][][]byte{"image": {bomb}}, nil)
	start := time.Now()
	code, out := e.call("POST", "/v1/detect", e.admin, body, ct)
	took := time.Since(start)
	t.Logf("bomb of %d bytes: %d in %v", len(bomb), code, took)
	if code != 413 || out["error"] == nil {
		t.Fatalf("bomb: %d %v, want 413", code, out)
	}
	if took > 5*time.Second {
		t.Fatalf("refusing the bomb took %v", took)
	}
}
