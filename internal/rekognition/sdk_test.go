package rekognition

// Every operation driven through the official AWS SDK for Go v2 with the
// real engine (skipped without models: run scripts/setup.sh).

import (
	"cmp"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	rek "github.com/aws/aws-sdk-go-v2/service/rekognition"
	"github.com/aws/aws-sdk-go-v2/service/rekognition/types"

	"github.com/mienhq/mien/detect"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/internal/testenv"
)

func engineServer(t *testing.T) (*testServer, *rek.Client) {
	t.Helper()
	e := testenv.Engine(t, "standard")
	s := newTestServer(t, e, Options{})
	return s, s.client(keyA, secretA)
}

func img(b []byte) *types.Image { return &types.Image{Bytes: b} }

func createStaff(t *testing.T, c *rek.Client, id string) {
	t.Helper()
	if _, err := c.CreateCollection(ctx(t), &rek.CreateCollectionInput{CollectionId: aws.String(id), Tags: consentTags}); err != nil {
		t.Fatal(err)
	}
}

func indexOne(t *testing.T, c *rek.Client, col string, image []byte, external string) string {
	t.Helper()
	out, err := c.IndexFaces(ctx(t), &rek.IndexFacesInput{CollectionId: aws.String(col), Image: img(image), ExternalImageId: aws.String(external)})
	if err != nil {
		t.Fatalf("IndexFaces %s: %v", external, err)
	}
	if len(out.FaceRecords) != 1 {
		t.Fatalf("IndexFaces %s: %d faces indexed, unindexed %+v", external, len(out.FaceRecords), out.UnindexedFaces)
	}
	return *out.FaceRecords[0].Face.FaceId
}

