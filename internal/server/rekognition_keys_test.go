package server_test

// The Rekognition endpoint on the real server, without models: access keys
// through the admin API, signatures, mounts, read-only keys, the bounded
// queue (ThrottlingException) and a configuration-only SDK program.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	rek "github.com/aws/aws-sdk-go-v2/service/rekognition"
	"github.com/aws/aws-sdk-go-v2/service/rekognition/types"
	"github.com/aws/smithy-go"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/detect"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/internal/server"
	"github.com/mienhq/mien/internal/store"
)

const rekRegion = "eu-west-3"

// rekFakeEngine finds no face; while block is not nil, Analyze waits on it.
type rekFakeEngine struct {
	entered chan struct{}
	block   chan struct{}
}

func (f *rekFakeEngine) Analyze(ctx context.Context, _ []byte, _ detect.Options) (*mien.Analysis, error) {
	if f.block != nil {
		f.entered <- struct{}{}
		select {
		case <-f.block:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return &mien.Analysis{Width: 10, Height: 10}, nil
}
func (f *rekFakeEngine) Compare(a, b face.Embedding) (float32, error) { return face.Cosine(a, b) }
func (f *rekFakeEngine) Threshold(far float64) (float32, error)       { return 0.3, nil }
func (f *rekFakeEngine) ModelID() string                              { return "fake-recognizer" }
func (f *rekFakeEngine) Similarity(cos float32) float32               { return 100 * max(0, cos) }
func (f *rekFakeEngine) CosineForSimilarity(sim float32) float32      { return sim / 100 }

// rekServe runs a server over a fresh store with tenants a and b, each with
// an admin key, and returns the env.
func rekServe(t *testing.T, eng server.Engine, opts server.Options) *env {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = rekQuietLog()
	}
	return serve(t, eng, store.Options{}, opts)
}

func rekQuietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// awsKey issues an access key through the admin API.
func (e *env) awsKey(admin string, readOnly bool) (string, string) {
	e.t.Helper()
	code, out := e.call("POST", "/v1/rekognition/keys", admin, strings.NewReader(fmt.Sprintf(`{"read_only":%v}`, readOnly)), "application/json")
	if code != 201 {
		e.t.Fatalf("create access key: %d %v", code, out)
	}
	return out["access_key_id"].(string), out["secret_access_key"].(string)
}

// rekClient is an unmodified SDK client: only its endpoint and keys point
// at mien.
func rekClient(endpoint, id, secret string) *rek.Client {
	cfg := aws.Config{Region: rekRegion, Credentials: credentials.NewStaticCredentialsProvider(id, secret, ""), RetryMaxAttempts: 1}
	return rek.NewFromConfig(cfg, func(o *rek.Options) { o.BaseEndpoint = aws.String(endpoint) })
}

func awsCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func wantAWS(t *testing.T, err error, code string) {
	t.Helper()
	if got := awsCode(err); got != code {
		t.Fatalf("want %s, got %v", code, err)
	}
}

func rekCtx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}

