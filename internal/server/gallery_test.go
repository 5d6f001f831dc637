package server_test

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	rek "github.com/aws/aws-sdk-go-v2/service/rekognition"

	"github.com/mienhq/mien/internal/gallery"
	"github.com/mienhq/mien/internal/store"
	"github.com/mienhq/mien/internal/testenv"
)

// tenantOf returns the tenant of a collection made through the API.
func (e *env) tenantOf(colID string) string {
	e.t.Helper()
	cols, _ := e.st.AllCollections(context.Background())
	for _, c := range cols {
		if c.ID == colID {
			return c.TenantID
		}
	}
	e.t.Fatalf("no collection %s", colID)
	return ""
}

// TestEnrolModelMismatch (issue 10): enrolling into, adding photos to or
// identifying in a collection whose templates come from another recognizer
// answers 409 model_mismatch (it was 500), and stores nothing.
func TestEnrolModelMismatch(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	staff := e.collection(e.admin, "staff")
	old, err := e.st.CreateCollection(ctx, e.tenantOf(staff), "old", "arcface-of-2019", "test")
	if err != nil {
		t.Fatal(err)
	}
	rob := fixture(t, "bulk_Rob_Lowe_0001.jpg")
	sub, err := e.st.Enroll(ctx, old.TenantID, old.ID, store.Subject{ExternalID: "x", Consent: store.Consent{Purpose: "p", Evidence: "e",
		ConsentedAt: e.st.Now().Add(-60e9), ExpiresAt: e.st.Now().Add(3600e9)}}, []store.Template{{Vector: make([]float32, 512)}}, "test")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, path, field string }{
		{"enrol", "/v1/collections/" + old.ID + "/subjects", "images"},
		{"add photos", "/v1/collections/" + old.ID + "/subjects/" + sub.ID + "/images", "images"},
		{"identify", "/v1/collections/" + old.ID + "/identify", "image"},
	} {
		var fields map[string]string // consent goes with an enrolment only: other routes refuse fields they do not read
		if c.name == "enrol" {
			fields = consentFields(c.name)
		}
		body, ct := form(map[string][][]byte{c.field: {rob}}, fields)
		code, out := e.call("POST", c.path, e.admin, body, ct)
		msg, _ := out["error"].(map[string]any)
		if code != 409 || msg == nil || msg["code"] != "model_mismatch" {
			t.Errorf("%s: %d %v, want 409 model_mismatch", c.name, code, out)
		}
	}
	if got, _ := e.st.Subject(ctx, old.TenantID, old.ID, sub.ID); len(got.Templates) != 1 {
		t.Fatalf("the old collection changed: %d templates", len(got.Templates))
	}
}

// lfwPeople returns people of LFW with at least n photos, in name order.
func lfwPeople(t *testing.T, n, limit int) []string {
	dir := testenv.Shared(t, "data/lfw/images")
	all, _ := os.ReadDir(dir)
	var out []string
	for _, p := range all {
		if files, _ := filepath.Glob(filepath.Join(dir, p.Name(), "*.jpg")); len(files) >= n {
			out = append(out, p.Name())
		}
		if len(out) == limit {
			break
		}
	}
	return out
}

// enrolLFW enrols a person from the first of their photos from the i-th on
// that passes (one face, quality gate); it returns the subject id and the
// photo's number, or "" when none did.
func (e *env) enrolLFW(colID, person string, from, to int) (string, int) {
	for i := from; i <= to; i++ {
		body, ct := form(map[string][][]byte{"images": {rekLFW(e.t, person, i)}}, consentFields(person))
		if code, out := e.call("POST", "/v1/collections/"+colID+"/subjects", e.admin, body, ct); code == 201 {
			return out["id"].(string), i
		}
	}
	return "", 0
}

func (e *env) identifyWith(colID string, img []byte, fields map[string]string) (rekIdentified, map[string]any) {
	e.t.Helper()
	body, ct := form(map[string][][]byte{"image": {img}}, fields)
	code, out := e.call("POST", "/v1/collections/"+colID+"/identify", e.admin, body, ct)
	if code != 200 {
		e.t.Fatalf("identify: %d %v", code, out)
	}
	return e.rekIdentifyAnswer(out), out
}

