package rekognition

// Protocol tests that need no models: a fake analyzer stands in for the
// engine. sdk_test.go drives the same operations with the real engine.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	rek "github.com/aws/aws-sdk-go-v2/service/rekognition"
	"github.com/aws/aws-sdk-go-v2/service/rekognition/types"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/detect"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/imageio"
	"github.com/mienhq/mien/quality"
)

const fakeModel = "fake-512"

// fakeAnalyzer "decodes" images named "FAKE:a,b,..." into one face per
// name; faces with the same first letter are the same person.
type fakeAnalyzer struct{ busy bool }

func (f fakeAnalyzer) ModelID() string { return fakeModel }

// fakeScale is the fake recognizer's Similarity: piecewise linear through
// these (cosine, Similarity) points. The real mapping is the engine's.
var fakeScale = [][2]float32{{0, 0}, {0.25, 70}, {0.35, 80}, {0.42, 90}, {0.7, 99}, {1, 100}}

func (f fakeAnalyzer) Similarity(cos float32) float32 { return interpolate(cos, 0, 1) }

func (f fakeAnalyzer) CosineForSimilarity(sim float32) float32 {
	if sim <= 0 {
		return -1
	}
	return interpolate(sim, 1, 0)
}

// interpolate maps x through fakeScale from column from to column to.
func interpolate(x float32, from, to int) float32 {
	p := fakeScale
	if x <= p[0][from] {
		return p[0][to]
	}
	for i := 1; i < len(p); i++ {
		if x <= p[i][from] {
			f := (x - p[i-1][from]) / (p[i][from] - p[i-1][from])
			return p[i-1][to] + f*(p[i][to]-p[i-1][to])
		}
	}
	return p[len(p)-1][to]
}

func (f fakeAnalyzer) Analyze(_ context.Context, data []byte, _ detect.Options) (*mien.Analysis, error) {
	if f.busy {
		return nil, fmt.Errorf("queue full: %w", ErrBusy)
	}
	names, ok := strings.CutPrefix(string(data), "FAKE:")
	if !ok {
		return nil, fmt.Errorf("%w: not JPEG, PNG, WebP or GIF", imageio.ErrUnsupported)
	}
	a := &mien.Analysis{Width: 1000, Height: 500, Faces: []mien.Face{}}
	for i, n := range strings.Split(names, ",") {
		if n == "" {
			continue
		}
		x := float32(10 + 200*i)
		size := float32(150 - 10*i)
		var lm face.Landmarks5
		lm[face.LeftEye], lm[face.RightEye] = face.Point{X: x + 40, Y: 60}, face.Point{X: x + 100, Y: 60}
		lm[face.Nose] = face.Point{X: x + 70, Y: 90}
		lm[face.LeftMouth], lm[face.RightMouth] = face.Point{X: x + 45, Y: 120}, face.Point{X: x + 95, Y: 120}
		a.Faces = append(a.Faces, mien.Face{
			Detection: face.Detection{Box: face.R(x, 10, x+size, 10+size), Score: 0.95, Landmarks: lm},
			Quality:   quality.Quality{FaceSize: size, Sharpness: 200, Brightness: 50, Yaw: 5, Pitch: 3, Roll: 1},
			Embedding: fakeEmbedding(n),
		})
	}
	return a, nil
}

// fakeEmbedding: a person direction (first letter) plus a small
// per-image component, so same-person cosine is about 0.8 and others ~0.
func fakeEmbedding(name string) face.Embedding {
	v := make([]float32, 512)
	v[int(name[0])%256] = 1
	v[256+len(name)%256] = 0.5
	face.Normalize(v)
	return face.Embedding{Model: fakeModel, Vector: v}
}

func fakeImage(names ...string) *types.Image {
	return &types.Image{Bytes: []byte("FAKE:" + strings.Join(names, ","))}
}

var consentTags = map[string]string{TagConsentPurpose: "door access for staff", TagConsentExpires: "30", TagConsentEvidence: "hr:forms"}

