package rekognition

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	rek "github.com/aws/aws-sdk-go-v2/service/rekognition"

	"github.com/mienhq/mien/detect"
	"github.com/mienhq/mien/internal/testenv"
)

// BenchmarkVerify measures SigV4 verification of a request carrying a
// body of each size (hashing the body dominates).
func BenchmarkVerify(b *testing.B) {
	mem := NewMemory(fakeAnalyzer{})
	mem.AddKey(keyA, Credentials{Tenant: "t", Secret: secretA})
	h := New(mem, Options{})
	for _, size := range []int{1 << 10, 64 << 10, 1 << 20} {
		b.Run(fmt.Sprintf("body=%dKiB", size>>10), func(b *testing.B) {
			body := string(bytes.Repeat([]byte("x"), size))
			req := signedRequest(b, "http://mien/", "DetectFaces", body, keyA, secretA, time.Now())
			raw := []byte(body)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := h.authenticate(context.Background(), req, raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSearchFacesByImage compares a SearchFacesByImage round trip
// through the AWS SDK over loopback (signing, JSON, verification, analysis,
// search in a 1,000-face in-memory collection) with the engine's analysis
// alone.
func BenchmarkSearchFacesByImage(b *testing.B) {
	e := testenv.Engine(b, "standard")
	probe := fixture(b, "bulk_Rob_Lowe_0002.jpg")
	b.Run("engine-analyze", func(b *testing.B) {
		for b.Loop() {
			if _, err := e.Analyze(context.Background(), probe, detect.Options{MaxFaces: maxDetected}); err != nil {
				b.Fatal(err)
			}
		}
	})
	s := newTestServer(b, e, Options{})
	c := s.client(keyA, secretA)
	ctx := context.Background()
	if _, err := c.CreateCollection(ctx, &rek.CreateCollectionInput{CollectionId: aws.String("g"), Tags: consentTags}); err != nil {
		b.Fatal(err)
	}
	a, _ := e.Analyze(ctx, probe, detect.Options{})
	var faces []NewFace
	for i := range 1000 {
		f := newFace(a.Faces[0], a, newUUID(), fmt.Sprint("f", i), e.ModelID(), Consent{})
		faces = append(faces, f)
	}
	if err := s.mem.IndexFaces(ctx, "tenant-a", "g", faces); err != nil {
		b.Fatal(err)
	}
	b.Run("sdk-search-by-image", func(b *testing.B) {
		for b.Loop() {
			if _, err := c.SearchFacesByImage(ctx, &rek.SearchFacesByImageInput{CollectionId: aws.String("g"), Image: img(probe), MaxFaces: aws.Int32(5)}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