// TestIdentifyByFPIR: identify decides at the default FPIR of 1% for the
// collection's size (threshold = the engine's at 1-(0.99)^(1/N)) and says
// so; a request's fpir, a collection's setting and a per-comparison far
// change it as documented; the settings endpoint validates and is admin-only.
func TestIdentifyByFPIR(t *testing.T) {
	e := setup(t)
	eng := testenv.Engine(t, "standard")
	col := e.collection(e.admin, "staff")
	n := 0
	for _, p := range lfwPeople(t, 2, 12) {
		if sid, _ := e.enrolLFW(col, p, 1, 1); sid != "" {
			n++
		}
	}
	probe := fixture(t, "bulk_Rob_Lowe_0002.jpg")
	check := func(fields map[string]string, fpir, far float64) {
		t.Helper()
		_, out := e.identifyWith(col, probe, fields)
		thr, err := eng.Threshold(far)
		if err != nil {
			t.Fatal(err)
		}
		if int(out["gallery_size"].(float64)) != n || math.Abs(out["fpir"].(float64)-fpir) > 1e-12 ||
			math.Abs(out["far"].(float64)-far) > 1e-15 || math.Abs(out["threshold"].(float64)-float64(thr)) > 1e-6 {
			t.Errorf("%v: %v, want gallery_size %d fpir %g far %g threshold %g", fields, out, n, fpir, far, thr)
		}
	}
	check(nil, 0.01, gallery.PerComparisonFAR(0.01, n))
	check(map[string]string{"fpir": "0.001"}, 0.001, gallery.PerComparisonFAR(0.001, n))
	check(map[string]string{"far": "0.001"}, gallery.FPIRAt(0.001, n), 0.001)

	settings := "/v1/collections/" + col + "/settings"
	put := func(key, body string) (int, map[string]any) {
		return e.call("PUT", settings, key, bytes.NewBufferString(body), "application/json")
	}
	readKey, _, _ := e.st.CreateKey(context.Background(), e.tenantOf(col), store.RoleRead, "test")
	for _, bad := range []struct {
		key, body string
		want      int
	}{{e.admin, `{"fpir": 0.7}`, 400}, {e.admin, `{"fpir": -1}`, 400}, {e.admin, `{}`, 400}, {e.admin, `fpir`, 400},
		{readKey, `{"fpir": 0.001}`, 403}, {e.other, `{"fpir": 0.001}`, 404}} {
		if code, out := put(bad.key, bad.body); code != bad.want || out["error"] == nil {
			t.Errorf("PUT settings %s: %d %v, want %d", bad.body, code, out, bad.want)
		}
	}
	if code, out := put(e.admin, `{"fpir": 0.001}`); code != 200 || out["fpir"] != 0.001 || out["effective_fpir"] != 0.001 {
		t.Fatalf("PUT settings: %d %v", code, out)
	}
	check(nil, 0.001, gallery.PerComparisonFAR(0.001, n))
	check(map[string]string{"fpir": "0.05"}, 0.05, gallery.PerComparisonFAR(0.05, n))
	put(e.admin, `{"fpir": 0}`)
	if code, out := e.call("GET", settings, readKey, nil, ""); code != 200 || out["fpir"] != 0.0 || out["effective_fpir"] != 0.01 || out["templates"] != float64(n) {
		t.Fatalf("GET settings after reset: %d %v", code, out)
	}
	check(nil, 0.01, gallery.PerComparisonFAR(0.01, n))
}

// TestAddPhotos: POST .../subjects/{sid}/images adds photos under the
// subject's consent record (all or none, audited), and identify and verify
// score the subject on all of them at once, alike.
func TestAddPhotos(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	col := e.collection(e.admin, "staff")
	const who = "Colin_Powell"
	sid, first := e.enrolLFW(col, who, 1, 5)
	if sid == "" {
		t.Fatal("no photo could be enrolled")
	}
	images := "/v1/collections/" + col + "/subjects/" + sid + "/images"
	add := func(key, path string, imgs ...[]byte) (int, map[string]any) {
		body, ct := form(map[string][][]byte{"images": imgs}, nil)
		return e.call("POST", path, key, body, ct)
	}
	audit, _ := e.st.VerifyAudit(ctx)
	for _, c := range []struct {
		name, key, path string
		imgs            [][]byte
		want            int
	}{
		{"a photo without a face", e.admin, images, [][]byte{rekLFW(t, who, first+1), fixture(t, "crop_no_face.png")}, 422},
		{"not an image", e.admin, images, [][]byte{[]byte("hello")}, 415},
		{"unknown subject", e.admin, "/v1/collections/" + col + "/subjects/sub_nope/images", [][]byte{rekLFW(t, who, first+1)}, 404},
		{"other tenant", e.other, images, [][]byte{rekLFW(t, who, first+1)}, 404},
	} {
		if code, out := add(c.key, c.path, c.imgs...); code != c.want || out["error"] == nil {
			t.Errorf("%s: %d %v, want %d", c.name, code, out, c.want)
		}
	}
	if n, _ := e.st.VerifyAudit(ctx); n != audit || e.rows("templates") != 1 {
		t.Fatalf("refused additions changed the store (%d templates, audit %d -> %d)", e.rows("templates"), audit, n)
	}
	var added [][]byte
	for i := first + 1; len(added) < 2 && i < first+12; i++ {
		if code, _ := add(e.admin, images, rekLFW(t, who, i)); code == 201 {
			added = append(added, rekLFW(t, who, i))
		}
	}
	code, sub := e.call("GET", "/v1/collections/"+col+"/subjects/"+sid, e.admin, nil, "")
	if len(added) != 2 || code != 200 || len(sub["templates"].([]any)) != 3 || sub["consent"].(map[string]any)["purpose"] != "office access" {
		t.Fatalf("after adding %d photos: %d %v", len(added), code, sub)
	}
	log, _ := e.st.AuditLog(ctx, e.tenantOf(col), 0, 1000)
	if last := log[len(log)-1]; last.Action != "subject.add_templates" || last.Object != sid {
		t.Fatalf("not audited: %+v", last)
	}
	// Identify scores the subject on all three photos; verify agrees.
	probe := rekLFW(t, who, first+14)
	res, _ := e.identifyWith(col, probe, nil)
	body, ct := form(map[string][][]byte{"image": {probe}}, nil)
	_, v := e.call("POST", "/v1/collections/"+col+"/subjects/"+sid+"/verify", e.admin, body, ct)
	if res.Decision != "match" || res.Candidates[0].SubjectID != sid || v["decision"] != "match" ||
		math.Abs(v["similarity"].(float64)-float64(res.Candidates[0].Similarity)) > 1e-6 {
		t.Fatalf("identify %+v and verify %v with another photo of the subject", res, v)
	}
}

