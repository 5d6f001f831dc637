package server_test

// Every Rekognition operation through the official AWS SDK for Go v2
// against the real server (store, engine queue, search indexes) with the
// real models; skipped without them (run scripts/setup.sh).

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	rek "github.com/aws/aws-sdk-go-v2/service/rekognition"
	"github.com/aws/aws-sdk-go-v2/service/rekognition/types"

	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/imageio"
	"github.com/mienhq/mien/internal/server"
	"github.com/mienhq/mien/internal/store"
	"github.com/mienhq/mien/internal/testenv"
)

var rekStaffTags = map[string]string{"mien:consent-purpose": "door access for staff", "mien:consent-expires-days": "30", "mien:consent-evidence": "hr:forms"}

func rekImg(b []byte) *types.Image { return &types.Image{Bytes: b} }

func rekLFW(t *testing.T, person string, i int) []byte {
	t.Helper()
	b, err := os.ReadFile(testenv.Shared(t, fmt.Sprintf("data/lfw/images/%s/%s_%04d.jpg", person, person, i)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rekModelServer serves the real engine and returns it with a read-write SDK
// client of tenant a.
func rekModelServer(t *testing.T) (*env, *rek.Client) {
	t.Helper()
	e := rekServe(t, testenv.Engine(t, "standard"), server.Options{MaxBody: 8 << 20})
	id, secret := e.awsKey(e.admin, false)
	return e, rekClient(e.url, id, secret)
}

func rekCreate(t *testing.T, c *rek.Client, id string, tags map[string]string) {
	t.Helper()
	if _, err := c.CreateCollection(rekCtx(t), &rek.CreateCollectionInput{CollectionId: aws.String(id), Tags: tags}); err != nil {
		t.Fatal(err)
	}
}

func rekIndex(t *testing.T, c *rek.Client, col string, img []byte, ext string) string {
	t.Helper()
	out, err := c.IndexFaces(rekCtx(t), &rek.IndexFacesInput{CollectionId: aws.String(col), Image: rekImg(img), ExternalImageId: aws.String(ext),
		MaxFaces: aws.Int32(1), QualityFilter: types.QualityFilterNone})
	if err != nil || len(out.FaceRecords) != 1 {
		t.Fatalf("IndexFaces %s: %+v, %v", ext, out, err)
	}
	return *out.FaceRecords[0].Face.FaceId
}

// rekTwoFaces returns a JPEG with two photos side by side.
func rekTwoFaces(t *testing.T, left, right []byte) []byte {
	t.Helper()
	a, err := imageio.Decode(left, imageio.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := imageio.Decode(right, imageio.Options{})
	if err != nil {
		t.Fatal(err)
	}
	both := face.NewImage(a.W+b.W, max(a.H, b.H))
	for y := 0; y < a.H; y++ {
		copy(both.Pix[3*y*both.W:], a.Pix[3*y*a.W:3*(y+1)*a.W])
	}
	for y := 0; y < b.H; y++ {
		copy(both.Pix[3*(y*both.W+a.W):], b.Pix[3*y*b.W:3*(y+1)*b.W])
	}
	var buf bytes.Buffer
	imageio.EncodeJPEG(&buf, both, 92)
	return buf.Bytes()
}

func TestRekognitionSDKCollectionsAndFaces(t *testing.T) {
	e, c := rekModelServer(t)
	ctx := rekCtx(t)
	rob1, rob2, nat := fixture(t, "bulk_Rob_Lowe_0001.jpg"), fixture(t, "bulk_Rob_Lowe_0002.jpg"), fixture(t, "bulk_Nathalie_Baye_0002.jpg")
	rekCreate(t, c, "staff", rekStaffTags)
	rekCreate(t, c, "nopolicy", nil)
	rekCreate(t, c, "visitors", rekStaffTags)
	_, err := c.CreateCollection(ctx, &rek.CreateCollectionInput{CollectionId: aws.String("staff")})
	wantAWS(t, err, "ResourceAlreadyExistsException")
	_, err = c.IndexFaces(ctx, &rek.IndexFacesInput{CollectionId: aws.String("nopolicy"), Image: rekImg(rob1)})
	wantAWS(t, err, "AccessDeniedException")
	if n := e.rows("templates"); n != 0 {
		t.Fatalf("%d templates stored without a consent policy", n)
	}
	var cols []string
	for tok := (*string)(nil); ; {
		out, err := c.ListCollections(ctx, &rek.ListCollectionsInput{MaxResults: aws.Int32(1), NextToken: tok})
		if err != nil {
			t.Fatal(err)
		}
		cols = append(cols, out.CollectionIds...)
		if tok = out.NextToken; tok == nil {
			break
		}
	}
	if !slices.Equal(cols, []string{"nopolicy", "staff", "visitors"}) {
		t.Fatalf("paged collections %v", cols)
	}
	_, err = c.ListCollections(ctx, &rek.ListCollectionsInput{NextToken: aws.String("forged")})
	wantAWS(t, err, "InvalidPaginationTokenException")
	tenant, _ := e.st.CreateTenant(ctx, "a")
	d, err := c.DescribeCollection(ctx, &rek.DescribeCollectionInput{CollectionId: aws.String("staff")})
	if err != nil || *d.CollectionARN != "arn:aws:rekognition:"+rekRegion+":"+tenant.ID+":collection/staff" || *d.FaceModelVersion != "7.0" {
		t.Fatalf("describe: %+v %v", d, err)
	}

	robA, robB, natID := rekIndex(t, c, "staff", rob1, "rob-1"), rekIndex(t, c, "staff", rob2, "rob-2"), rekIndex(t, c, "staff", nat, "nathalie")
	// MaxFaces keeps the largest face; the other's template is not kept.
	out, err := c.IndexFaces(ctx, &rek.IndexFacesInput{CollectionId: aws.String("visitors"), Image: rekImg(rekTwoFaces(t, rob1, nat)),
		MaxFaces: aws.Int32(1), QualityFilter: types.QualityFilterNone})
	if err != nil || len(out.FaceRecords) != 1 || len(out.UnindexedFaces) != 1 || out.UnindexedFaces[0].Reasons[0] != types.ReasonExceedsMaxFaces {
		t.Fatalf("MaxFaces 1 on two faces: %+v %v", out, err)
	}
	out, err = c.IndexFaces(ctx, &rek.IndexFacesInput{CollectionId: aws.String("visitors"), Image: rekImg(fixture(t, "pose_left_face.jpeg"))})
	if err != nil || len(out.FaceRecords) != 0 || !slices.Contains(out.UnindexedFaces[0].Reasons, types.ReasonExtremePose) {
		t.Fatalf("a profile face under AUTO: %+v %v", out, err)
	}
	if n := e.rows("templates"); n != 4 {
		t.Fatalf("%d templates stored, want 4 (faces not indexed are not kept)", n)
	}

	var seen []string
	for tok := (*string)(nil); ; {
		lf, err := c.ListFaces(ctx, &rek.ListFacesInput{CollectionId: aws.String("staff"), MaxResults: aws.Int32(2), NextToken: tok})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range lf.Faces {
			seen = append(seen, *f.FaceId)
			if *f.ImageId == "" || *f.BoundingBox.Width <= 0 || *f.Confidence < 50 || *f.IndexFacesModelVersion == "" || f.ExternalImageId == nil {
				t.Errorf("face %+v lacks fields", f)
			}
		}
		if tok = lf.NextToken; tok == nil {
			break
		}
	}
	want := []string{robA, robB, natID}
	slices.Sort(want)
	if !slices.Equal(seen, want) {
		t.Fatalf("ListFaces %v, want %v", seen, want)
	}

	sf, err := c.SearchFaces(ctx, &rek.SearchFacesInput{CollectionId: aws.String("staff"), FaceId: aws.String(robA)})
	if err != nil || len(sf.FaceMatches) != 1 || *sf.FaceMatches[0].Face.FaceId != robB || *sf.FaceMatches[0].Similarity < 80 {
		t.Fatalf("SearchFaces(rob-1): %+v %v", sf, err)
	}
	sbi, err := c.SearchFacesByImage(ctx, &rek.SearchFacesByImageInput{CollectionId: aws.String("staff"), Image: rekImg(rekLFW(t, "Rob_Lowe", 3))})
	if err != nil || len(sbi.FaceMatches) != 2 || *sbi.FaceMatches[0].Similarity < *sbi.FaceMatches[1].Similarity || sbi.SearchedFaceBoundingBox == nil {
		t.Fatalf("SearchFacesByImage(Rob_Lowe_0003): %+v %v", sbi, err)
	}
	_, err = c.SearchFacesByImage(ctx, &rek.SearchFacesByImageInput{CollectionId: aws.String("staff"), Image: rekImg(fixture(t, "crop_no_face.png"))})
	wantAWS(t, err, "InvalidParameterException")
	_, err = c.SearchFacesByImage(ctx, &rek.SearchFacesByImageInput{CollectionId: aws.String("nope"), Image: rekImg(rob1)})
	wantAWS(t, err, "ResourceNotFoundException")
	_, err = c.DetectFaces(ctx, &rek.DetectFacesInput{Image: rekImg(rob1[:len(rob1)/3])})
	wantAWS(t, err, "InvalidImageFormatException")

	df, err := c.DetectFaces(ctx, &rek.DetectFacesInput{Image: rekImg(rekTwoFaces(t, rob1, nat)), Attributes: []types.Attribute{types.AttributeAll}})
	if err != nil || len(df.FaceDetails) != 2 {
		t.Fatalf("DetectFaces: %+v %v", df, err)
	}
	for _, f := range df.FaceDetails {
		if f.AgeRange != nil || f.Gender != nil || f.Emotions != nil || f.Smile != nil || f.Beard != nil || f.Eyeglasses != nil || f.EyesOpen != nil {
			t.Fatalf("a personal attribute was returned: %+v", f)
		}
	}
	cf, err := c.CompareFaces(ctx, &rek.CompareFacesInput{SourceImage: rekImg(rob1), TargetImage: rekImg(rob2)})
	if err != nil || len(cf.FaceMatches) != 1 || *cf.FaceMatches[0].Similarity < 80 {
		t.Fatalf("CompareFaces: %+v %v", cf, err)
	}

	del, err := c.DeleteFaces(ctx, &rek.DeleteFacesInput{CollectionId: aws.String("staff"), FaceIds: []string{natID, "00000000-0000-4000-8000-000000000000"}})
	if err != nil || !slices.Equal(del.DeletedFaces, []string{natID}) || del.UnsuccessfulFaceDeletions[0].Reasons[0] != types.UnsuccessfulFaceDeletionReasonFaceNotFound {
		t.Fatalf("DeleteFaces: %+v %v", del, err)
	}
	sf, err = c.SearchFaces(ctx, &rek.SearchFacesInput{CollectionId: aws.String("staff"), FaceId: aws.String(robA), FaceMatchThreshold: aws.Float32(0)})
	if err != nil || len(sf.FaceMatches) != 1 {
		t.Fatalf("after DeleteFaces, threshold 0: %+v %v", sf, err)
	}
	if _, err := c.DeleteCollection(ctx, &rek.DeleteCollectionInput{CollectionId: aws.String("visitors")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteCollection(ctx, &rek.DeleteCollectionInput{CollectionId: aws.String("visitors")})
	wantAWS(t, err, "ResourceNotFoundException")
	if n := e.rows("templates"); n != 2 {
		t.Fatalf("%d templates after erasure, want 2", n)
	}
	if d, _ := c.DescribeCollection(ctx, &rek.DescribeCollectionInput{CollectionId: aws.String("staff")}); *d.FaceCount != 2 {
		t.Fatalf("FaceCount %d", *d.FaceCount)
	}
	if n, err := e.st.VerifyAudit(ctx); err != nil || n < 12 {
		t.Fatalf("audit %d %v", n, err)
	}
}

func TestRekognitionSDKUsers(t *testing.T) {
	e, c := rekModelServer(t)
	ctx := rekCtx(t)
	col := aws.String("staff")
	rekCreate(t, c, "staff", rekStaffTags)
	rob1 := rekIndex(t, c, "staff", fixture(t, "bulk_Rob_Lowe_0001.jpg"), "rob-1")
	rob2 := rekIndex(t, c, "staff", fixture(t, "bulk_Rob_Lowe_0002.jpg"), "rob-2")
	nat := rekIndex(t, c, "staff", fixture(t, "bulk_Nathalie_Baye_0002.jpg"), "nathalie")
	for _, u := range []string{"rob", "nathalie"} {
		if _, err := c.CreateUser(ctx, &rek.CreateUserInput{CollectionId: col, UserId: aws.String(u)}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := c.CreateUser(ctx, &rek.CreateUserInput{CollectionId: col, UserId: aws.String("rob")})
	wantAWS(t, err, "ConflictException")
	as, err := c.AssociateFaces(ctx, &rek.AssociateFacesInput{CollectionId: col, UserId: aws.String("rob"), FaceIds: []string{rob1}})
	if err != nil || len(as.AssociatedFaces) != 1 || as.UserStatus != types.UserStatusActive {
		t.Fatalf("associate rob-1: %+v %v", as, err)
	}
	as, err = c.AssociateFaces(ctx, &rek.AssociateFacesInput{CollectionId: col, UserId: aws.String("rob"), FaceIds: []string{rob2, nat}})
	if err != nil || len(as.AssociatedFaces) != 1 || *as.AssociatedFaces[0].FaceId != rob2 ||
		as.UnsuccessfulFaceAssociations[0].Reasons[0] != types.UnsuccessfulFaceAssociationReasonLowMatchConfidence {
		t.Fatalf("associate rob-2 and nathalie: %+v %v", as, err)
	}
	if _, err := c.AssociateFaces(ctx, &rek.AssociateFacesInput{CollectionId: col, UserId: aws.String("nathalie"), FaceIds: []string{nat}}); err != nil {
		t.Fatal(err)
	}
	_, err = c.AssociateFaces(ctx, &rek.AssociateFacesInput{CollectionId: col, UserId: aws.String("nobody"), FaceIds: []string{nat}})
	wantAWS(t, err, "ResourceNotFoundException")
	lu, err := c.ListUsers(ctx, &rek.ListUsersInput{CollectionId: col, MaxResults: aws.Int32(1)})
	if err != nil || len(lu.Users) != 1 || *lu.Users[0].UserId != "nathalie" || lu.NextToken == nil {
		t.Fatalf("ListUsers page 1: %+v %v", lu, err)
	}
	lu, err = c.ListUsers(ctx, &rek.ListUsersInput{CollectionId: col, NextToken: lu.NextToken})
	if err != nil || len(lu.Users) != 1 || *lu.Users[0].UserId != "rob" || lu.NextToken != nil || lu.Users[0].UserStatus != types.UserStatusActive {
		t.Fatalf("ListUsers page 2: %+v %v", lu, err)
	}
	if lf, err := c.ListFaces(ctx, &rek.ListFacesInput{CollectionId: col, UserId: aws.String("rob")}); err != nil || len(lf.Faces) != 2 {
		t.Fatalf("ListFaces of rob: %+v %v", lf, err)
	}
	su, err := c.SearchUsersByImage(ctx, &rek.SearchUsersByImageInput{CollectionId: col, Image: rekImg(rekLFW(t, "Rob_Lowe", 3))})
	if err != nil || len(su.UserMatches) != 1 || *su.UserMatches[0].User.UserId != "rob" {
		t.Fatalf("SearchUsersByImage: %+v %v", su, err)
	}
	sv, err := c.SearchUsers(ctx, &rek.SearchUsersInput{CollectionId: col, UserId: aws.String("rob"), UserMatchThreshold: aws.Float32(0)})
	if err != nil || len(sv.UserMatches) != 1 || *sv.UserMatches[0].User.UserId != "nathalie" {
		t.Fatalf("SearchUsers by user: %+v %v", sv, err)
	}
	// The search by user is audited with the user id's pseudonym, never the id.
	ka, _ := e.st.Authenticate(ctx, e.admin)
	log, _ := e.st.AuditLog(ctx, ka.TenantID, 0, 1000)
	searched := 0
	for _, x := range log {
		if u, _ := x.Detail["user"].(string); x.Action == "rekognition.search" && u != "" {
			searched++
			if u != e.st.PseudonymUser(x.Object, "rob") {
				t.Fatalf("search audited with user %q", u)
			}
		}
	}
	if searched == 0 {
		t.Fatalf("no search by user audited (%d)", searched)
	}
	del, err := c.DeleteFaces(ctx, &rek.DeleteFacesInput{CollectionId: col, FaceIds: []string{rob1}})
	if err != nil || len(del.DeletedFaces) != 0 || del.UnsuccessfulFaceDeletions[0].Reasons[0] != types.UnsuccessfulFaceDeletionReasonAssociatedToAnExistingUser {
		t.Fatalf("deleting an associated face: %+v %v", del, err)
	}
	dis, err := c.DisassociateFaces(ctx, &rek.DisassociateFacesInput{CollectionId: col, UserId: aws.String("rob"), FaceIds: []string{rob1, nat}})
	if err != nil || len(dis.DisassociatedFaces) != 1 || len(dis.UnsuccessfulFaceDisassociations) != 1 {
		t.Fatalf("disassociate: %+v %v", dis, err)
	}
	if _, err := c.DeleteUser(ctx, &rek.DeleteUserInput{CollectionId: col, UserId: aws.String("rob")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteUser(ctx, &rek.DeleteUserInput{CollectionId: col, UserId: aws.String("rob")})
	wantAWS(t, err, "ResourceNotFoundException")
	lf, _ := c.ListFaces(ctx, &rek.ListFacesInput{CollectionId: col, FaceIds: []string{rob2}})
	if len(lf.Faces) != 1 || lf.Faces[0].UserId != nil {
		t.Fatalf("rob-2 after its user was deleted: %+v", lf.Faces)
	}
}

func TestRekognitionCrossTenant(t *testing.T) {
	e, a := rekModelServer(t)
	ctx := rekCtx(t)
	bid, bsecret := e.awsKey(e.other, false)
	b := rekClient(e.url, bid, bsecret)
	rekCreate(t, a, "staff", rekStaffTags)
	robA := rekIndex(t, a, "staff", fixture(t, "bulk_Rob_Lowe_0001.jpg"), "rob")
	staff := aws.String("staff")
	_, err := b.DescribeCollection(ctx, &rek.DescribeCollectionInput{CollectionId: staff})
	wantAWS(t, err, "ResourceNotFoundException")
	_, err = b.ListFaces(ctx, &rek.ListFacesInput{CollectionId: staff})
	wantAWS(t, err, "ResourceNotFoundException")
	_, err = b.DeleteFaces(ctx, &rek.DeleteFacesInput{CollectionId: staff, FaceIds: []string{robA}})
	wantAWS(t, err, "ResourceNotFoundException")
	_, err = b.SearchFacesByImage(ctx, &rek.SearchFacesByImageInput{CollectionId: staff, Image: rekImg(fixture(t, "bulk_Rob_Lowe_0002.jpg"))})
	wantAWS(t, err, "ResourceNotFoundException")
	_, err = b.DeleteCollection(ctx, &rek.DeleteCollectionInput{CollectionId: staff})
	wantAWS(t, err, "ResourceNotFoundException")
	// B's own collection of the same name is another collection.
	rekCreate(t, b, "staff", rekStaffTags)
	_, err = b.SearchFaces(ctx, &rek.SearchFacesInput{CollectionId: staff, FaceId: aws.String(robA)})
	wantAWS(t, err, "ResourceNotFoundException")
	del, err := b.DeleteFaces(ctx, &rek.DeleteFacesInput{CollectionId: staff, FaceIds: []string{robA}})
	if err != nil || len(del.DeletedFaces) != 0 {
		t.Fatalf("B deletes A's face through its own collection: %+v %v", del, err)
	}
	sb, err := b.SearchFacesByImage(ctx, &rek.SearchFacesByImageInput{CollectionId: staff, Image: rekImg(fixture(t, "bulk_Rob_Lowe_0002.jpg")), FaceMatchThreshold: aws.Float32(0)})
	if err != nil || len(sb.FaceMatches) != 0 {
		t.Fatalf("B finds A's faces: %+v %v", sb, err)
	}
	if lf, err := a.ListFaces(ctx, &rek.ListFacesInput{CollectionId: staff}); err != nil || len(lf.Faces) != 1 || *lf.Faces[0].FaceId != robA {
		t.Fatalf("A's faces after B's attempts: %+v %v", lf, err)
	}
	// And B's bearer key cannot reach A's collection through /v1.
	tenantA, _ := e.st.CreateTenant(ctx, "a")
	colA, _ := e.st.CollectionByName(ctx, tenantA.ID, "staff")
	if code, _ := e.call("GET", "/v1/collections/"+colA.ID+"/subjects", e.other, nil, ""); code != 404 {
		t.Fatalf("B lists A's subjects: %d", code)
	}
}

// TestRekognitionSurvivesRestart: faces, users and access keys made through
// the SDK are in the store: a new server on the reopened database serves
// them, to both APIs.
func TestRekognitionSurvivesRestart(t *testing.T) {
	eng := testenv.Engine(t, "standard")
	ctx := rekCtx(t)
	path := filepath.Join(t.TempDir(), "mien.db")
	e1 := rekServeAt(t, eng, path)
	id, secret := e1.awsKey(e1.admin, false)
	c := rekClient(e1.url, id, secret)
	rekCreate(t, c, "staff", rekStaffTags)
	rob := rekIndex(t, c, "staff", fixture(t, "bulk_Rob_Lowe_0001.jpg"), "rob-1")
	if _, err := c.CreateUser(ctx, &rek.CreateUserInput{CollectionId: aws.String("staff"), UserId: aws.String("rob")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AssociateFaces(ctx, &rek.AssociateFacesInput{CollectionId: aws.String("staff"), UserId: aws.String("rob"), FaceIds: []string{rob}}); err != nil {
		t.Fatal(err)
	}
	e1.close()

	e2 := rekServeAt(t, eng, path)
	e2.admin = e1.admin
	c = rekClient(e2.url, id, secret)
	lf, err := c.ListFaces(ctx, &rek.ListFacesInput{CollectionId: aws.String("staff")})
	if err != nil || len(lf.Faces) != 1 || *lf.Faces[0].FaceId != rob || *lf.Faces[0].ExternalImageId != "rob-1" || *lf.Faces[0].UserId != "rob" {
		t.Fatalf("faces after restart: %+v %v", lf, err)
	}
	lu, err := c.ListUsers(ctx, &rek.ListUsersInput{CollectionId: aws.String("staff")})
	if err != nil || len(lu.Users) != 1 || lu.Users[0].UserStatus != types.UserStatusActive {
		t.Fatalf("users after restart: %+v %v", lu, err)
	}
	rob2 := fixture(t, "bulk_Rob_Lowe_0002.jpg")
	sbi, err := c.SearchFacesByImage(ctx, &rek.SearchFacesByImageInput{CollectionId: aws.String("staff"), Image: rekImg(rob2)})
	if err != nil || len(sbi.FaceMatches) != 1 || *sbi.FaceMatches[0].Face.FaceId != rob {
		t.Fatalf("search after restart: %+v %v", sbi, err)
	}
	tenant, _ := e2.st.CreateTenant(ctx, "a")
	col, _ := e2.st.CollectionByName(ctx, tenant.ID, "staff")
	res := e2.rekIdentify(e2.admin, col.ID, rob2, "0.001")
	if res.Decision != "match" {
		t.Fatalf("identify after restart: %+v", res)
	}
	if n, err := e2.st.VerifyAudit(ctx); err != nil || n < 6 {
		t.Fatalf("audit after restart: %d %v", n, err)
	}
}

// rekRestartable is an env whose server and store can be closed.
type rekRestartable struct {
	*env
	close func()
}

// rekServeAt runs a server over the database at path (tenants a and b are
// created, or found, with fresh admin keys).
func rekServeAt(t *testing.T, eng server.Engine, path string) rekRestartable {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, path, store.Options{MasterKey: master})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := st.CreateTenant(ctx, "a")
	ka, _, _ := st.CreateKey(ctx, a.ID, store.RoleAdmin, "test")
	srv, err := server.New(ctx, server.Options{Engine: eng, Store: st, MaxBody: 8 << 20, Logger: rekQuietLog()})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	closed := false
	shut := func() {
		if !closed {
			closed = true
			hs.Close()
			st.Close()
		}
	}
	t.Cleanup(shut)
	return rekRestartable{&env{t: t, url: hs.URL, st: st, admin: ka}, shut}
}

// rekIdentified is the answer of /v1/collections/{id}/identify for the largest
// face of the probe.
type rekIdentified struct {
	Decision   string
	Candidates []server.Candidate
}

func (e *env) rekIdentify(key, colID string, img []byte, far string) rekIdentified {
	e.t.Helper()
	body, ct := form(map[string][][]byte{"image": {img}}, map[string]string{"far": far, "top_k": "50"})
	code, out := e.call("POST", "/v1/collections/"+colID+"/identify", key, body, ct)
	if code != 200 {
		e.t.Fatalf("identify: %d %v", code, out)
	}
	return e.rekIdentifyAnswer(out)
}

// rekIdentifyAnswer reads an identify answer's largest face.
func (e *env) rekIdentifyAnswer(out map[string]any) rekIdentified {
	e.t.Helper()
	var best rekIdentified
	area := -1.0
	for _, f := range out["faces"].([]any) {
		fm := f.(map[string]any)
		box := fm["box"].(map[string]any)
		if a := box["width"].(float64) * box["height"].(float64); a > area {
			area = a
			best = rekIdentified{Decision: fm["decision"].(string)}
			for _, cand := range fm["candidates"].([]any) {
				cm := cand.(map[string]any)
				best.Candidates = append(best.Candidates, server.Candidate{SubjectID: cm["subject_id"].(string), Similarity: float32(cm["similarity"].(float64))})
			}
		}
	}
	if area < 0 {
		e.t.Fatalf("identify found no face: %v", out)
	}
	return best
}
