package server_test

import (
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	rek "github.com/aws/aws-sdk-go-v2/service/rekognition"
	"github.com/aws/aws-sdk-go-v2/service/rekognition/types"

	"github.com/mienhq/mien/internal/server"
	"github.com/mienhq/mien/internal/testenv"
	"github.com/mienhq/mien/quality"
)

// TestRekognitionAutoIsTheServersGate: QualityFilter AUTO (IndexFaces'
// default) applies the server's configured enrolment gate, as /v1 enrolment
// does.
func TestRekognitionAutoIsTheServersGate(t *testing.T) {
	gate := quality.DefaultGate
	gate.MinFaceSize = 1000 // no face of a 250x250 photo passes
	e := rekServe(t, testenv.Engine(t, "standard"), server.Options{MaxBody: 8 << 20, Gate: gate})
	id, secret := e.awsKey(e.admin, false)
	c := rekClient(e.url, id, secret)
	rekCreate(t, c, "staff", rekStaffTags)
	rob := fixture(t, "bulk_Rob_Lowe_0001.jpg")
	out, err := c.IndexFaces(rekCtx(t), &rek.IndexFacesInput{CollectionId: aws.String("staff"), Image: rekImg(rob), ExternalImageId: aws.String("rob")})
	if err != nil || len(out.FaceRecords) != 0 || len(out.UnindexedFaces) != 1 ||
		!slices.Contains(out.UnindexedFaces[0].Reasons, types.ReasonSmallBoundingBox) {
		t.Fatalf("AUTO under a gate of 1000 px faces: %+v %v", out, err)
	}
	out, err = c.IndexFaces(rekCtx(t), &rek.IndexFacesInput{CollectionId: aws.String("staff"), Image: rekImg(rob), QualityFilter: types.QualityFilterNone})
	if err != nil || len(out.FaceRecords) != 1 {
		t.Fatalf("NONE: %+v %v", out, err)
	}
	_, cols := e.call("GET", "/v1/collections", e.admin, nil, "")
	col := cols["collections"].([]any)[0].(map[string]any)["id"].(string)
	body, ct := form(map[string][][]byte{"images": {rob}}, consentFields("rob"))
	if code, res := e.call("POST", "/v1/collections/"+col+"/subjects", e.admin, body, ct); code != 422 {
		t.Fatalf("/v1 enrolment under the same gate: %d %v", code, res)
	}
}