// TestGalleryDecidesForEveryAPI: on real photos, /v1 identify (at its
// default FPIR), /v1 verify (at identify's per-comparison FAR) and the
// Rekognition SDK's SearchFacesByImage (at the Similarity of identify's
// threshold) decide through the one gallery service: the same matches, in
// the same order, with the same scores, for enrolled people and strangers.
func TestGalleryDecidesForEveryAPI(t *testing.T) {
	e, c := rekModelServer(t)
	ctx := rekCtx(t)
	scale := testenv.Engine(t, "standard") // the engine defines Similarity for every API
	rekCreate(t, c, "gallery", rekStaffTags)
	tenant, _ := e.st.CreateTenant(ctx, "a")
	col, _ := e.st.CollectionByName(ctx, tenant.ID, "gallery")
	people := lfwPeople(t, 3, 40)
	probes := map[string][]byte{}
	subjectOf := map[string]string{} // person -> subject (enrolled through /v1 only)
	for i, p := range people[:30] {
		if i%2 == 0 {
			rekIndex(t, c, "gallery", rekLFW(t, p, 1), p)
			probes[p] = rekLFW(t, p, 2)
		} else if sid, n := e.enrolLFW(col.ID, p, 1, 2); sid != "" {
			subjectOf[p], probes[p] = sid, rekLFW(t, p, n+1)
		}
	}
	for _, p := range people[30:] {
		probes[p+" (stranger)"] = rekLFW(t, p, 1)
	}
	faceOf := subjectFaces(t, e, c, col.ID, "gallery")
	names := make([]string, 0, len(probes))
	for name := range probes {
		names = append(names, name)
	}
	sort.Strings(names)
	matched := 0
	for _, name := range names {
		want, out := e.identifyWith(col.ID, probes[name], map[string]string{"top_k": "50"})
		thr := float32(out["threshold"].(float64))
		got, err := c.SearchFacesByImage(ctx, &rek.SearchFacesByImageInput{CollectionId: aws.String("gallery"), Image: rekImg(probes[name]),
			FaceMatchThreshold: aws.Float32(scale.Similarity(thr)), MaxFaces: aws.Int32(50)})
		if err != nil {
			t.Fatal(err)
		}
		if len(got.FaceMatches) != len(want.Candidates) || (want.Decision == "match") != (len(want.Candidates) > 0) {
			t.Fatalf("%s: SearchFacesByImage %d matches, identify %s with %d", name, len(got.FaceMatches), want.Decision, len(want.Candidates))
		}
		for i, m := range got.FaceMatches {
			wc := want.Candidates[i]
			if *m.Face.FaceId != faceOf[wc.SubjectID] || math.Abs(float64(*m.Similarity-scale.Similarity(wc.Similarity))) > 1e-3 {
				t.Errorf("%s, match %d: SDK face %s Similarity %.3f; identify %s (face %s) cosine %.4f", name, i, *m.Face.FaceId, *m.Similarity,
					wc.SubjectID, faceOf[wc.SubjectID], wc.Similarity)
			}
		}
		matched += len(want.Candidates)
		if sid := subjectOf[name]; sid != "" {
			body, ct := form(map[string][][]byte{"image": {probes[name]}}, map[string]string{"far": strconv.FormatFloat(out["far"].(float64), 'g', -1, 64)})
			_, v := e.call("POST", "/v1/collections/"+col.ID+"/subjects/"+sid+"/verify", e.admin, body, ct)
			inIdentify := len(want.Candidates) > 0 && want.Candidates[0].SubjectID == sid
			if (v["decision"] == "match") != inIdentify || math.Abs(v["threshold"].(float64)-float64(thr)) > 1e-6 ||
				(inIdentify && math.Abs(v["similarity"].(float64)-float64(want.Candidates[0].Similarity)) > 1e-6) {
				t.Errorf("%s: verify %v, identify %+v at threshold %v", name, v, want, thr)
			}
		}
	}
	if matched < 20 {
		t.Fatalf("only %d matches over %d probes: the probes do not exercise the decision", matched, len(probes))
	}
}
