package server_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/mienhq/mien/internal/server"
	"github.com/mienhq/mien/internal/testenv"
)

// TestRekognitionJavaScriptSDK runs an unmodified AWS SDK for JavaScript
// program (web/e2e/rekognition.cjs), configured by environment variables
// only, against the real server with real photos; then mien's own identify
// endpoint finds the face it indexed for the probe it searched with.
func TestRekognitionJavaScriptSDK(t *testing.T) {
	node, dir := testenv.Node(t, "@aws-sdk/client-rekognition")
	e := rekServe(t, testenv.Engine(t, "standard"), server.Options{MaxBody: 8 << 20})
	id, secret := e.awsKey(e.admin, false)
	lfw := testenv.Shared(t, "data/lfw/images")
	photo := func(name string) string { return filepath.Join(lfw, name[:len(name)-9], name) }
	probe := photo("Colin_Powell_0002.jpg")
	cmd := exec.Command(node, filepath.Join(dir, "rekognition.cjs"))
	cmd.Env = append(os.Environ(), "AWS_ENDPOINT_URL_REKOGNITION="+e.url, "AWS_ACCESS_KEY_ID="+id, "AWS_SECRET_ACCESS_KEY="+secret,
		"AWS_REGION=us-east-1", "AWS_CONFIG_FILE=/nonexistent", "AWS_SHARED_CREDENTIALS_FILE=/nonexistent",
		"INDEX_IMAGE="+photo("Colin_Powell_0001.jpg"), "PROBE_IMAGE="+probe, "DETECT_IMAGE="+photo("Tony_Blair_0002.jpg"))
	b, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("node: %v\n%s", err, stderr)
	}
	t.Logf("%s", b)
	var out struct {
		Indexed     int
		FaceID      string
		Match       []string
		MatchIDs    []string
		Similarity  float64
		DetailKeys  []string
		WrongSecret string
		S3          string
		Liveness    string
	}
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	if out.Indexed != 1 || !slices.Equal(out.Match, []string{"alice"}) || !slices.Equal(out.MatchIDs, []string{out.FaceID}) || out.Similarity < 80 {
		t.Errorf("index and search: %+v", out)
	}
	if want := []string{"BoundingBox", "Confidence", "Landmarks", "Pose", "Quality"}; !slices.Equal(out.DetailKeys, want) {
		t.Errorf("FaceDetail keys %v, want only %v", out.DetailKeys, want)
	}
	if out.WrongSecret != "InvalidSignatureException" || out.S3 != "InvalidS3ObjectException: mien does not read images from S3 (S3Object): send the image's bytes in Image.Bytes" {
		t.Errorf("errors: %+v", out)
	}
	if out.Liveness != "CREATED" {
		t.Errorf("Face Liveness: %q, want a session CREATED (and no image)", out.Liveness)
	}
	// The same gallery through mien's own API: identify names the subject behind that FaceId.
	_, cols := e.call("GET", "/v1/collections", e.admin, nil, "")
	col := cols["collections"].([]any)[0].(map[string]any)
	data, _ := os.ReadFile(probe)
	body, ct := form(map[string][][]byte{"image": {data}}, nil)
	_, res := e.call("POST", "/v1/collections/"+col["id"].(string)+"/identify", e.admin, body, ct)
	f0 := res["faces"].([]any)[0].(map[string]any)
	if f0["decision"] != "match" {
		t.Fatalf("identify: %v", res)
	}
	sid := f0["candidates"].([]any)[0].(map[string]any)["subject_id"].(string)
	_, sub := e.call("GET", "/v1/collections/"+col["id"].(string)+"/subjects/"+sid, e.admin, nil, "")
	if sub["external_id"] != out.FaceID || col["name"] != "staff" {
		t.Fatalf("identify found subject %v (collection %v), want the FaceId %s indexed through the SDK", sub, col["name"], out.FaceID)
	}
}
