package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	rek "github.com/aws/aws-sdk-go-v2/service/rekognition"
	"github.com/aws/aws-sdk-go-v2/service/rekognition/types"

	"github.com/mienhq/mien/liveness/challenge"
)

// TestRekognitionFaceLiveness: with the AWS Go SDK, CreateFaceLivenessSession
// makes a /v1 liveness session of the key's tenant (a read-only key may);
// it is fed through /v1 and GetFaceLivenessSessionResults follows it:
// CREATED, IN_PROGRESS, then SUCCEEDED with a Confidence of 50 or more for a
// live verdict and under 50 for a not-live one, and never an image. Another
// tenant's key does not find it; S3 output is refused.
func TestRekognitionFaceLiveness(t *testing.T) {
	e, _, clk := liveServe(t, liveOpts())
	ctx := context.Background()
	id, secret := e.awsKey(e.admin, true)
	c := rekClient(e.url, id, secret)
	created, err := c.CreateFaceLivenessSession(ctx, &rek.CreateFaceLivenessSessionInput{})
	if err != nil {
		t.Fatal(err)
	}
	sid := aws.ToString(created.SessionId)
	status := func(want types.LivenessSessionStatus) *rek.GetFaceLivenessSessionResultsOutput {
		t.Helper()
		out, err := c.GetFaceLivenessSessionResults(ctx, &rek.GetFaceLivenessSessionResultsInput{SessionId: aws.String(sid)})
		if err != nil || out.Status != want {
			t.Fatalf("results: %+v %v, want %s", out, err, want)
		}
		if out.ReferenceImage != nil || len(out.AuditImages) > 0 {
			t.Errorf("results hold images")
		}
		return out
	}
	status(types.LivenessSessionStatusCreated)
	code, ses := e.call("GET", "/v1/liveness/sessions/"+sid, e.admin, nil, "")
	if code != 200 {
		t.Fatalf("the session through /v1: %d %v", code, ses)
	}
	var ks []challenge.Kind
	for _, k := range ses["challenges"].([]any) {
		ks = append(ks, challenge.Kind(k.(string)))
	}
	nonce := ses["nonce"].(string)
	clk.advance(time.Second)
	frames := passing(1, ks)
	if code, out := e.burst(e.admin, sid, map[string]string{"nonce": nonce, "finish": "false"}, frames[:1]); code != 200 {
		t.Fatalf("first frame: %d %v", code, out)
	}
	status(types.LivenessSessionStatusInProgress)
	clk.advance(time.Second)
	if code, out := e.burst(e.admin, sid, map[string]string{"nonce": nonce}, frames[1:]); code != 200 || out["result"] != "live" {
		t.Fatalf("the rest: %d %v", code, out)
	}
	if out := status(types.LivenessSessionStatusSucceeded); out.Confidence == nil || *out.Confidence < 50 || out.Challenge == nil {
		t.Errorf("a live session: confidence %v, challenge %v; want 50 or more", out.Confidence, out.Challenge)
	}
	// Not live: a session with the challenges undone.
	created, _ = c.CreateFaceLivenessSession(ctx, &rek.CreateFaceLivenessSessionInput{})
	sid = aws.ToString(created.SessionId)
	_, ses = e.call("GET", "/v1/liveness/sessions/"+sid, e.admin, nil, "")
	clk.advance(time.Second)
	if code, out := e.burst(e.admin, sid, map[string]string{"nonce": ses["nonce"].(string)}, [][]byte{frameOf(1, ""), frameOf(1, "")}); code != 200 || out["result"] != "not_live" {
		t.Fatalf("static: %d %v", code, out)
	}
	if out := status(types.LivenessSessionStatusSucceeded); out.Confidence == nil || *out.Confidence >= 50 {
		t.Errorf("a not-live session: confidence %v, want under 50", out.Confidence)
	}
	// Tenant B's key does not find A's session.
	bid, bsecret := e.awsKey(e.other, false)
	_, err = rekClient(e.url, bid, bsecret).GetFaceLivenessSessionResults(ctx, &rek.GetFaceLivenessSessionResultsInput{SessionId: aws.String(sid)})
	wantAWS(t, err, "ResourceNotFoundException")
	_, err = c.GetFaceLivenessSessionResults(ctx, &rek.GetFaceLivenessSessionResultsInput{SessionId: aws.String("00000000-0000-4000-8000-000000000000")})
	wantAWS(t, err, "ResourceNotFoundException")
	_, err = c.CreateFaceLivenessSession(ctx, &rek.CreateFaceLivenessSessionInput{Settings: &types.CreateFaceLivenessSessionRequestSettings{
		OutputConfig: &types.LivenessOutputConfig{S3Bucket: aws.String("bucket")}}})
	wantAWS(t, err, "InvalidParameterException")
	// IndexFaces into a collection that requires liveness is refused.
	rw, rwSecret := e.awsKey(e.admin, false)
	w := rekClient(e.url, rw, rwSecret)
	if _, err := w.CreateCollection(ctx, &rek.CreateCollectionInput{CollectionId: aws.String("bank"), Tags: rekStaffTags}); err != nil {
		t.Fatal(err)
	}
	_, cols := e.call("GET", "/v1/collections", e.admin, nil, "")
	bank := cols["collections"].([]any)[0].(map[string]any)["id"].(string)
	if code, out := e.js("PUT", "/v1/collections/"+bank+"/settings", e.admin, `{"require_liveness": true}`); code != 200 {
		t.Fatalf("policy: %d %v", code, out)
	}
	_, err = w.IndexFaces(ctx, &rek.IndexFacesInput{CollectionId: aws.String("bank"), Image: &types.Image{Bytes: frameOf(1, "")}})
	wantAWS(t, err, "AccessDeniedException")
	if err == nil || !strings.Contains(err.Error(), "liveness") {
		t.Errorf("IndexFaces under the liveness policy: %v, want it named", err)
	}
}
