package rekognition

import (
	"bytes"
	"context"
	"errors"
	stdimage "image"
	"image/draw"
	"image/jpeg"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	rek "github.com/aws/aws-sdk-go-v2/service/rekognition"
	"github.com/aws/smithy-go"

	"github.com/mienhq/mien/internal/testenv"
)

// Test keys: tenant A read-write and read-only, tenant B read-write.
const (
	keyA, secretA   = "AKIAMIENTENANTA00001", "secret/for/tenant+A"
	keyRO, secretRO = "AKIAMIENREADONLY0001", "secret-read-only"
	keyB, secretB   = "AKIAMIENTENANTB00001", "secret-for-tenant-B"
	region          = "eu-west-3"
)

// testServer serves a Handler over a Memory backend with the test keys.
type testServer struct {
	*httptest.Server
	mem *Memory
	h   *Handler
}

func newTestServer(t testing.TB, a Analyzer, opts Options) *testServer {
	t.Helper()
	mem := NewMemory(a)
	mem.AddKey(keyA, Credentials{Tenant: "tenant-a", Secret: secretA})
	mem.AddKey(keyRO, Credentials{Tenant: "tenant-a", Secret: secretRO, ReadOnly: true})
	mem.AddKey(keyB, Credentials{Tenant: "tenant-b", Secret: secretB})
	return serveBackend(t, mem, opts)
}

func serveBackend(t testing.TB, b Backend, opts Options) *testServer {
	h := New(b, opts)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	mem, _ := b.(*Memory)
	return &testServer{Server: srv, mem: mem, h: h}
}

// client returns an SDK client pointed at the server: a custom base
// endpoint and static credentials, nothing else.
func (s *testServer) client(key, secret string) *rek.Client {
	cfg := aws.Config{
		Region:           region,
		Credentials:      credentials.NewStaticCredentialsProvider(key, secret, ""),
		RetryMaxAttempts: 1,
	}
	return rek.NewFromConfig(cfg, func(o *rek.Options) { o.BaseEndpoint = aws.String(s.URL) })
}

// awsCode returns the AWS error code of err ("" if none).
func awsCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := awsCode(err); got != code {
		t.Fatalf("want %s, got %v", code, err)
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}

// fixture reads a file from ../shared/fixtures/insightface (or skips).
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	return readShared(t, "fixtures/insightface/"+name)
}

func readShared(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(testenv.Shared(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sideBySide returns a JPEG with the images next to each other, the second
// scaled by an integer factor.
func sideBySide(t *testing.T, a, b []byte, scaleB int) []byte {
	t.Helper()
	ia, _, err := stdimage.Decode(bytes.NewReader(a))
	if err != nil {
		t.Fatal(err)
	}
	ib, _, err := stdimage.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	wa, ha := ia.Bounds().Dx(), ia.Bounds().Dy()
	wb, hb := ib.Bounds().Dx()*scaleB, ib.Bounds().Dy()*scaleB
	dst := stdimage.NewRGBA(stdimage.Rect(0, 0, wa+wb, max(ha, hb)))
	draw.Draw(dst, stdimage.Rect(0, 0, wa, ha), ia, ia.Bounds().Min, draw.Src)
	for y := 0; y < hb; y++ {
		for x := 0; x < wb; x++ {
			dst.Set(wa+x, y, ib.At(ib.Bounds().Min.X+x/scaleB, ib.Bounds().Min.Y+y/scaleB))
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, dst, &jpeg.Options{Quality: 92}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
