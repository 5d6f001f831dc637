package server_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/mienhq/mien/internal/store"
)

// TestProbeBadInputs: detect, compare and identify answer every bad request
// with a clear error and change nothing (no template, no audit entry).
func TestProbeBadInputs(t *testing.T) {
	e := setup(t)
	col := e.collection(e.admin, "staff")
	rob := fixture(t, "bulk_Rob_Lowe_0001.jpg")
	body, ct := form(map[string][][]byte{"images": {rob}}, consentFields("rob"))
	if code, out := e.call("POST", "/v1/collections/"+col+"/subjects", e.admin, body, ct); code != 201 {
		t.Fatalf("enrol: %d %v", code, out)
	}
	ctx := context.Background()
	audit, _ := e.st.VerifyAudit(ctx)
	corrupt, text, huge := rob[:len(rob)/3], []byte("hello, not an image"), make([]byte, 3<<20)
	one := func(field string, data []byte) map[string][][]byte { return map[string][][]byte{field: {data}} }
	identify := "/v1/collections/" + col + "/identify"
	cases := []struct {
		name, path, key string
		files           map[string][][]byte
		fields          map[string]string
		raw             string // a body that is not multipart
		want            int
	}{
		{"detect: corrupt image", "/v1/detect", e.admin, one("image", corrupt), nil, "", 400},
		{"detect: not an image", "/v1/detect", e.admin, one("image", text), nil, "", 415},
		{"detect: no image field", "/v1/detect", e.admin, one("photo", rob), nil, "", 400},
		{"detect: two images", "/v1/detect", e.admin, map[string][][]byte{"image": {rob, rob}}, nil, "", 400},
		{"detect: JSON instead of a form", "/v1/detect", e.admin, nil, nil, `{"image":"x"}`, 400},
		{"detect: oversize body", "/v1/detect", e.admin, one("image", huge), nil, "", 413},
		{"detect: missing key", "/v1/detect", "", one("image", rob), nil, "", 401},
		{"detect: unknown key", "/v1/detect", "mien_nope", one("image", rob), nil, "", 401},
		{"compare: one image", "/v1/compare", e.admin, one("image_a", rob), nil, "", 400},
		{"compare: no face in b", "/v1/compare", e.admin, map[string][][]byte{"image_a": {rob}, "image_b": {fixture(t, "crop_no_face.png")}}, nil, "", 422},
		{"compare: corrupt b", "/v1/compare", e.admin, map[string][][]byte{"image_a": {rob}, "image_b": {corrupt}}, nil, "", 400},
		{"compare: far not a number", "/v1/compare", e.admin, map[string][][]byte{"image_a": {rob}, "image_b": {rob}}, map[string]string{"far": "often"}, "", 400},
		{"identify: corrupt image", identify, e.admin, one("image", corrupt), nil, "", 400},
		{"identify: not an image", identify, e.admin, one("image", text), nil, "", 415},
		{"identify: top_k 0", identify, e.admin, one("image", rob), map[string]string{"top_k": "0"}, "", 400},
		{"identify: top_k 51", identify, e.admin, one("image", rob), map[string]string{"top_k": "51"}, "", 400},
		{"identify: far out of range", identify, e.admin, one("image", rob), map[string]string{"far": "0.9"}, "", 400},
		{"identify: fpir out of range", identify, e.admin, one("image", rob), map[string]string{"fpir": "0.7"}, "", 400},
		{"identify: fpir and far", identify, e.admin, one("image", rob), map[string]string{"fpir": "0.01", "far": "0.001"}, "", 400},
		{"identify: fpir not a number", identify, e.admin, one("image", rob), map[string]string{"fpir": "low"}, "", 400},
		{"identify: wrong collection", "/v1/collections/col_nope/identify", e.admin, one("image", rob), nil, "", 404},
		{"identify: other tenant's key", identify, e.other, one("image", rob), nil, "", 404},
		{"identify: oversize body", identify, e.admin, one("image", huge), nil, "", 413},
	}
	for _, c := range cases {
		var code int
		var out map[string]any
		if c.raw != "" {
			code, out = e.call("POST", c.path, c.key, strings.NewReader(c.raw), "application/json")
		} else {
			body, ct := form(c.files, c.fields)
			code, out = e.call("POST", c.path, c.key, body, ct)
		}
		msg, _ := out["error"].(map[string]any)
		if code != c.want || msg == nil || msg["message"] == "" || msg["code"] == "" {
			t.Errorf("%s: %d %v, want %d with an error code and message", c.name, code, out, c.want)
		}
	}
	if n, err := e.st.VerifyAudit(ctx); err != nil || n != audit {
		t.Errorf("audit log went from %d to %d entries (%v): refused requests must not be recorded as decisions", audit, n, err)
	}
	if e.rows("templates") != 1 {
		t.Fatal("the store changed")
	}
	// A photo without a face is an empty answer, not an error, for detect and identify.
	body, ct = form(one("image", fixture(t, "crop_no_face.png")), nil)
	if code, out := e.call("POST", identify, e.admin, body, ct); code != 200 || len(out["faces"].([]any)) != 0 {
		t.Errorf("identify a photo without a face: %d %v", code, out)
	}
}

// TestCollectionBadInputs: collection requests that are malformed, duplicate,
// unknown or beyond the key's role get a clear error and change nothing.
func TestCollectionBadInputs(t *testing.T) {
	e := setup(t)
	e.collection(e.admin, "staff")
	ctx := context.Background()
	tenants, _ := e.st.AllCollections(ctx)
	readKey, _, err := e.st.CreateKey(ctx, tenants[0].TenantID, store.RoleRead, "test")
	if err != nil {
		t.Fatal(err)
	}
	rwKey, _, _ := e.st.CreateKey(ctx, tenants[0].TenantID, store.RoleReadWrite, "test")
	for _, c := range []struct {
		name, method, path, key, body string
		want                          int
	}{
		{"empty name", "POST", "/v1/collections", e.admin, `{"name":"  "}`, 400},
		{"no body", "POST", "/v1/collections", e.admin, ``, 400},
		{"not JSON", "POST", "/v1/collections", e.admin, `name=staff`, 400},
		{"duplicate name", "POST", "/v1/collections", e.admin, `{"name":"staff"}`, 409},
		{"read key creates", "POST", "/v1/collections", readKey, `{"name":"more"}`, 403},
		{"read-write key creates", "POST", "/v1/collections", rwKey, `{"name":"more"}`, 403},
		{"unknown collection", "GET", "/v1/collections/col_nope", e.admin, ``, 404},
		{"delete unknown", "DELETE", "/v1/collections/col_nope", e.admin, ``, 404},
		{"read key deletes", "DELETE", "/v1/collections/" + tenants[0].ID, readKey, ``, 403},
		{"read key enrols", "POST", "/v1/collections/" + tenants[0].ID + "/subjects", readKey, ``, 403},
	} {
		code, out := e.call(c.method, c.path, c.key, bytes.NewBufferString(c.body), "application/json")
		if code != c.want || out["error"] == nil {
			t.Errorf("%s: %d %v, want %d with an error body", c.name, code, out, c.want)
		}
	}
	if cols, _ := e.st.AllCollections(ctx); len(cols) != 1 {
		t.Fatalf("%d collections after refused requests, want 1", len(cols))
	}
}
