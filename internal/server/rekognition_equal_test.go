package server_test

import (
	"math"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	rek "github.com/aws/aws-sdk-go-v2/service/rekognition"

	"github.com/mienhq/mien/internal/testenv"
)

// TestRekognitionSearchEqualsIdentify: on one collection holding LFW faces
// indexed through the SDK and subjects enrolled through /v1, for the same
// probes, SearchFacesByImage with FaceMatchThreshold 70, 80 (the default) and
// 90 gives the same decision, the same faces in the same order and the same
// scores as POST /v1/collections/{id}/identify at the per-comparison FAR each
// Similarity stands for (80: 1e-6, 90: 1e-7), with Similarity the engine's
// map of identify's cosine.
func TestRekognitionSearchEqualsIdentify(t *testing.T) {
	e, c := rekModelServer(t)
	ctx := rekCtx(t)
	eng := testenv.Engine(t, "standard")
	rekCreate(t, c, "gallery", rekStaffTags)
	tenant, _ := e.st.CreateTenant(ctx, "a")
	col, _ := e.st.CollectionByName(ctx, tenant.ID, "gallery")

	viaSDK := []string{"Colin_Powell", "Tony_Blair", "Serena_Williams", "Jennifer_Aniston", "Hugo_Chavez", "Ariel_Sharon"}
	for _, p := range viaSDK {
		for i := 1; i <= 2; i++ {
			rekIndex(t, c, "gallery", rekLFW(t, p, i), p)
		}
	}
	viaREST := []string{"George_W_Bush", "Gerhard_Schroeder"}
	for _, p := range viaREST {
		ok := false
		for i := 1; i <= 4 && !ok; i++ { // the first photo with exactly one face that passes the gate
			body, ct := form(map[string][][]byte{"images": {rekLFW(t, p, i)}}, consentFields(p))
			code, _ := e.call("POST", "/v1/collections/"+col.ID+"/subjects", e.admin, body, ct)
			ok = code == 201
		}
		if !ok {
			t.Fatalf("no photo of %s could be enrolled", p)
		}
	}
	faceOf := subjectFaces(t, e, c, col.ID, "gallery")
	if len(faceOf) != 2*len(viaSDK)+len(viaREST) {
		t.Fatalf("%d faces, want %d", len(faceOf), 2*len(viaSDK)+len(viaREST))
	}

	probes := map[string][]byte{"Rob_Lowe (stranger)": rekLFW(t, "Rob_Lowe", 3), "Nathalie_Baye (stranger)": rekLFW(t, "Nathalie_Baye", 1)}
	for _, p := range viaSDK {
		probes[p] = rekLFW(t, p, 3)
	}
	for _, p := range viaREST {
		probes[p] = rekLFW(t, p, 5)
	}
	matches := 0
	for name, img := range probes {
		for _, sim := range []float32{70, 80, 90} {
			far := strconv.FormatFloat(eng.FAR(eng.CosineForSimilarity(sim)), 'g', -1, 64)
			want := e.rekIdentify(e.admin, col.ID, img, far)
			got, err := c.SearchFacesByImage(ctx, &rek.SearchFacesByImageInput{CollectionId: aws.String("gallery"), Image: rekImg(img), FaceMatchThreshold: aws.Float32(sim)})
			if err != nil {
				t.Fatal(err)
			}
			if (len(got.FaceMatches) > 0) != (want.Decision == "match") || len(got.FaceMatches) != len(want.Candidates) {
				t.Fatalf("%s at FAR %s: SearchFacesByImage %d matches, identify %s with %d candidates", name, far, len(got.FaceMatches), want.Decision, len(want.Candidates))
			}
			for i, m := range got.FaceMatches {
				wc := want.Candidates[i]
				if *m.Face.FaceId != faceOf[wc.SubjectID] || math.Abs(float64(*m.Similarity-eng.Similarity(wc.Similarity))) > 1e-3 {
					t.Errorf("%s at FAR %s, match %d: SDK face %s Similarity %.3f; identify subject %s (face %s) cosine %.4f -> %.3f",
						name, far, i, *m.Face.FaceId, *m.Similarity, wc.SubjectID, faceOf[wc.SubjectID], wc.Similarity, eng.Similarity(wc.Similarity))
				}
			}
			if sim == 80 {
				matches += len(got.FaceMatches)
				top := float32(0)
				if len(want.Candidates) > 0 {
					top = want.Candidates[0].Similarity
				}
				t.Logf("%-26s Similarity 80 (FAR %s): %-7s %d faces, best cosine %.4f = Similarity %.2f", name, far, want.Decision, len(got.FaceMatches), top, eng.Similarity(top))
			}
		}
	}
	if matches < len(viaSDK)+len(viaREST) {
		t.Fatalf("only %d matches over %d enrolled people: the probes do not exercise the comparison", matches, len(viaSDK)+len(viaREST))
	}
}

// subjectFaces maps each subject of a collection to its (one) face id:
// a face indexed through the SDK is its subject's external id, a subject
// enrolled through /v1 has its external id as the face's ExternalImageId.
func subjectFaces(t *testing.T, e *env, c *rek.Client, colID, name string) map[string]string {
	t.Helper()
	_, out := e.call("GET", "/v1/collections/"+colID+"/subjects", e.admin, nil, "")
	byExt := map[string]string{}
	for _, s := range out["subjects"].([]any) {
		sm := s.(map[string]any)
		byExt[sm["external_id"].(string)] = sm["id"].(string)
	}
	lf, err := c.ListFaces(rekCtx(t), &rek.ListFacesInput{CollectionId: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, f := range lf.Faces {
		sid, ok := byExt[*f.FaceId]
		if !ok {
			sid = byExt[*f.ExternalImageId]
		}
		m[sid] = *f.FaceId
	}
	return m
}