func TestConsentTags(t *testing.T) {
	for _, c := range []struct {
		tags    map[string]string
		want    *ConsentPolicy
		wantErr bool
	}{
		{nil, nil, false},
		{map[string]string{"team": "x"}, nil, false},
		{map[string]string{TagConsentPurpose: "p"}, &ConsentPolicy{Purpose: "p", Retention: 365 * 24 * time.Hour}, false},
		{consentTags, &ConsentPolicy{Purpose: "door access for staff", Retention: 30 * 24 * time.Hour, Evidence: "hr:forms"}, false},
		{map[string]string{TagConsentExpires: "30"}, nil, true},
		{map[string]string{TagConsentPurpose: " "}, nil, true},
		{map[string]string{TagConsentPurpose: "p", TagConsentExpires: "0"}, nil, true},
		{map[string]string{TagConsentPurpose: "p", TagConsentExpires: "ten"}, nil, true},
		{map[string]string{TagConsentPurpose: "p", "mien:consent-purpos": "typo"}, nil, true},
	} {
		got, err := consentFromTags(c.tags)
		if (err != nil) != c.wantErr || fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("consentFromTags(%v) = %v, %v; want %v, error %v", c.tags, got, err, c.want, c.wantErr)
		}
	}
}

// signedRequest builds a request signed by the SDK's own signer.
func signedRequest(t testing.TB, url, target, body, key, secret string, at time.Time) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-Amz-Target", targetPrefix+target)
	sum := sha256.Sum256([]byte(body))
	creds := aws.Credentials{AccessKeyID: key, SecretAccessKey: secret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "rekognition", region, at); err != nil {
		t.Fatal(err)
	}
	return req
}

// do sends req and returns the status, the X-Amzn-ErrorType header and the
// decoded body.
func do(t *testing.T, req *http.Request) (int, string, map[string]any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("body %q: %v", b, err)
	}
	return resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), m
}

func TestSignatureVerification(t *testing.T) {
	s := newTestServer(t, fakeAnalyzer{}, Options{})
	now := time.Now()
	ok := func() *http.Request { return signedRequest(t, s.URL, "ListCollections", "{}", keyA, secretA, now) }
	if code, _, m := do(t, ok()); code != 200 {
		t.Fatalf("a correctly signed request: %d %v", code, m)
	}
	cases := []struct {
		name string
		req  func() *http.Request
		want string
		msg  string
	}{
		{"wrong secret", func() *http.Request {
			return signedRequest(t, s.URL, "ListCollections", "{}", keyA, "wrong", now)
		}, "InvalidSignatureException", "does not match"},
		{"unknown key", func() *http.Request {
			return signedRequest(t, s.URL, "ListCollections", "{}", "AKIAUNKNOWN", secretA, now)
		}, "UnrecognizedClientException", ""},
		{"stale date", func() *http.Request {
			return signedRequest(t, s.URL, "ListCollections", "{}", keyA, secretA, now.Add(-6*time.Minute))
		}, "InvalidSignatureException", "Signature expired"},
		{"future date", func() *http.Request {
			return signedRequest(t, s.URL, "ListCollections", "{}", keyA, secretA, now.Add(6*time.Minute))
		}, "InvalidSignatureException", "not yet current"},
		{"no signature", func() *http.Request {
			r := ok()
			r.Header.Del("Authorization")
			return r
		}, "MissingAuthenticationTokenException", ""},
		{"body changed after signing", func() *http.Request {
			r := ok()
			r.Body = io.NopCloser(strings.NewReader(`{"MaxResults":1}`))
			r.ContentLength = int64(len(`{"MaxResults":1}`))
			return r
		}, "InvalidSignatureException", "does not match"},
		{"target changed after signing", func() *http.Request {
			r := ok()
			r.Header.Set("X-Amz-Target", targetPrefix+"DeleteCollection")
			return r
		}, "InvalidSignatureException", "does not match"},
		{"other service", func() *http.Request {
			r := ok()
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/rekognition/", "/s3/", 1))
			return r
		}, "InvalidSignatureException", "correct service"},
		{"malformed header", func() *http.Request {
			r := ok()
			r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=x")
			return r
		}, "IncompleteSignatureException", ""},
	}
	for _, c := range cases {
		code, typ, m := do(t, c.req())
		msg, _ := m["message"].(string)
		if code != 400 || typ != c.want+":" || m["__type"] != c.want || msg == "" || !strings.Contains(msg, c.msg) {
			t.Errorf("%s: got %d %q %v, want 400 %s", c.name, code, typ, m, c.want)
		}
	}
}

