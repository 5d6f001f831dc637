package rekognition

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	rek "github.com/aws/aws-sdk-go-v2/service/rekognition"
	"github.com/aws/aws-sdk-go-v2/service/rekognition/types"

	"github.com/mienhq/mien/imageio/imageiotest"
	"github.com/mienhq/mien/internal/testenv"
)

// sdkSign signs req with the AWS SDK's own signer, over the headers req
// holds at this moment.
func sdkSign(t testing.TB, req *http.Request, body, key, secret string) {
	t.Helper()
	sum := sha256.Sum256([]byte(body))
	creds := aws.Credentials{AccessKeyID: key, SecretAccessKey: secret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "rekognition", region, time.Now()); err != nil {
		t.Fatal(err)
	}
}

// TestSecuritySignedHeaders: x-amz-target, content-type and host must be
// signed. Before the fix a DescribeCollection signed without x-amz-target
// (as a client that signs only host and x-amz-date sends it) was captured
// and replayed as DeleteCollection, and the collection was deleted.
func TestSecuritySignedHeaders(t *testing.T) {
	s := newTestServer(t, fakeAnalyzer{}, Options{})
	c := s.client(keyA, secretA)
	if _, err := c.CreateCollection(ctx(t), &rek.CreateCollectionInput{CollectionId: aws.String("victim")}); err != nil {
		t.Fatal(err)
	}
	body := `{"CollectionId":"victim"}`
	unsignedHeader := func(name, value string) func() *http.Request {
		return func() *http.Request {
			req, _ := http.NewRequest(http.MethodPost, s.URL, strings.NewReader(body))
			req.Header.Set("Content-Type", contentType)
			req.Header.Set("X-Amz-Target", targetPrefix+"DescribeCollection")
			req.Header.Del(name)
			sdkSign(t, req, body, keyA, secretA) // the SDK signs what is there
			req.Header.Set(name, value)          // added after signing: unsigned
			return req
		}
	}
	handEdited := func() *http.Request { // signed properly, then x-amz-target struck from SignedHeaders
		req := signedRequest(t, s.URL, "DescribeCollection", body, keyA, secretA, time.Now())
		req.Header.Set("X-Amz-Target", targetPrefix+"DeleteCollection")
		req.Header.Set("Authorization", strings.Replace(req.Header.Get("Authorization"), ";x-amz-target", "", 1))
		return req
	}
	cases := []struct {
		name string
		req  func() *http.Request
	}{
		{"captured DescribeCollection replayed as DeleteCollection", unsignedHeader("X-Amz-Target", targetPrefix+"DeleteCollection")},
		{"DescribeCollection without x-amz-target signed", unsignedHeader("X-Amz-Target", targetPrefix+"DescribeCollection")},
		{"content-type not signed", unsignedHeader("Content-Type", contentType)},
		{"SignedHeaders edited by hand", handEdited},
	}
	for _, tc := range cases {
		code, typ, m := do(t, tc.req())
		if code != 400 || typ != "InvalidSignatureException:" {
			t.Errorf("%s: %d %q %v, want 400 InvalidSignatureException", tc.name, code, typ, m)
		}
	}
	if _, err := c.DescribeCollection(ctx(t), &rek.DescribeCollectionInput{CollectionId: aws.String("victim")}); err != nil {
		t.Fatalf("the collection did not survive the replay: %v", err)
	}
	if code, _, m := do(t, signedRequest(t, s.URL, "DescribeCollection", body, keyA, secretA, time.Now())); code != 200 {
		t.Fatalf("a request signed by the SDK: %d %v", code, m)
	}
}

// zeros is an endless reader of zero bytes (a body the client never holds).
type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// peakHeap samples the heap every millisecond until stop is closed.
func peakHeap(stop <-chan struct{}) <-chan uint64 {
	out := make(chan uint64, 1)
	go func() {
		var ms runtime.MemStats
		var peak uint64
		tk := time.NewTicker(time.Millisecond)
		defer tk.Stop()
		for {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
			select {
			case <-stop:
				out <- peak
				return
			case <-tk.C:
			}
		}
	}()
	return out
}

// TestSecurityUnsignedFloodBounded: many parallel large requests that are
// unsigned, signed with an unknown key, or signed with a known key and a
// wrong secret keep the heap bounded. Before the fix every request's body
// (up to 16 MiB) was read before its signature was looked at.
func TestSecurityUnsignedFloodBounded(t *testing.T) {
	const budget = 32 << 20
	s := newTestServer(t, fakeAnalyzer{}, Options{MaxBytesInFlight: budget})
	const clients, size = 60, 12 << 20
	kinds := []func(*http.Request){
		func(*http.Request) {}, // unsigned
		func(r *http.Request) { sdkSign(t, r, "", "AKIAUNKNOWN000000000", "x") },
		func(r *http.Request) { sdkSign(t, r, "", keyA, "wrong secret") },
	}
	tr := &http.Transport{MaxConnsPerHost: clients}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	stop := make(chan struct{})
	peak := peakHeap(stop)
	var wg sync.WaitGroup
	var codes [600]atomic.Int32
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest(http.MethodPost, s.URL, io.LimitReader(zeros{}, size))
			req.ContentLength = size
			req.Header.Set("Content-Type", contentType)
			req.Header.Set("X-Amz-Target", targetPrefix+"DetectFaces")
			kinds[i%len(kinds)](req)
			resp, err := client.Do(req)
			if err != nil {
				codes[599].Add(1) // the server may close a connection whose body it refused to read
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			codes[resp.StatusCode].Add(1)
		}()
	}
	wg.Wait()
	close(stop)
	grew := int64(<-peak) - int64(base)
	t.Logf("%d parallel %d MiB requests: peak heap growth %d MiB (budget in flight %d MiB); answers: 400=%d 403=%d 413=%d 429=%d refused=%d",
		clients, size>>20, grew>>20, budget>>20, codes[400].Load(), codes[403].Load(), codes[413].Load(), codes[429].Load(), codes[599].Load())
	if codes[200].Load() > 0 {
		t.Fatal("a forged request was served")
	}
	if limit := int64(budget + 48<<20); grew > limit {
		t.Fatalf("heap grew by %d MiB under the flood, over %d MiB", grew>>20, limit>>20)
	}
}

// TestSecurityJPEGBombDetectFaces: the progressive-JPEG CPU bomb of issue 9
// sent through the AWS SDK's DetectFaces is refused at once with
// ImageTooLargeException. Before the fix it held the engine for minutes.
func TestSecurityJPEGBombDetectFaces(t *testing.T) {
	s := newTestServer(t, testenv.Engine(t, "standard"), Options{})
	bomb := imageiotest.ProgressiveJPEG(6400, 6000, 12000)
	start := time.Now()
	_, err := s.client(keyA, secretA).DetectFaces(ctx(t), &rek.DetectFacesInput{Image: &types.Image{Bytes: bomb}})
	took := time.Since(start)
	t.Logf("bomb of %d bytes: %v in %v", len(bomb), awsCode(err), took)
	wantCode(t, err, "ImageTooLargeException")
	if took > 5*time.Second {
		t.Fatalf("refusing the bomb took %v", took)
	}
}
