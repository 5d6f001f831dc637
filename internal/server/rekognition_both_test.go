package server_test

import (
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	rek "github.com/aws/aws-sdk-go-v2/service/rekognition"

	"github.com/mienhq/mien/internal/server"
	"github.com/mienhq/mien/internal/store"
	"github.com/mienhq/mien/internal/testenv"
)

// TestRekognitionBothWays: the Rekognition endpoint and /v1 share one
// gallery. A face indexed through the SDK is identified through /v1 and
// erased through /v1; a subject enrolled through /v1 is a face to the SDK
// and is erased through the SDK.
func TestRekognitionBothWays(t *testing.T) {
	e, c := rekModelServer(t)
	ctx := rekCtx(t)
	doors := aws.String("doors")
	rekCreate(t, c, "doors", rekStaffTags)
	tenant, _ := e.st.CreateTenant(ctx, "a")
	col, _ := e.st.CollectionByName(ctx, tenant.ID, "doors")
	rob1, rob2 := fixture(t, "bulk_Rob_Lowe_0001.jpg"), fixture(t, "bulk_Rob_Lowe_0002.jpg")

	faceID := rekIndex(t, c, "doors", rob1, "emp-17")
	res := e.rekIdentify(e.admin, col.ID, rob2, "0.001")
	if res.Decision != "match" || len(res.Candidates) != 1 {
		t.Fatalf("identify a face indexed through the SDK: %+v", res)
	}
	sid := res.Candidates[0].SubjectID
	code, sub := e.call("GET", "/v1/collections/"+col.ID+"/subjects/"+sid, e.admin, nil, "")
	if code != 200 || sub["external_id"] != faceID || sub["consent"].(map[string]any)["purpose"] != rekStaffTags["mien:consent-purpose"] ||
		!strings.Contains(sub["consent"].(map[string]any)["evidence"].(string), "emp-17") {
		t.Fatalf("the subject of an SDK face: %d %v", code, sub)
	}
	if code, _ := e.call("DELETE", "/v1/collections/"+col.ID+"/subjects/"+sid, e.admin, nil, ""); code != 204 {
		t.Fatalf("erase through /v1: %d", code)
	}
	if lf, _ := c.ListFaces(ctx, &rek.ListFacesInput{CollectionId: doors}); len(lf.Faces) != 0 {
		t.Fatalf("the SDK lists a face erased through /v1: %+v", lf.Faces)
	}
	sbi, err := c.SearchFacesByImage(ctx, &rek.SearchFacesByImageInput{CollectionId: doors, Image: rekImg(rob2), FaceMatchThreshold: aws.Float32(0)})
	if err != nil || len(sbi.FaceMatches) != 0 {
		t.Fatalf("the SDK finds a face erased through /v1: %+v %v", sbi, err)
	}

	body, ct := form(map[string][][]byte{"images": {rob1}}, consentFields("rob"))
	code, enrolled := e.call("POST", "/v1/collections/"+col.ID+"/subjects", e.admin, body, ct)
	if code != 201 {
		t.Fatalf("enrol through /v1: %d %v", code, enrolled)
	}
	lf, err := c.ListFaces(ctx, &rek.ListFacesInput{CollectionId: doors})
	if err != nil || len(lf.Faces) != 1 || *lf.Faces[0].ExternalImageId != "rob" {
		t.Fatalf("the SDK lists a subject enrolled through /v1: %+v %v", lf, err)
	}
	restFace := *lf.Faces[0].FaceId
	sbi, err = c.SearchFacesByImage(ctx, &rek.SearchFacesByImageInput{CollectionId: doors, Image: rekImg(rob2)})
	if err != nil || len(sbi.FaceMatches) != 1 || *sbi.FaceMatches[0].Face.FaceId != restFace {
		t.Fatalf("the SDK searches a subject enrolled through /v1: %+v %v", sbi, err)
	}
	if del, err := c.DeleteFaces(ctx, &rek.DeleteFacesInput{CollectionId: doors, FaceIds: []string{restFace}}); err != nil || len(del.DeletedFaces) != 1 {
		t.Fatalf("erase through the SDK: %+v %v", del, err)
	}
	if res := e.rekIdentify(e.admin, col.ID, rob2, "0.001"); res.Decision != "unknown" {
		t.Fatalf("/v1 identifies a face erased through the SDK: %+v", res)
	}
	if code, _ := e.call("GET", "/v1/collections/"+col.ID+"/subjects/"+enrolled["id"].(string), e.admin, nil, ""); code != 404 {
		t.Fatalf("the subject of an erased face: %d", code)
	}
	if n := e.rows("templates"); n != 0 {
		t.Fatalf("%d templates left", n)
	}
	// Deleting the collection through /v1 ends it for the SDK too.
	if code, _ := e.call("DELETE", "/v1/collections/"+col.ID, e.admin, nil, ""); code != 204 {
		t.Fatal("delete collection through /v1")
	}
	_, err = c.DescribeCollection(ctx, &rek.DescribeCollectionInput{CollectionId: doors})
	wantAWS(t, err, "ResourceNotFoundException")
}

// TestRekognitionExpiredConsent: a face whose consent has expired is not
// listed, counted or matched, even before the purge erases it.
func TestRekognitionExpiredConsent(t *testing.T) {
	ctx := rekCtx(t)
	clock := time.Now()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "mien.db"), store.Options{MasterKey: master, Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ten, _ := st.CreateTenant(ctx, "a")
	admin, _, _ := st.CreateKey(ctx, ten.ID, store.RoleAdmin, "test")
	srv, err := server.New(ctx, server.Options{Engine: testenv.Engine(t, "standard"), Store: st, Logger: rekQuietLog()})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	e := &env{t: t, url: hs.URL, st: st, admin: admin}
	id, secret := e.awsKey(admin, false)
	c := rekClient(hs.URL, id, secret)
	rekCreate(t, c, "staff", map[string]string{"mien:consent-purpose": "door", "mien:consent-expires-days": "1"})
	rekIndex(t, c, "staff", fixture(t, "bulk_Rob_Lowe_0001.jpg"), "rob")
	probe := rekImg(fixture(t, "bulk_Rob_Lowe_0002.jpg"))
	if sbi, err := c.SearchFacesByImage(ctx, &rek.SearchFacesByImageInput{CollectionId: aws.String("staff"), Image: probe}); err != nil || len(sbi.FaceMatches) != 1 {
		t.Fatalf("before expiry: %+v %v", sbi, err)
	}
	clock = clock.Add(49 * time.Hour)
	lf, err := c.ListFaces(ctx, &rek.ListFacesInput{CollectionId: aws.String("staff")})
	if err != nil || len(lf.Faces) != 0 {
		t.Fatalf("an expired face is listed: %+v %v", lf, err)
	}
	if d, _ := c.DescribeCollection(ctx, &rek.DescribeCollectionInput{CollectionId: aws.String("staff")}); *d.FaceCount != 0 {
		t.Fatalf("an expired face is counted: %d", *d.FaceCount)
	}
	if sbi, err := c.SearchFacesByImage(ctx, &rek.SearchFacesByImageInput{CollectionId: aws.String("staff"), Image: probe, FaceMatchThreshold: aws.Float32(0)}); err != nil || len(sbi.FaceMatches) != 0 {
		t.Fatalf("an expired face is matched: %+v %v", sbi, err)
	}
}