func TestSDKDetectFaces(t *testing.T) {
	_, c := engineServer(t)
	out, err := c.DetectFaces(ctx(t), &rek.DetectFacesInput{Image: img(fixture(t, "bulk_Rob_Lowe_0001.jpg")), Attributes: []types.Attribute{types.AttributeAll}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.FaceDetails) != 1 {
		t.Fatalf("%d faces", len(out.FaceDetails))
	}
	f := out.FaceDetails[0]
	b := f.BoundingBox
	if *b.Left < 0.2 || *b.Left > 0.45 || *b.Width < 0.25 || *b.Width > 0.5 || *b.Top < 0.1 || *b.Height < 0.3 {
		t.Errorf("bounding box %v %v %v %v not ratios of the 250x250 image", *b.Left, *b.Top, *b.Width, *b.Height)
	}
	if *f.Confidence < 50 || *f.Confidence > 100 {
		t.Errorf("confidence %v not on 0-100", *f.Confidence)
	}
	marks := map[types.LandmarkType]types.Landmark{}
	for _, l := range f.Landmarks {
		marks[l.Type] = l
	}
	if len(marks) != 5 || *marks[types.LandmarkTypeEyeLeft].X >= *marks[types.LandmarkTypeEyeRight].X ||
		*marks[types.LandmarkTypeMouthLeft].X >= *marks[types.LandmarkTypeMouthRight].X {
		t.Errorf("landmarks %+v: want eyeLeft/mouthLeft at the image's left, as AWS", marks)
	}
	if f.Pose == nil || f.Quality == nil || *f.Quality.Sharpness <= 0 || *f.Quality.Sharpness > 100 || *f.Quality.Brightness <= 0 {
		t.Errorf("pose %+v quality %+v", f.Pose, f.Quality)
	}
	if f.AgeRange != nil || f.Gender != nil || f.Emotions != nil || f.Smile != nil || f.Beard != nil || f.Mustache != nil ||
		f.Eyeglasses != nil || f.Sunglasses != nil || f.EyesOpen != nil || f.MouthOpen != nil || f.EyeDirection != nil || f.FaceOccluded != nil {
		t.Errorf("Attributes ALL returned a personal attribute: %+v", f)
	}
	none, err := c.DetectFaces(ctx(t), &rek.DetectFacesInput{Image: img(fixture(t, "crop_no_face.png"))})
	if err != nil || len(none.FaceDetails) != 0 {
		t.Errorf("no face: %v, %v", none, err)
	}
	data := fixture(t, "bulk_Rob_Lowe_0001.jpg")
	_, err = c.DetectFaces(ctx(t), &rek.DetectFacesInput{Image: img(data[:len(data)/3])})
	wantCode(t, err, "InvalidImageFormatException")
}

func TestSDKCompareFaces(t *testing.T) {
	_, c := engineServer(t)
	rob1, rob2, nat := fixture(t, "bulk_Rob_Lowe_0001.jpg"), fixture(t, "bulk_Rob_Lowe_0002.jpg"), fixture(t, "bulk_Nathalie_Baye_0002.jpg")
	same, err := c.CompareFaces(ctx(t), &rek.CompareFacesInput{SourceImage: img(rob1), TargetImage: img(rob2)})
	if err != nil {
		t.Fatal(err)
	}
	if len(same.FaceMatches) != 1 || *same.FaceMatches[0].Similarity < 80 || len(same.UnmatchedFaces) != 0 {
		t.Fatalf("same person: %+v", same)
	}
	// Two faces in the target: Rob matches, Nathalie does not.
	two := sideBySide(t, nat, rob2, 1)
	mixed, err := c.CompareFaces(ctx(t), &rek.CompareFacesInput{SourceImage: img(rob1), TargetImage: img(two)})
	if err != nil {
		t.Fatal(err)
	}
	if len(mixed.FaceMatches) != 1 || len(mixed.UnmatchedFaces) != 1 || *mixed.FaceMatches[0].Face.BoundingBox.Left < 0.5 {
		t.Fatalf("mixed target: %d matches, %d unmatched", len(mixed.FaceMatches), len(mixed.UnmatchedFaces))
	}
	if mixed.SourceImageFace == nil || *mixed.SourceImageFace.Confidence < 50 {
		t.Errorf("source face %+v", mixed.SourceImageFace)
	}
	_, err = c.CompareFaces(ctx(t), &rek.CompareFacesInput{SourceImage: img(fixture(t, "crop_no_face.png")), TargetImage: img(rob2)})
	wantCode(t, err, "InvalidParameterException")
}

func TestSDKCollections(t *testing.T) {
	_, c := engineServer(t)
	for _, id := range []string{"c1", "c2", "c3"} {
		createStaff(t, c, id)
	}
	_, err := c.CreateCollection(ctx(t), &rek.CreateCollectionInput{CollectionId: aws.String("c2")})
	wantCode(t, err, "ResourceAlreadyExistsException")
	var all []string
	var token *string
	for pages := 0; ; pages++ {
		out, err := c.ListCollections(ctx(t), &rek.ListCollectionsInput{MaxResults: aws.Int32(2), NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.CollectionIds) != len(out.FaceModelVersions) || len(out.CollectionIds) > 2 {
			t.Fatalf("page %+v", out)
		}
		all = append(all, out.CollectionIds...)
		if token = out.NextToken; token == nil {
			break
		}
		if pages > 3 {
			t.Fatal("paging does not end")
		}
	}
	if !slices.Equal(all, []string{"c1", "c2", "c3"}) {
		t.Fatalf("listed %v", all)
	}
	d, err := c.DescribeCollection(ctx(t), &rek.DescribeCollectionInput{CollectionId: aws.String("c1")})
	if err != nil || *d.FaceCount != 0 || *d.FaceModelVersion != "7.0" || d.CreationTimestamp == nil ||
		*d.CollectionARN != "arn:aws:rekognition:"+region+":tenant-a:collection/c1" {
		t.Fatalf("describe: %+v, %v", d, err)
	}
	if _, err := c.DeleteCollection(ctx(t), &rek.DeleteCollectionInput{CollectionId: aws.String("c1")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DescribeCollection(ctx(t), &rek.DescribeCollectionInput{CollectionId: aws.String("c1")})
	wantCode(t, err, "ResourceNotFoundException")
	_, err = c.DeleteCollection(ctx(t), &rek.DeleteCollectionInput{CollectionId: aws.String("c1")})
	wantCode(t, err, "ResourceNotFoundException")
}

func TestSDKFaces(t *testing.T) {
	s, c := engineServer(t)
	createStaff(t, c, "staff")
	col := aws.String("staff")
	rob1 := indexOne(t, c, "staff", fixture(t, "bulk_Rob_Lowe_0001.jpg"), "rob-1")
	rob2 := indexOne(t, c, "staff", fixture(t, "bulk_Rob_Lowe_0002.jpg"), "rob-2")
	nat := indexOne(t, c, "staff", fixture(t, "bulk_Nathalie_Baye_0002.jpg"), "nathalie")

	// Paging through ListFaces one at a time returns each face once.
	var seen []string
	var token *string
	for {
		out, err := c.ListFaces(ctx(t), &rek.ListFacesInput{CollectionId: col, MaxResults: aws.Int32(1), NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range out.Faces {
			seen = append(seen, *f.FaceId)
			if f.ExternalImageId == nil || f.ImageId == nil || f.BoundingBox == nil || *f.IndexFacesModelVersion == "" {
				t.Errorf("face %+v lacks fields", f)
			}
		}
		if token = out.NextToken; token == nil {
			break
		}
	}
	slices.Sort(seen)
	want := []string{rob1, rob2, nat}
	slices.Sort(want)
	if !slices.Equal(seen, want) {
		t.Fatalf("listed %v, want %v", seen, want)
	}

	sf, err := c.SearchFaces(ctx(t), &rek.SearchFacesInput{CollectionId: col, FaceId: aws.String(rob1)})
	if err != nil {
		t.Fatal(err)
	}
	if len(sf.FaceMatches) != 1 || *sf.FaceMatches[0].Face.FaceId != rob2 || *sf.SearchedFaceId != rob1 {
		t.Fatalf("SearchFaces(rob-1): %+v", sf.FaceMatches)
	}
	// Threshold 0 returns every other face, best first.
	sf0, err := c.SearchFaces(ctx(t), &rek.SearchFacesInput{CollectionId: col, FaceId: aws.String(rob1), FaceMatchThreshold: aws.Float32(0)})
	if err != nil || len(sf0.FaceMatches) != 2 || *sf0.FaceMatches[0].Similarity < *sf0.FaceMatches[1].Similarity {
		t.Fatalf("SearchFaces threshold 0: %+v, %v", sf0.FaceMatches, err)
	}

	sbi, err := c.SearchFacesByImage(ctx(t), &rek.SearchFacesByImageInput{CollectionId: col, Image: img(readShared(t, "data/lfw/images/Rob_Lowe/Rob_Lowe_0003.jpg")), MaxFaces: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	if len(sbi.FaceMatches) != 1 || *sbi.FaceMatches[0].Face.ExternalImageId != "rob-1" && *sbi.FaceMatches[0].Face.ExternalImageId != "rob-2" {
		t.Fatalf("SearchFacesByImage(Rob_Lowe_0003): %+v", sbi.FaceMatches)
	}
	if sbi.SearchedFaceBoundingBox == nil || *sbi.SearchedFaceConfidence < 50 {
		t.Errorf("searched face %+v %v", sbi.SearchedFaceBoundingBox, sbi.SearchedFaceConfidence)
	}
	_, err = c.SearchFacesByImage(ctx(t), &rek.SearchFacesByImageInput{CollectionId: col, Image: img(fixture(t, "crop_no_face.png"))})
	wantCode(t, err, "InvalidParameterException")

	// Erasure: the template is gone from the store and from search.
	del, err := c.DeleteFaces(ctx(t), &rek.DeleteFacesInput{CollectionId: col, FaceIds: []string{rob1, "00000000-0000-4000-8000-000000000000"}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(del.DeletedFaces, []string{rob1}) || len(del.UnsuccessfulFaceDeletions) != 1 ||
		del.UnsuccessfulFaceDeletions[0].Reasons[0] != types.UnsuccessfulFaceDeletionReasonFaceNotFound {
		t.Fatalf("DeleteFaces: %+v", del)
	}
	if _, kept := s.mem.tenants["tenant-a"]["staff"].faces[rob1]; kept {
		t.Fatal("the deleted face's template is still stored")
	}
	_, err = c.SearchFaces(ctx(t), &rek.SearchFacesInput{CollectionId: col, FaceId: aws.String(rob1)})
	wantCode(t, err, "ResourceNotFoundException")
	sf, err = c.SearchFaces(ctx(t), &rek.SearchFacesInput{CollectionId: col, FaceId: aws.String(rob2), FaceMatchThreshold: aws.Float32(0)})
	if err != nil || len(sf.FaceMatches) != 1 || *sf.FaceMatches[0].Face.FaceId != nat {
		t.Fatalf("after erasure: %+v, %v", sf.FaceMatches, err)
	}
	d, _ := c.DescribeCollection(ctx(t), &rek.DescribeCollectionInput{CollectionId: col})
	if *d.FaceCount != 2 {
		t.Fatalf("FaceCount %d after erasure", *d.FaceCount)
	}
}

// TestSDKIndexFacesFilters: MaxFaces keeps the largest faces and
// QualityFilter refuses poor ones; templates of faces not indexed are never
// stored.
func TestSDKIndexFacesFilters(t *testing.T) {
	s, c := engineServer(t)
	createStaff(t, c, "staff")
	col := aws.String("staff")
	two := sideBySide(t, fixture(t, "bulk_Rob_Lowe_0001.jpg"), fixture(t, "bulk_Nathalie_Baye_0002.jpg"), 2)
	out, err := c.IndexFaces(ctx(t), &rek.IndexFacesInput{CollectionId: col, Image: img(two), MaxFaces: aws.Int32(1), ExternalImageId: aws.String("pair")})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.FaceRecords) != 1 || len(out.UnindexedFaces) != 1 || out.UnindexedFaces[0].Reasons[0] != types.ReasonExceedsMaxFaces {
		t.Fatalf("MaxFaces 1: %d indexed, unindexed %+v", len(out.FaceRecords), out.UnindexedFaces)
	}
	if *out.FaceRecords[0].Face.BoundingBox.Left < 0.3 {
		t.Errorf("indexed the smaller face (left %v), not the largest", *out.FaceRecords[0].Face.BoundingBox.Left)
	}
	profile := fixture(t, "pose_left_face.jpeg")
	out, err = c.IndexFaces(ctx(t), &rek.IndexFacesInput{CollectionId: col, Image: img(profile)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.FaceRecords) != 0 || len(out.UnindexedFaces) != 1 || !slices.Contains(out.UnindexedFaces[0].Reasons, types.ReasonExtremePose) {
		t.Fatalf("profile face under AUTO: %+v", out)
	}
	if n := len(s.mem.tenants["tenant-a"]["staff"].faces); n != 1 {
		t.Fatalf("%d templates stored, want 1 (unindexed faces must not be kept)", n)
	}
	out, err = c.IndexFaces(ctx(t), &rek.IndexFacesInput{CollectionId: col, Image: img(profile), QualityFilter: types.QualityFilterNone})
	if err != nil || len(out.FaceRecords) != 1 {
		t.Fatalf("profile face under NONE: %+v, %v", out, err)
	}
}

func TestSDKUsers(t *testing.T) {
	_, c := engineServer(t)
	createStaff(t, c, "staff")
	col := aws.String("staff")
	rob1 := indexOne(t, c, "staff", fixture(t, "bulk_Rob_Lowe_0001.jpg"), "rob-1")
	rob2 := indexOne(t, c, "staff", fixture(t, "bulk_Rob_Lowe_0002.jpg"), "rob-2")
	nat := indexOne(t, c, "staff", fixture(t, "bulk_Nathalie_Baye_0002.jpg"), "nathalie")

	for _, u := range []string{"rob", "nathalie"} {
		if _, err := c.CreateUser(ctx(t), &rek.CreateUserInput{CollectionId: col, UserId: aws.String(u)}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := c.CreateUser(ctx(t), &rek.CreateUserInput{CollectionId: col, UserId: aws.String("rob")})
	wantCode(t, err, "ConflictException")

	as, err := c.AssociateFaces(ctx(t), &rek.AssociateFacesInput{CollectionId: col, UserId: aws.String("rob"), FaceIds: []string{rob1}})
	if err != nil || len(as.AssociatedFaces) != 1 || as.UserStatus != types.UserStatusActive {
		t.Fatalf("associate rob-1: %+v, %v", as, err)
	}
	// rob-2 matches rob's face; Nathalie's does not.
	as, err = c.AssociateFaces(ctx(t), &rek.AssociateFacesInput{CollectionId: col, UserId: aws.String("rob"), FaceIds: []string{rob2, nat}})
	if err != nil || len(as.AssociatedFaces) != 1 || *as.AssociatedFaces[0].FaceId != rob2 ||
		len(as.UnsuccessfulFaceAssociations) != 1 || as.UnsuccessfulFaceAssociations[0].Reasons[0] != types.UnsuccessfulFaceAssociationReasonLowMatchConfidence {
		t.Fatalf("associate rob-2 and nathalie: %+v, %v", as, err)
	}
	if _, err := c.AssociateFaces(ctx(t), &rek.AssociateFacesInput{CollectionId: col, UserId: aws.String("nathalie"), FaceIds: []string{nat}}); err != nil {
		t.Fatal(err)
	}
	as, err = c.AssociateFaces(ctx(t), &rek.AssociateFacesInput{CollectionId: col, UserId: aws.String("nathalie"), FaceIds: []string{rob1}})
	if err != nil || as.UnsuccessfulFaceAssociations[0].Reasons[0] != types.UnsuccessfulFaceAssociationReasonAssociatedToADifferentUser {
		t.Fatalf("associate rob-1 to nathalie: %+v, %v", as, err)
	}

	lu, err := c.ListUsers(ctx(t), &rek.ListUsersInput{CollectionId: col, MaxResults: aws.Int32(1)})
	if err != nil || len(lu.Users) != 1 || *lu.Users[0].UserId != "nathalie" || lu.NextToken == nil {
		t.Fatalf("ListUsers page 1: %+v, %v", lu, err)
	}
	lu, err = c.ListUsers(ctx(t), &rek.ListUsersInput{CollectionId: col, NextToken: lu.NextToken})
	if err != nil || len(lu.Users) != 1 || *lu.Users[0].UserId != "rob" || lu.NextToken != nil {
		t.Fatalf("ListUsers page 2: %+v, %v", lu, err)
	}
	lf, err := c.ListFaces(ctx(t), &rek.ListFacesInput{CollectionId: col, UserId: aws.String("rob")})
	if err != nil || len(lf.Faces) != 2 {
		t.Fatalf("ListFaces of rob: %+v, %v", lf, err)
	}

	probe := readShared(t, "data/lfw/images/Rob_Lowe/Rob_Lowe_0003.jpg")
	su, err := c.SearchUsersByImage(ctx(t), &rek.SearchUsersByImageInput{CollectionId: col, Image: img(probe)})
	if err != nil || len(su.UserMatches) != 1 || *su.UserMatches[0].User.UserId != "rob" || su.SearchedFace == nil {
		t.Fatalf("SearchUsersByImage: %+v, %v", su, err)
	}
	sf, err := c.SearchUsers(ctx(t), &rek.SearchUsersInput{CollectionId: col, FaceId: aws.String(rob1)})
	if err != nil || len(sf.UserMatches) != 1 || *sf.UserMatches[0].User.UserId != "rob" {
		t.Fatalf("SearchUsers by face: %+v, %v", sf, err)
	}
	sv, err := c.SearchUsers(ctx(t), &rek.SearchUsersInput{CollectionId: col, UserId: aws.String("rob"), UserMatchThreshold: aws.Float32(0)})
	if err != nil || len(sv.UserMatches) != 1 || *sv.UserMatches[0].User.UserId != "nathalie" {
		t.Fatalf("SearchUsers by user: %+v, %v", sv, err)
	}

	// An associated face cannot be deleted until disassociated.
	del, err := c.DeleteFaces(ctx(t), &rek.DeleteFacesInput{CollectionId: col, FaceIds: []string{rob1}})
	if err != nil || len(del.DeletedFaces) != 0 || del.UnsuccessfulFaceDeletions[0].Reasons[0] != types.UnsuccessfulFaceDeletionReasonAssociatedToAnExistingUser {
		t.Fatalf("deleting an associated face: %+v, %v", del, err)
	}
	dis, err := c.DisassociateFaces(ctx(t), &rek.DisassociateFacesInput{CollectionId: col, UserId: aws.String("rob"), FaceIds: []string{rob1, nat}})
	if err != nil || len(dis.DisassociatedFaces) != 1 || len(dis.UnsuccessfulFaceDisassociations) != 1 {
		t.Fatalf("disassociate: %+v, %v", dis, err)
	}
	if del, err = c.DeleteFaces(ctx(t), &rek.DeleteFacesInput{CollectionId: col, FaceIds: []string{rob1}}); err != nil || len(del.DeletedFaces) != 1 {
		t.Fatalf("delete after disassociation: %+v, %v", del, err)
	}
	if _, err := c.DeleteUser(ctx(t), &rek.DeleteUserInput{CollectionId: col, UserId: aws.String("rob")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteUser(ctx(t), &rek.DeleteUserInput{CollectionId: col, UserId: aws.String("rob")})
	wantCode(t, err, "ResourceNotFoundException")
	lf, _ = c.ListFaces(ctx(t), &rek.ListFacesInput{CollectionId: col, FaceIds: []string{rob2}})
	if len(lf.Faces) != 1 || lf.Faces[0].UserId != nil {
		t.Fatalf("rob-2 after its user was deleted: %+v", lf.Faces)
	}
}

// TestSDKConfigurationOnly: an unmodified program that loads the default
// AWS configuration reaches mien through environment variables alone.
func TestSDKConfigurationOnly(t *testing.T) {
	s, _ := engineServer(t)
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_ENDPOINT_URL_REKOGNITION", s.URL)
	t.Setenv("AWS_ACCESS_KEY_ID", keyA)
	t.Setenv("AWS_SECRET_ACCESS_KEY", secretA)
	t.Setenv("AWS_REGION", "us-east-1")
	os.Unsetenv("AWS_PROFILE")

	// The program as it would run against AWS:
	cfg, err := config.LoadDefaultConfig(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	client := rek.NewFromConfig(cfg)
	out, err := client.DetectFaces(ctx(t), &rek.DetectFacesInput{Image: &types.Image{Bytes: fixture(t, "bulk_Rob_Lowe_0001.jpg")}})
	if err != nil || len(out.FaceDetails) != 1 {
		t.Fatalf("%+v, %v", out, err)
	}
}

// identifyRef is mien's identify decision computed directly with the
// engine: the probe's largest face against every gallery template, the
// matches at or over the FAR 1e-3 threshold, best first.
type identifyRef struct {
	name   string
	cosine float32
}

// TestSDKSearchFacesByImageEqualsIdentify: on a gallery of LFW faces,
// SearchFacesByImage with the default threshold (80) returns exactly the
// faces mien's decision accepts at a per-comparison FAR of 1e-6, in the same
// order, with Similarity the engine's map of the cosine.
func TestSDKSearchFacesByImageEqualsIdentify(t *testing.T) {
	_, c := engineServer(t)
	e := testenv.Engine(t, "standard")
	people := []string{"Rob_Lowe", "Nathalie_Baye", "Colin_Powell", "Tony_Blair", "Serena_Williams", "Jennifer_Aniston", "Hugo_Chavez", "Ariel_Sharon"}
	createStaff(t, c, "gallery")
	type tmpl struct {
		name string
		emb  face.Embedding
	}
	var gallery []tmpl
	lfw := func(p string, i int) []byte {
		return readShared(t, fmt.Sprintf("data/lfw/images/%s/%s_%04d.jpg", p, p, i))
	}
	for _, p := range people {
		for i := 1; i <= 2; i++ {
			name := fmt.Sprintf("%s_%d", p, i)
			data := lfw(p, i)
			out, err := c.IndexFaces(ctx(t), &rek.IndexFacesInput{CollectionId: aws.String("gallery"), Image: img(data), ExternalImageId: aws.String(name), MaxFaces: aws.Int32(1), QualityFilter: types.QualityFilterNone})
			if err != nil || len(out.FaceRecords) != 1 {
				t.Fatalf("index %s: %v", name, err)
			}
			a, err := e.Analyze(ctx(t), data, detect.Options{MaxFaces: maxDetected})
			if err != nil {
				t.Fatal(err)
			}
			gallery = append(gallery, tmpl{name, a.Faces[largest(a.Faces)].Embedding})
		}
	}
	thr, err := e.Threshold(1e-6)
	if err != nil {
		t.Fatal(err)
	}
	if c80 := e.CosineForSimilarity(80); math.Abs(float64(c80-thr)) > 1e-4 {
		t.Fatalf("Similarity 80 is cosine %.4f, the threshold at FAR 1e-6 is %.4f", c80, thr)
	}
	scale := e.Similarity
	for _, p := range people {
		probe := lfw(p, 3)
		a, err := e.Analyze(ctx(t), probe, detect.Options{MaxFaces: maxDetected})
		if err != nil {
			t.Fatal(err)
		}
		pf := a.Faces[largest(a.Faces)]
		var ranked, want []identifyRef
		for _, g := range gallery {
			cos, err := face.Cosine(pf.Embedding, g.emb)
			if err != nil {
				t.Fatal(err)
			}
			ranked = append(ranked, identifyRef{g.name, cos})
		}
		slices.SortStableFunc(ranked, func(x, y identifyRef) int { return cmp.Compare(y.cosine, x.cosine) })
		for _, r := range ranked {
			if r.cosine >= thr {
				want = append(want, r)
			}
		}
		// The default threshold (80) is the decision at FAR 1e-6.
		got, err := c.SearchFacesByImage(ctx(t), &rek.SearchFacesByImageInput{CollectionId: aws.String("gallery"), Image: img(probe)})
		if err != nil {
			t.Fatal(err)
		}
		sameMatches(t, p, got.FaceMatches, want, scale)
		// With threshold 0 and MaxFaces 5: identify's top 5 candidates.
		got, err = c.SearchFacesByImage(ctx(t), &rek.SearchFacesByImageInput{CollectionId: aws.String("gallery"), Image: img(probe), FaceMatchThreshold: aws.Float32(0), MaxFaces: aws.Int32(5)})
		if err != nil {
			t.Fatal(err)
		}
		sameMatches(t, p+" top 5", got.FaceMatches, ranked[:5], scale)
		t.Logf("%s: %d matches %v", p, len(want), want)
	}
}

func sameMatches(t *testing.T, probe string, got []types.FaceMatch, want []identifyRef, scale func(float32) float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: SearchFacesByImage found %d faces, identify %d (%v)", probe, len(got), len(want), want)
	}
	for i, m := range got {
		if *m.Face.ExternalImageId != want[i].name || math.Abs(float64(*m.Similarity-scale(want[i].cosine))) > 1e-3 {
			t.Errorf("%s match %d: got %s %.3f, identify %s cosine %.4f (Similarity %.3f)", probe, i, *m.Face.ExternalImageId, *m.Similarity, want[i].name, want[i].cosine, scale(want[i].cosine))
		}
	}
}
