package rekognition

// ClientRequestToken, sealed NextToken values and the fields clients parse
// (FaceModelVersion), through the AWS SDK against the Memory backend with
// the fake analyzer. internal/server/rekognition_fidelity_test.go runs the
// same behaviour against the real server.

import (
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	rek "github.com/aws/aws-sdk-go-v2/service/rekognition"
)

func TestClientRequestToken(t *testing.T) {
	s := newTestServer(t, fakeAnalyzer{}, Options{})
	a, c := s.client(keyA, secretA), ctx(t)
	col := aws.String("staff")
	for _, id := range []string{"staff", "visitors"} {
		if _, err := a.CreateCollection(c, &rek.CreateCollectionInput{CollectionId: aws.String(id), Tags: consentTags}); err != nil {
			t.Fatal(err)
		}
	}
	ix, err := a.IndexFaces(c, &rek.IndexFacesInput{CollectionId: col, Image: fakeImage("alice"), ExternalImageId: aws.String("alice")})
	if err != nil {
		t.Fatal(err)
	}
	alice := *ix.FaceRecords[0].Face.FaceId
	tok := func(s string) *string { return aws.String("retry-" + s) }

	// A retried CreateUser gets the first answer, not ConflictException.
	for range 2 {
		if _, err := a.CreateUser(c, &rek.CreateUserInput{CollectionId: col, UserId: aws.String("u1"), ClientRequestToken: tok("create")}); err != nil {
			t.Fatalf("CreateUser with the same token: %v", err)
		}
	}
	_, err = a.CreateUser(c, &rek.CreateUserInput{CollectionId: col, UserId: aws.String("u1"), ClientRequestToken: tok("other")})
	wantCode(t, err, "ConflictException")
	// The same token with other parameters.
	_, err = a.CreateUser(c, &rek.CreateUserInput{CollectionId: col, UserId: aws.String("u2"), ClientRequestToken: tok("create")})
	wantCode(t, err, "IdempotentParameterMismatchException")

	// AssociateFaces replayed after the face was disassociated: the first
	// answer, and the association is not made again.
	assoc := &rek.AssociateFacesInput{CollectionId: col, UserId: aws.String("u1"), FaceIds: []string{alice}, ClientRequestToken: tok("assoc")}
	first, err := a.AssociateFaces(c, assoc)
	if err != nil || len(first.AssociatedFaces) != 1 || first.UserStatus != "ACTIVE" {
		t.Fatalf("AssociateFaces: %+v, %v", first, err)
	}
	dis := &rek.DisassociateFacesInput{CollectionId: col, UserId: aws.String("u1"), FaceIds: []string{alice}, ClientRequestToken: tok("dis")}
	for range 2 {
		d, err := a.DisassociateFaces(c, dis)
		if err != nil || len(d.DisassociatedFaces) != 1 || len(d.UnsuccessfulFaceDisassociations) != 0 {
			t.Fatalf("DisassociateFaces (retried): %+v, %v", d, err)
		}
	}
	again, err := a.AssociateFaces(c, assoc)
	if err != nil || len(again.AssociatedFaces) != 1 || *again.AssociatedFaces[0].FaceId != alice || again.UserStatus != "ACTIVE" {
		t.Fatalf("AssociateFaces retried: %+v, %v", again, err)
	}
	if u, _ := s.mem.GetUser(c, "tenant-a", "staff", "u1"); u.FaceCount != 0 {
		t.Fatalf("the replayed AssociateFaces ran again: user has %d faces", u.FaceCount)
	}

	// DeleteUser retried: the first answer, not ResourceNotFoundException.
	for range 2 {
		if _, err := a.DeleteUser(c, &rek.DeleteUserInput{CollectionId: col, UserId: aws.String("u1"), ClientRequestToken: tok("delete")}); err != nil {
			t.Fatalf("DeleteUser with the same token: %v", err)
		}
	}
	_, err = a.DeleteUser(c, &rek.DeleteUserInput{CollectionId: col, UserId: aws.String("u1"), ClientRequestToken: tok("delete-2")})
	wantCode(t, err, "ResourceNotFoundException")

	// Tokens are scoped to the operation, the collection and the tenant.
	if _, err := a.CreateUser(c, &rek.CreateUserInput{CollectionId: col, UserId: aws.String("u1"), ClientRequestToken: tok("delete")}); err != nil {
		t.Fatalf("a DeleteUser token used for CreateUser: %v", err)
	}
	if _, err := a.CreateUser(c, &rek.CreateUserInput{CollectionId: aws.String("visitors"), UserId: aws.String("u1"), ClientRequestToken: tok("create")}); err != nil {
		t.Fatalf("a token of staff used in visitors: %v", err)
	}
	b := s.client(keyB, secretB)
	if _, err := b.CreateCollection(c, &rek.CreateCollectionInput{CollectionId: col}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.CreateUser(c, &rek.CreateUserInput{CollectionId: col, UserId: aws.String("u2"), ClientRequestToken: tok("create")}); err != nil {
		t.Fatalf("tenant A's token used by tenant B: %v", err)
	}

	// Answers expire: a day later the token runs the operation again.
	s.mem.now = func() time.Time { return time.Now().Add(AnswerLifetime + time.Minute) }
	_, err = a.CreateUser(c, &rek.CreateUserInput{CollectionId: col, UserId: aws.String("u1"), ClientRequestToken: tok("create")})
	wantCode(t, err, "ConflictException")

	_, err = a.CreateUser(c, &rek.CreateUserInput{CollectionId: col, UserId: aws.String("u3"), ClientRequestToken: aws.String("not a token!")})
	wantCode(t, err, "InvalidParameterException")
}

func TestNextTokenSealed(t *testing.T) {
	s := newTestServer(t, fakeAnalyzer{}, Options{})
	a, b, c := s.client(keyA, secretA), s.client(keyB, secretB), ctx(t)
	for _, cl := range []*rek.Client{a, b} {
		for _, id := range []string{"staff", "visitors"} {
			if _, err := cl.CreateCollection(c, &rek.CreateCollectionInput{CollectionId: aws.String(id), Tags: consentTags}); err != nil {
				t.Fatal(err)
			}
			for _, p := range []string{"alice", "bob"} {
				if _, err := cl.IndexFaces(c, &rek.IndexFacesInput{CollectionId: aws.String(id), Image: fakeImage(p)}); err != nil {
					t.Fatal(err)
				}
				if _, err := cl.CreateUser(c, &rek.CreateUserInput{CollectionId: aws.String(id), UserId: aws.String(p)}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	lf, err := a.ListFaces(c, &rek.ListFacesInput{CollectionId: aws.String("staff"), MaxResults: aws.Int32(1)})
	if err != nil || lf.NextToken == nil {
		t.Fatalf("ListFaces page 1: %+v, %v", lf, err)
	}
	good := *lf.NextToken
	if strings.Contains(good, (*lf.Faces[0].FaceId)[:8]) {
		t.Fatalf("NextToken %q shows the face id %s", good, *lf.Faces[0].FaceId)
	}
	lu, err := a.ListUsers(c, &rek.ListUsersInput{CollectionId: aws.String("staff"), MaxResults: aws.Int32(1)})
	if err != nil || lu.NextToken == nil {
		t.Fatalf("ListUsers page 1: %+v, %v", lu, err)
	}
	lc, err := a.ListCollections(c, &rek.ListCollectionsInput{MaxResults: aws.Int32(1)})
	if err != nil || lc.NextToken == nil {
		t.Fatalf("ListCollections page 1: %+v, %v", lc, err)
	}
	page2, err := a.ListFaces(c, &rek.ListFacesInput{CollectionId: aws.String("staff"), NextToken: &good})
	if err != nil || len(page2.Faces) != 1 || *page2.Faces[0].FaceId == *lf.Faces[0].FaceId {
		t.Fatalf("ListFaces page 2: %+v, %v", page2, err)
	}
	tampered := []byte(good)
	tampered[len(tampered)/2] ^= 'A' ^ 'B'
	for name, call := range map[string]func() error{
		"tampered": func() error {
			_, err := a.ListFaces(c, &rek.ListFacesInput{CollectionId: aws.String("staff"), NextToken: aws.String(string(tampered))})
			return err
		},
		"another tenant's": func() error {
			_, err := b.ListFaces(c, &rek.ListFacesInput{CollectionId: aws.String("staff"), NextToken: &good})
			return err
		},
		"another collection's": func() error {
			_, err := a.ListFaces(c, &rek.ListFacesInput{CollectionId: aws.String("visitors"), NextToken: &good})
			return err
		},
		"ListUsers' in ListFaces": func() error {
			_, err := a.ListFaces(c, &rek.ListFacesInput{CollectionId: aws.String("staff"), NextToken: lu.NextToken})
			return err
		},
		"ListFaces' in ListUsers": func() error {
			_, err := a.ListUsers(c, &rek.ListUsersInput{CollectionId: aws.String("staff"), NextToken: &good})
			return err
		},
		"ListFaces' in ListCollections": func() error {
			_, err := a.ListCollections(c, &rek.ListCollectionsInput{NextToken: &good})
			return err
		},
		"ListCollections' of another tenant": func() error {
			_, err := b.ListCollections(c, &rek.ListCollectionsInput{NextToken: lc.NextToken})
			return err
		},
	} {
		if got := awsCode(call()); got != "InvalidPaginationTokenException" {
			t.Errorf("%s token: got %q, want InvalidPaginationTokenException", name, got)
		}
	}
}

// TestNextTokenExpires: a token is good for a day.
func TestNextTokenExpires(t *testing.T) {
	now := time.Now()
	h := New(NewMemory(fakeAnalyzer{}), Options{Now: func() time.Time { return now }})
	c, pg := &call{tenant: "tenant-a"}, page{op: "ListFaces", collection: "staff"}
	tok, err := h.sealPage(c, pg, "last-id")
	if err != nil {
		t.Fatal(err)
	}
	if last, err := h.openPage(c, pg, tok); err != nil || last != "last-id" {
		t.Fatalf("open: %q, %v", last, err)
	}
	now = now.Add(pageTokenLifetime + time.Second)
	if _, err := h.openPage(c, pg, tok); !isInvalidToken(err) {
		t.Fatalf("a token past its lifetime: %v", err)
	}
	// Another key (another server) cannot open it either.
	if _, err := New(NewMemory(fakeAnalyzer{}), Options{}).openPage(c, pg, tok); !isInvalidToken(err) {
		t.Fatalf("a token sealed under another key: %v", err)
	}
}

func isInvalidToken(err error) bool {
	e, ok := err.(*Error)
	return ok && e.Type == "InvalidPaginationTokenException"
}

// TestFaceModelVersion: every FaceModelVersion parses as AWS's numeric
// form; mien's recognizer id is in DescribeCollection's MienFaceModel.
func TestFaceModelVersion(t *testing.T) {
	s := newTestServer(t, fakeAnalyzer{}, Options{})
	a, c := s.client(keyA, secretA), ctx(t)
	cc, err := a.CreateCollection(c, &rek.CreateCollectionInput{CollectionId: aws.String("staff"), Tags: consentTags})
	if err != nil {
		t.Fatal(err)
	}
	ix, err := a.IndexFaces(c, &rek.IndexFacesInput{CollectionId: aws.String("staff"), Image: fakeImage("alice")})
	if err != nil {
		t.Fatal(err)
	}
	d, err := a.DescribeCollection(c, &rek.DescribeCollectionInput{CollectionId: aws.String("staff")})
	if err != nil {
		t.Fatal(err)
	}
	lc, _ := a.ListCollections(c, &rek.ListCollectionsInput{})
	sf, _ := a.SearchFacesByImage(c, &rek.SearchFacesByImageInput{CollectionId: aws.String("staff"), Image: fakeImage("alice")})
	for name, v := range map[string]*string{"CreateCollection": cc.FaceModelVersion, "IndexFaces": ix.FaceModelVersion,
		"IndexFacesModelVersion": ix.FaceRecords[0].Face.IndexFacesModelVersion, "DescribeCollection": d.FaceModelVersion,
		"ListCollections": &lc.FaceModelVersions[0], "SearchFacesByImage": sf.FaceModelVersion} {
		if f, err := strconv.ParseFloat(aws.ToString(v), 64); err != nil || f < 1 {
			t.Errorf("%s FaceModelVersion %q does not parse as AWS's numeric form", name, aws.ToString(v))
		}
	}
	_, _, body := do(t, signedRequest(t, s.URL, "DescribeCollection", `{"CollectionId":"staff"}`, keyA, secretA, time.Now()))
	if body["MienFaceModel"] != fakeModel {
		t.Fatalf("DescribeCollection MienFaceModel = %v, want %s", body["MienFaceModel"], fakeModel)
	}
}

func TestConfidenceScale(t *testing.T) {
	for _, id := range []string{"yunet-n", "blazeface-back-256", "unmeasured"} {
		cs := confidenceScaleFor(id)
		for _, c := range []struct{ score, want float32 }{{-1, 0}, {0, 0}, {cs.floor, 50}, {cs.clear, 99}, {1, 100}, {2, 100}} {
			if got := cs.confidence(c.score); math.Abs(float64(got-c.want)) > 1e-3 {
				t.Errorf("%s: confidence(%v) = %v, want %v", id, c.score, got, c.want)
			}
		}
		prev := float32(-1)
		for s := float32(0); s <= 1; s += 0.001 {
			c := cs.confidence(s)
			if c < prev {
				t.Fatalf("%s: not monotone at score %v", id, s)
			}
			prev = c
		}
	}
	if confidenceScaleFor("yunet-n") == confidenceScaleFor("blazeface-back-256") {
		t.Fatal("the detectors share one scale")
	}
}