func TestRekognitionAccessKeys(t *testing.T) {
	e := rekServe(t, &rekFakeEngine{}, server.Options{})
	ctx := rekCtx(t)
	// Only an admin bearer key issues access keys.
	if code, _ := e.call("POST", "/v1/rekognition/keys", "", nil, ""); code != 401 {
		t.Fatalf("no bearer key: %d", code)
	}
	tenantA, _ := e.st.CreateTenant(ctx, "a")
	reader, _, _ := e.st.CreateKey(ctx, tenantA.ID, store.RoleRead, "test")
	if code, _ := e.call("POST", "/v1/rekognition/keys", reader, nil, ""); code != 403 {
		t.Fatalf("read key issues an access key: %d", code)
	}
	id, secret := e.awsKey(e.admin, false)
	roID, roSecret := e.awsKey(e.admin, true)
	if len(id) != 20 || len(secret) != 40 {
		t.Fatalf("access key %q, secret of %d characters", id, len(secret))
	}

	// Every mount point verifies: the root, /rekognition and /rekognition/.
	for _, ep := range []string{e.url, e.url + "/rekognition", e.url + "/rekognition/"} {
		if _, err := rekClient(ep, id, secret).CreateCollection(ctx, &rek.CreateCollectionInput{CollectionId: aws.String("c" + fmt.Sprint(len(ep)))}); err != nil {
			t.Fatalf("endpoint %s: %v", ep, err)
		}
	}
	c := rekClient(e.url, id, secret)
	l, err := c.ListCollections(ctx, &rek.ListCollectionsInput{})
	if err != nil || len(l.CollectionIds) != 3 {
		t.Fatalf("list: %v %v", l, err)
	}
	// A wrong secret, an unknown key.
	_, err = rekClient(e.url, id, secret+"x").ListCollections(ctx, &rek.ListCollectionsInput{})
	wantAWS(t, err, "InvalidSignatureException")
	_, err = rekClient(e.url, "MIENAAAAAAAAAAAAAAAA", secret).ListCollections(ctx, &rek.ListCollectionsInput{})
	wantAWS(t, err, "UnrecognizedClientException")
	// A request without any signature.
	resp, err := http.Post(e.url+"/", "application/x-amz-json-1.1", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.HasPrefix(resp.Header.Get("X-Amzn-ErrorType"), "MissingAuthenticationTokenException") {
		t.Fatalf("unsigned: %d %q", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"))
	}
	// Read-only keys read.
	ro := rekClient(e.url, roID, roSecret)
	if _, err := ro.DescribeCollection(ctx, &rek.DescribeCollectionInput{CollectionId: aws.String(l.CollectionIds[0])}); err != nil {
		t.Fatal(err)
	}
	_, err = ro.DeleteCollection(ctx, &rek.DeleteCollectionInput{CollectionId: aws.String(l.CollectionIds[0])})
	wantAWS(t, err, "AccessDeniedException")

	// The listing shows no secret; the other tenant cannot revoke A's key.
	req, _ := http.NewRequest("GET", e.url+"/v1/rekognition/keys", nil)
	req.Header.Set("Authorization", "Bearer "+e.admin)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Contains(body, []byte(id)) || bytes.Contains(body, []byte(secret)) || bytes.Contains(body, []byte("secret")) {
		t.Fatalf("key listing: %d %s", resp.StatusCode, body)
	}
	if code, _ := e.call("DELETE", "/v1/rekognition/keys/"+id, e.other, nil, ""); code != 404 {
		t.Fatalf("the other tenant revokes A's key: %d", code)
	}
	if code, _ := e.call("DELETE", "/v1/rekognition/keys/"+id, e.admin, nil, ""); code != 204 {
		t.Fatalf("revoke: %d", code)
	}
	_, err = c.ListCollections(ctx, &rek.ListCollectionsInput{})
	wantAWS(t, err, "UnrecognizedClientException")
	if n, err := e.st.VerifyAudit(ctx); err != nil || n < 8 {
		t.Fatalf("audit: %d %v", n, err)
	}
}

// TestRekognitionConsentPolicyAPI: a collection made through /v1 gets its
// consent policy through /v1; without one, IndexFaces is refused.
func TestRekognitionConsentPolicyAPI(t *testing.T) {
	e := rekServe(t, &rekFakeEngine{}, server.Options{})
	ctx := rekCtx(t)
	col := e.collection(e.admin, "lobby")
	id, secret := e.awsKey(e.admin, false)
	c := rekClient(e.url, id, secret)
	d, err := c.DescribeCollection(ctx, &rek.DescribeCollectionInput{CollectionId: aws.String("lobby")})
	if err != nil || *d.FaceCount != 0 {
		t.Fatalf("a /v1 collection through the SDK: %v %v", d, err)
	}
	_, err = c.IndexFaces(ctx, &rek.IndexFacesInput{CollectionId: aws.String("lobby"), Image: &types.Image{Bytes: []byte("x")}})
	wantAWS(t, err, "AccessDeniedException")
	if code, _ := e.call("GET", "/v1/collections/"+col+"/consent-policy", e.admin, nil, ""); code != 404 {
		t.Fatalf("policy before one is declared: %d", code)
	}
	if code, out := e.call("PUT", "/v1/collections/"+col+"/consent-policy", e.admin, strings.NewReader(`{"purpose":""}`), "application/json"); code != 422 {
		t.Fatalf("empty purpose: %d %v", code, out)
	}
	code, out := e.call("PUT", "/v1/collections/"+col+"/consent-policy", e.admin, strings.NewReader(`{"purpose":"lobby door","retention_days":30,"evidence":"forms"}`), "application/json")
	if code != 200 || out["purpose"] != "lobby door" || out["retention_days"].(float64) != 30 {
		t.Fatalf("declare: %d %v", code, out)
	}
	if code, _ := e.call("PUT", "/v1/collections/"+col+"/consent-policy", e.other, strings.NewReader(`{"purpose":"x"}`), "application/json"); code != 404 {
		t.Fatalf("the other tenant declares: %d", code)
	}
	// Now IndexFaces passes the policy check (the fake engine finds no face).
	out2, err := c.IndexFaces(ctx, &rek.IndexFacesInput{CollectionId: aws.String("lobby"), Image: &types.Image{Bytes: []byte("x")}})
	if err != nil || len(out2.FaceRecords) != 0 {
		t.Fatalf("IndexFaces under a declared policy: %v %v", out2, err)
	}
}

// TestRekognitionThrottling: when the engine queue is full the SDK gets
// ThrottlingException, as AWS answers it.
func TestRekognitionThrottling(t *testing.T) {
	eng := &rekFakeEngine{entered: make(chan struct{}, 4), block: make(chan struct{})}
	e := rekServe(t, eng, server.Options{Workers: 1, Queue: 1})
	id, secret := e.awsKey(e.admin, false)
	c := rekClient(e.url, id, secret)
	ctx := rekCtx(t)
	done := make(chan error, 2)
	detectOnce := func() error {
		_, err := c.DetectFaces(ctx, &rek.DetectFacesInput{Image: &types.Image{Bytes: []byte("x")}})
		return err
	}
	go func() { done <- detectOnce() }()
	<-eng.entered // one call runs
	go func() { done <- detectOnce() }()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) { // one waits
		_, _, b := e.raw("GET", "/metrics", e.admin, nil, "")
		if bytes.Contains(b, []byte("mien_queue_depth 1")) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the second call never queued:\n%s", b)
		}
	}
	wantAWS(t, detectOnce(), "ThrottlingException")
	close(eng.block)
	for range 2 {
		if err := <-done; err != nil {
			t.Fatalf("queued call: %v", err)
		}
	}
}

// TestRekognitionConfigurationOnly: a program that loads the default AWS
// configuration reaches `mien serve` through environment variables alone.
func TestRekognitionConfigurationOnly(t *testing.T) {
	e := rekServe(t, &rekFakeEngine{}, server.Options{})
	id, secret := e.awsKey(e.admin, false)
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_ENDPOINT_URL_REKOGNITION", e.url)
	t.Setenv("AWS_ACCESS_KEY_ID", id)
	t.Setenv("AWS_SECRET_ACCESS_KEY", secret)
	t.Setenv("AWS_REGION", "us-east-1")
	os.Unsetenv("AWS_PROFILE")
	cfg, err := awsconfig.LoadDefaultConfig(rekCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	client := rek.NewFromConfig(cfg)
	if _, err := client.CreateCollection(rekCtx(t), &rek.CreateCollectionInput{CollectionId: aws.String("staff")}); err != nil {
		t.Fatal(err)
	}
	out, err := client.ListCollections(rekCtx(t), &rek.ListCollectionsInput{})
	if err != nil || len(out.CollectionIds) != 1 || out.CollectionIds[0] != "staff" {
		t.Fatalf("%+v, %v", out, err)
	}
}