// TestMountedUnderPrefix: the handler verifies signatures when the server
// mounts it under a path with http.StripPrefix.
func TestMountedUnderPrefix(t *testing.T) {
	mem := NewMemory(fakeAnalyzer{})
	mem.AddKey(keyA, Credentials{Tenant: "t", Secret: secretA})
	mux := http.NewServeMux()
	mux.Handle("/rekognition/", http.StripPrefix("/rekognition", New(mem, Options{})))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c := rek.NewFromConfig(aws.Config{Region: region, Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: keyA, SecretAccessKey: secretA}, nil
	})}, func(o *rek.Options) { o.BaseEndpoint = aws.String(srv.URL + "/rekognition/") })
	if _, err := c.ListCollections(ctx(t), &rek.ListCollectionsInput{}); err != nil {
		t.Fatal(err)
	}
}

func TestTenantsAndRoles(t *testing.T) {
	s := newTestServer(t, fakeAnalyzer{}, Options{})
	a, ro, b := s.client(keyA, secretA), s.client(keyRO, secretRO), s.client(keyB, secretB)
	c := ctx(t)
	if _, err := a.CreateCollection(c, &rek.CreateCollectionInput{CollectionId: aws.String("staff"), Tags: consentTags}); err != nil {
		t.Fatal(err)
	}
	_, err := ro.CreateCollection(c, &rek.CreateCollectionInput{CollectionId: aws.String("other")})
	wantCode(t, err, "AccessDeniedException")
	_, err = ro.IndexFaces(c, &rek.IndexFacesInput{CollectionId: aws.String("staff"), Image: fakeImage("alice")})
	wantCode(t, err, "AccessDeniedException")
	if _, err := ro.DescribeCollection(c, &rek.DescribeCollectionInput{CollectionId: aws.String("staff")}); err != nil {
		t.Fatalf("a read-only key describes: %v", err)
	}
	// Tenant B sees nothing of A's and cannot touch it.
	_, err = b.DescribeCollection(c, &rek.DescribeCollectionInput{CollectionId: aws.String("staff")})
	wantCode(t, err, "ResourceNotFoundException")
	_, err = b.DeleteCollection(c, &rek.DeleteCollectionInput{CollectionId: aws.String("staff")})
	wantCode(t, err, "ResourceNotFoundException")
	_, err = b.SearchFacesByImage(c, &rek.SearchFacesByImageInput{CollectionId: aws.String("staff"), Image: fakeImage("alice")})
	wantCode(t, err, "ResourceNotFoundException")
	l, err := b.ListCollections(c, &rek.ListCollectionsInput{})
	if err != nil || len(l.CollectionIds) != 0 {
		t.Fatalf("tenant B lists %v, %v", l.CollectionIds, err)
	}
	// B may use the same collection id for its own collection.
	if _, err := b.CreateCollection(c, &rek.CreateCollectionInput{CollectionId: aws.String("staff")}); err != nil {
		t.Fatal(err)
	}
}

func TestThrottling(t *testing.T) {
	s := newTestServer(t, fakeAnalyzer{busy: true}, Options{})
	_, err := s.client(keyA, secretA).DetectFaces(ctx(t), &rek.DetectFacesInput{Image: fakeImage("alice")})
	wantCode(t, err, "ThrottlingException")
}

