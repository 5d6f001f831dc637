package rekognition

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/mienhq/mien/internal/testenv"
)

// TestJavaScriptSDK runs an unmodified @aws-sdk/client-rekognition program
// (web/e2e/rekognition.cjs) against mien, configured by environment
// variables only. It needs node and web/e2e's node modules (scripts/test.sh
// installs them).
func TestJavaScriptSDK(t *testing.T) {
	node, script, nodePath := jsSDK(t)
	s := newTestServer(t, fakeAnalyzer{}, Options{})
	cmd := exec.CommandContext(ctx(t), node, script)
	cmd.Env = append(os.Environ(), "NODE_PATH="+nodePath,
		"AWS_ENDPOINT_URL_REKOGNITION="+s.URL, "AWS_ACCESS_KEY_ID="+keyA, "AWS_SECRET_ACCESS_KEY="+secretA,
		"AWS_REGION=us-east-1", "AWS_CONFIG_FILE=/nonexistent", "AWS_SHARED_CREDENTIALS_FILE=/nonexistent",
		"INDEX_IMAGE=FAKE:alice", "PROBE_IMAGE=FAKE:alice2", "DETECT_IMAGE=FAKE:bob")
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, err.(*exec.ExitError).Stderr)
	}
	var out struct {
		Indexed     int
		Match       []string
		DetailKeys  []string
		WrongSecret string
		S3          string
		Liveness    string
	}
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	t.Logf("%s", b)
	if out.Indexed != 1 || len(out.Match) != 1 || out.Match[0] != "alice" {
		t.Errorf("index and search: %+v", out)
	}
	if want := []string{"BoundingBox", "Confidence", "Landmarks", "Pose", "Quality"}; !slices.Equal(out.DetailKeys, want) {
		t.Errorf("FaceDetail keys %v, want only %v", out.DetailKeys, want)
	}
	if out.WrongSecret != "InvalidSignatureException" {
		t.Errorf("wrong secret: %q", out.WrongSecret)
	}
	if out.Liveness != "UnknownOperationException" {
		t.Errorf("Face Liveness on a backend without it: %q", out.Liveness)
	}
	if out.S3 != "InvalidS3ObjectException: mien does not read images from S3 (S3Object): send the image's bytes in Image.Bytes" {
		t.Errorf("S3Object: %q", out.S3)
	}
}

// jsSDK finds node, the program and the SDK's node_modules, or skips.
func jsSDK(t *testing.T) (node, script, nodePath string) {
	t.Helper()
	node, dir := testenv.Node(t, "@aws-sdk/client-rekognition")
	return node, filepath.Join(dir, "rekognition.cjs"), filepath.Join(dir, "node_modules")
}
