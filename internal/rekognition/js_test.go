package rekognition

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

// jsProgram is a Rekognition program written for AWS: it configures
// nothing but what the environment gives the SDK.
const jsProgram = `
const { RekognitionClient, CreateCollectionCommand, IndexFacesCommand, SearchFacesByImageCommand,
  DetectFacesCommand, ListCollectionsCommand } = require("@aws-sdk/client-rekognition");
(async () => {
  const out = {};
  const client = new RekognitionClient({});
  const img = (s) => ({ Bytes: Buffer.from(s) });
  await client.send(new CreateCollectionCommand({ CollectionId: "staff",
    Tags: { "mien:consent-purpose": "door access", "mien:consent-expires-days": "30" } }));
  const idx = await client.send(new IndexFacesCommand({ CollectionId: "staff", Image: img("FAKE:alice"), ExternalImageId: "alice" }));
  out.indexed = idx.FaceRecords.length;
  const s = await client.send(new SearchFacesByImageCommand({ CollectionId: "staff", Image: img("FAKE:alice2") }));
  out.match = s.FaceMatches.map((m) => m.Face.ExternalImageId);
  const d = await client.send(new DetectFacesCommand({ Image: img("FAKE:bob"), Attributes: ["ALL"] }));
  out.detailKeys = Object.keys(d.FaceDetails[0]).sort();
  const bad = new RekognitionClient({ credentials: { accessKeyId: process.env.AWS_ACCESS_KEY_ID, secretAccessKey: "wrong" }, maxAttempts: 1 });
  try { await bad.send(new ListCollectionsCommand({})); } catch (e) { out.wrongSecret = e.name; }
  try { await client.send(new DetectFacesCommand({ Image: { S3Object: { Bucket: "b", Name: "k" } } })); } catch (e) { out.s3 = e.name + ": " + e.message; }
  console.log(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });
`

// TestJavaScriptSDK runs an unmodified @aws-sdk/client-rekognition program
// against mien, configured by environment variables only. Enable with:
//
//	npm install --prefix /tmp/mien-js @aws-sdk/client-rekognition
//	MIEN_NODE_PATH=/tmp/mien-js/node_modules go test ./internal/rekognition -run JavaScript
func TestJavaScriptSDK(t *testing.T) {
	nodePath := os.Getenv("MIEN_NODE_PATH")
	node, err := exec.LookPath("node")
	if nodePath == "" || err != nil {
		t.Skip("needs node and MIEN_NODE_PATH holding @aws-sdk/client-rekognition (see the test's comment)")
	}
	s := newTestServer(t, fakeAnalyzer{}, Options{})
	script := filepath.Join(t.TempDir(), "program.js")
	if err := os.WriteFile(script, []byte(jsProgram), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx(t), node, script)
	cmd.Env = append(os.Environ(), "NODE_PATH="+nodePath,
		"AWS_ENDPOINT_URL_REKOGNITION="+s.URL, "AWS_ACCESS_KEY_ID="+keyA, "AWS_SECRET_ACCESS_KEY="+secretA,
		"AWS_REGION=us-east-1", "AWS_CONFIG_FILE=/nonexistent", "AWS_SHARED_CREDENTIALS_FILE=/nonexistent")
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
	if out.S3 != "InvalidParameterException: S3Object is not supported by mien; send Image.Bytes" {
		t.Errorf("S3Object: %q", out.S3)
	}
}