func TestBadRequests(t *testing.T) {
	s := newTestServer(t, fakeAnalyzer{}, Options{MaxImageBytes: 1000})
	a := s.client(keyA, secretA)
	c := ctx(t)
	col := aws.String("staff")
	if _, err := a.CreateCollection(c, &rek.CreateCollectionInput{CollectionId: col, Tags: consentTags}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		call func() error
		want string
	}{
		{"S3Object", func() error {
			_, err := a.DetectFaces(c, &rek.DetectFacesInput{Image: &types.Image{S3Object: &types.S3Object{Bucket: aws.String("b"), Name: aws.String("k")}}})
			return err
		}, "InvalidS3ObjectException"},
		{"S3Object in IndexFaces", func() error {
			_, err := a.IndexFaces(c, &rek.IndexFacesInput{CollectionId: col, Image: &types.Image{S3Object: &types.S3Object{Bucket: aws.String("b"), Name: aws.String("k")}}})
			return err
		}, "InvalidS3ObjectException"},
		{"not an image", func() error {
			_, err := a.DetectFaces(c, &rek.DetectFacesInput{Image: &types.Image{Bytes: []byte("hello")}})
			return err
		}, "InvalidImageFormatException"},
		{"image over the limit", func() error {
			_, err := a.DetectFaces(c, &rek.DetectFacesInput{Image: &types.Image{Bytes: bytes.Repeat([]byte("x"), 1001)}})
			return err
		}, "ImageTooLargeException"},
		{"bad collection id", func() error {
			_, err := a.CreateCollection(c, &rek.CreateCollectionInput{CollectionId: aws.String("no spaces")})
			return err
		}, "InvalidParameterException"},
		{"collection exists", func() error {
			_, err := a.CreateCollection(c, &rek.CreateCollectionInput{CollectionId: col})
			return err
		}, "ResourceAlreadyExistsException"},
		{"no such collection", func() error {
			_, err := a.IndexFaces(c, &rek.IndexFacesInput{CollectionId: aws.String("nope"), Image: fakeImage("alice")})
			return err
		}, "ResourceNotFoundException"},
		{"bad paging token", func() error {
			_, err := a.ListFaces(c, &rek.ListFacesInput{CollectionId: col, NextToken: aws.String("garbage")})
			return err
		}, "InvalidPaginationTokenException"},
		{"bad quality filter", func() error {
			_, err := a.IndexFaces(c, &rek.IndexFacesInput{CollectionId: col, Image: fakeImage("alice"), QualityFilter: "BEST"})
			return err
		}, "InvalidParameterException"},
		{"threshold over 100", func() error {
			_, err := a.SearchFacesByImage(c, &rek.SearchFacesByImageInput{CollectionId: col, Image: fakeImage("alice"), FaceMatchThreshold: aws.Float32(101)})
			return err
		}, "InvalidParameterException"},
		{"no face to search with", func() error {
			_, err := a.SearchFacesByImage(c, &rek.SearchFacesByImageInput{CollectionId: col, Image: fakeImage()})
			return err
		}, "InvalidParameterException"},
		{"bad face id", func() error {
			_, err := a.SearchFaces(c, &rek.SearchFacesInput{CollectionId: col, FaceId: aws.String("not-a-uuid")})
			return err
		}, "InvalidParameterException"},
		{"unknown consent tag", func() error {
			_, err := a.CreateCollection(c, &rek.CreateCollectionInput{CollectionId: aws.String("x"), Tags: map[string]string{"mien:consent": "x"}})
			return err
		}, "InvalidParameterException"},
	}
	for _, tc := range cases {
		if got := awsCode(tc.call()); got != tc.want {
			t.Errorf("%s: got %q, want %s", tc.name, got, tc.want)
		}
	}
	// Nothing was stored by any of them.
	d, err := a.DescribeCollection(c, &rek.DescribeCollectionInput{CollectionId: col})
	if err != nil || *d.FaceCount != 0 {
		t.Fatalf("after refused requests: %v faces, %v", d.FaceCount, err)
	}
	l, _ := a.ListCollections(c, &rek.ListCollectionsInput{})
	if len(l.CollectionIds) != 1 {
		t.Fatalf("collections after refused requests: %v", l.CollectionIds)
	}
	// The S3 message says what to do, naming the field.
	_, err = a.CompareFaces(c, &rek.CompareFacesInput{SourceImage: fakeImage("alice"), TargetImage: &types.Image{S3Object: &types.S3Object{Bucket: aws.String("b")}}})
	if want := "mien does not read images from S3 (S3Object): send the image's bytes in TargetImage.Bytes"; awsCode(err) != "InvalidS3ObjectException" || !strings.Contains(err.Error(), want) {
		t.Errorf("S3Object: %v, want InvalidS3ObjectException: %s", err, want)
	}
}

