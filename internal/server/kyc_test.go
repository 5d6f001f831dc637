package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"image/jpeg"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/mienhq/mien/internal/docsynth"
	"github.com/mienhq/mien/internal/testenv"
)

// synthDocument prints an LFW photo on a synthetic ID card, photographed
// tilted, without glare or blur.
func synthDocument(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(testenv.Shared(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	src, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	cond := docsynth.Conditions{Angle: docsynth.AngleTilted, Glare: docsynth.GlareNone, Blur: docsynth.BlurNone,
		Distance: docsynth.DistanceNear, Noise: 3, Quality: 85}
	p, _, err := docsynth.Make(src, docsynth.LayoutCard, &cond, rand.New(rand.NewPCG(11, 1)))
	if err != nil {
		t.Fatal(err)
	}
	return p.JPEG
}

func lfwPhoto(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(testenv.Shared(t, "data/lfw/images/"+rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestKYCMatch: a synthetic document of Tony Blair matches another photo
// of him and not Serena Williams; the answer holds the portrait's box and
// no template; nothing is stored; the audit log gets the decision only.
func TestKYCMatch(t *testing.T) {
	e := setup(t)
	doc := synthDocument(t, "data/lfw/images/Tony_Blair/Tony_Blair_0002.jpg")
	before := e.rows("templates")
	for _, c := range []struct{ selfie, want string }{
		{"Tony_Blair/Tony_Blair_0003.jpg", "match"},
		{"Serena_Williams/Serena_Williams_0002.jpg", "no_match"},
	} {
		body, ct := form(map[string][][]byte{"document": {doc}, "selfie": {lfwPhoto(t, c.selfie)}}, nil)
		code, _, b := e.raw("POST", "/v1/kyc/match", e.admin, body, ct)
		var out map[string]any
		if code != 200 || json.Unmarshal(b, &out) != nil {
			t.Fatalf("%s: %d %s", c.selfie, code, b)
		}
		if out["decision"] != c.want {
			t.Errorf("%s: decision %v, want %s (%s)", c.selfie, out["decision"], c.want, b)
		}
		p, _ := out["portrait"].(map[string]any)
		if p == nil || p["box"] == nil || out["similarity"] == nil || len(out["reasons"].([]any)) == 0 {
			t.Errorf("%s: answer lacks the portrait box, similarity or reasons: %s", c.selfie, b)
		}
		if bytes.Contains(b, []byte("embedding")) || bytes.Contains(b, []byte("vector")) {
			t.Errorf("%s: the answer holds a template: %.300s", c.selfie, b)
		}
	}
	if e.rows("templates") != before || e.rows("collections") != 0 {
		t.Error("a KYC check stored something")
	}
	entries, _ := e.auditPage(e.admin, "?action=kyc.match")
	if len(entries) != 2 {
		t.Fatalf("audit: %d kyc.match entries, want 2: %v", len(entries), entries)
	}
	if other, _ := e.auditPage(e.other, "?action=kyc.match"); len(other) != 0 {
		t.Errorf("tenant B's audit log shows tenant A's KYC checks: %v", other)
	}
	for _, en := range entries {
		d, _ := en["detail"].(map[string]any)
		if d["decision"] == nil || d["reasons"] == nil {
			t.Errorf("audit entry without the decision: %v", en)
		}
		if _, ok := d["similarity"]; ok || en["object"] != "" && en["object"] != nil {
			t.Errorf("audit entry holds more than the decision: %v", en)
		}
	}
}

// TestKYCBadInputs: every malformed request is refused with a clear error,
// stores nothing and audits nothing; an unknown liveness token is refused.
func TestKYCBadInputs(t *testing.T) {
	e := setup(t)
	rob := fixture(t, "bulk_Rob_Lowe_0001.jpg")
	noFace := fixture(t, "crop_no_face.png")
	corrupt, text := rob[:len(rob)/3], []byte("hello, not an image")
	ctx := context.Background()
	audit, _ := e.st.VerifyAudit(ctx)
	both := map[string][][]byte{"document": {rob}, "selfie": {rob}}
	cases := []struct {
		name   string
		files  map[string][][]byte
		fields map[string]string
		raw    string
		key    string
		want   int
		code   string
	}{
		{"no document", map[string][][]byte{"selfie": {rob}}, nil, "", e.admin, 400, "bad_request"},
		{"no selfie nor token", map[string][][]byte{"document": {rob}}, nil, "", e.admin, 400, "bad_request"},
		{"selfie and token", both, map[string]string{"liveness_token": "lvt_x"}, "", e.admin, 400, "bad_request"},
		{"two selfies", map[string][][]byte{"document": {rob}, "selfie": {rob, rob}}, nil, "", e.admin, 400, "bad_request"},
		{"two documents", map[string][][]byte{"document": {rob, rob}, "selfie": {rob}}, nil, "", e.admin, 400, "bad_request"},
		{"unknown liveness token", map[string][][]byte{"document": {rob}}, map[string]string{"liveness_token": "lvt_x"}, "", e.admin, 403, "liveness_token"},
		{"far not a number", both, map[string]string{"far": "often"}, "", e.admin, 400, "bad_request"},
		{"far out of range", both, map[string]string{"far": "1.5"}, "", e.admin, 400, "bad_request"},
		{"no_match_far below far", both, map[string]string{"far": "0.01", "no_match_far": "0.001"}, "", e.admin, 400, "bad_request"},
		{"corrupt document", map[string][][]byte{"document": {corrupt}, "selfie": {rob}}, nil, "", e.admin, 400, "corrupt_image"},
		{"selfie not an image", map[string][][]byte{"document": {rob}, "selfie": {text}}, nil, "", e.admin, 415, "unsupported_image"},
		{"JSON instead of a form", nil, nil, `{"document":"x"}`, e.admin, 400, ""},
		{"no key", both, nil, "", "", 401, "unauthorized"},
	}
	for _, c := range cases {
		var code int
		var out map[string]any
		if c.raw != "" {
			code, out = e.call("POST", "/v1/kyc/match", c.key, strings.NewReader(c.raw), "application/json")
		} else {
			body, ct := form(c.files, c.fields)
			code, out = e.call("POST", "/v1/kyc/match", c.key, body, ct)
		}
		msg, _ := out["error"].(map[string]any)
		if code != c.want || msg == nil || msg["message"] == "" || (c.code != "" && msg["code"] != c.code) {
			t.Errorf("%s: %d %v, want %d %s", c.name, code, out, c.want, c.code)
		}
	}
	if n, err := e.st.VerifyAudit(ctx); err != nil || n != audit {
		t.Errorf("audit log went from %d to %d entries (%v): refused requests must not be audited", audit, n, err)
	}
	// A document without a face is an answer (cannot_decide, no_portrait), not an error.
	body, ct := form(map[string][][]byte{"document": {noFace}, "selfie": {rob}}, nil)
	code, out := e.call("POST", "/v1/kyc/match", e.admin, body, ct)
	if code != 200 || out["decision"] != "cannot_decide" || !strings.Contains(toJSON(out["reasons"]), "no_portrait") {
		t.Errorf("document without a face: %d %v", code, out)
	}
	if e.rows("templates") != 0 {
		t.Error("the store changed")
	}
}