// TestIndexNeedsConsentPolicy: a collection created without consent tags
// refuses IndexFaces, and keeps nothing.
func TestIndexNeedsConsentPolicy(t *testing.T) {
	s := newTestServer(t, fakeAnalyzer{}, Options{})
	a := s.client(keyA, secretA)
	c := ctx(t)
	if _, err := a.CreateCollection(c, &rek.CreateCollectionInput{CollectionId: aws.String("plain")}); err != nil {
		t.Fatal(err)
	}
	_, err := a.IndexFaces(c, &rek.IndexFacesInput{CollectionId: aws.String("plain"), Image: fakeImage("alice")})
	wantCode(t, err, "AccessDeniedException")
	if !strings.Contains(err.Error(), TagConsentPurpose) {
		t.Errorf("the message should name the consent tag: %v", err)
	}
	if n := len(s.mem.tenants["tenant-a"]["plain"].faces); n != 0 {
		t.Fatalf("%d faces kept", n)
	}
}

// TestConsentRecordedAndExpires: each face carries the policy's consent
// record, and a face whose consent expired is no longer found.
func TestConsentRecordedAndExpires(t *testing.T) {
	s := newTestServer(t, fakeAnalyzer{}, Options{})
	a := s.client(keyA, secretA)
	c := ctx(t)
	if _, err := a.CreateCollection(c, &rek.CreateCollectionInput{CollectionId: aws.String("staff"), Tags: consentTags}); err != nil {
		t.Fatal(err)
	}
	out, err := a.IndexFaces(c, &rek.IndexFacesInput{CollectionId: aws.String("staff"), Image: fakeImage("alice", "bob"), ExternalImageId: aws.String("badge-1")})
	if err != nil || len(out.FaceRecords) != 2 {
		t.Fatalf("IndexFaces: %v, %v", out, err)
	}
	for _, f := range s.mem.tenants["tenant-a"]["staff"].faces {
		got := f.Consent
		if got.Purpose != "door access for staff" || got.Evidence != "hr:forms" || got.ExpiresAt.Sub(got.ConsentedAt) != 30*24*time.Hour {
			t.Fatalf("consent record %+v", got)
		}
	}
	s.mem.now = func() time.Time { return time.Now().Add(31 * 24 * time.Hour) }
	l, err := a.ListFaces(c, &rek.ListFacesInput{CollectionId: aws.String("staff")})
	if err != nil || len(l.Faces) != 0 {
		t.Fatalf("faces after consent expired: %v, %v", l.Faces, err)
	}
	_, err = a.SearchFacesByImage(c, &rek.SearchFacesByImageInput{CollectionId: aws.String("staff"), Image: fakeImage("alice")})
	if err != nil {
		t.Fatal(err)
	}
}

// TestNoPersonalAttributes: Attributes ALL (or naming age, gender, emotions)
// yields the default fields only; the raw JSON carries none of the others.
func TestNoPersonalAttributes(t *testing.T) {
	s := newTestServer(t, fakeAnalyzer{}, Options{})
	for _, attrs := range []string{`["ALL"]`, `["AGE_RANGE","GENDER","EMOTIONS","SMILE","BEARD"]`} {
		body := `{"Image":{"Bytes":"` + b64("FAKE:alice") + `"},"Attributes":` + attrs + `}`
		code, _, m := do(t, signedRequest(t, s.URL, "DetectFaces", body, keyA, secretA, time.Now()))
		if code != 200 {
			t.Fatalf("%d %v", code, m)
		}
		raw, _ := json.Marshal(m)
		for _, f := range []string{"AgeRange", "Gender", "Emotions", "Smile", "Beard", "Mustache", "Eyeglasses", "Sunglasses", "EyesOpen", "MouthOpen", "EyeDirection", "FaceOccluded"} {
			if bytes.Contains(raw, []byte(`"`+f+`"`)) {
				t.Errorf("Attributes %s: response has %s: %s", attrs, f, raw)
			}
		}
	}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
