package server_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestJSONBodiesAreStrict: a JSON body with a field the route does not
// know (a typo), a field of the wrong type, or a second value is a 400
// that names the problem and changes nothing; the same body spelt right
// is taken. A typo left to its default would make a full-access key where
// a read-only one was asked for, or keep consent for a year, not 30 days.
func TestJSONBodiesAreStrict(t *testing.T) {
	e, _, _ := liveServe(t, liveOpts())
	post := func(method, path, body string) (int, string) {
		t.Helper()
		code, out := e.call(method, path, e.admin, strings.NewReader(body), "application/json")
		msg := ""
		if er, ok := out["error"].(map[string]any); ok {
			msg, _ = er["message"].(string)
		}
		return code, msg
	}
	count := func(path, field string) int {
		t.Helper()
		code, out := e.call("GET", path, e.admin, nil, "")
		if code != 200 {
			t.Fatalf("GET %s: %d %v", path, code, out)
		}
		list, _ := out[field].([]any)
		return len(list)
	}
	keys := count("/v1/rekognition/keys", "keys")
	cols := count("/v1/collections", "collections")

	bad := []struct{ method, path, body, says string }{
		{"POST", "/v1/rekognition/keys", `{"readonly": true}`, `unknown field "readonly"`},
		{"POST", "/v1/rekognition/keys", `{"read_only": "yes"}`, `field "read_only" must be true or false, not a JSON string`},
		{"POST", "/v1/rekognition/keys", `{"read_only": true} {"read_only": false}`, "more than one JSON value"},
		{"POST", "/v1/collections", `{"name": "door", "nmae": "door"}`, `unknown field "nmae"`},
		{"POST", "/v1/collections", ``, "the body is empty"},
		{"POST", "/v1/liveness/sessions", `{"ttl": 10}`, `unknown field "ttl"`},
		{"POST", "/v1/liveness/sessions", `{"challenges": "three"}`, `field "challenges" must be a whole number`},
	}
	for _, c := range bad {
		if code, msg := post(c.method, c.path, c.body); code != 400 || !strings.Contains(msg, c.says) {
			t.Errorf("%s %s %s: %d %q, want 400 saying %q", c.method, c.path, c.body, code, msg, c.says)
		}
	}
	if n := count("/v1/rekognition/keys", "keys"); n != keys {
		t.Errorf("%d AWS keys after refused requests, want %d", n, keys)
	}
	if n := count("/v1/collections", "collections"); n != cols {
		t.Errorf("%d collections after refused requests, want %d", n, cols)
	}

	// the same requests spelt right
	if code, msg := post("POST", "/v1/collections", `{"name": "door"}`); code != 201 {
		t.Fatalf("create a collection: %d %s", code, msg)
	}
	_, out := e.call("GET", "/v1/collections", e.admin, nil, "")
	col := out["collections"].([]any)[0].(map[string]any)["id"].(string)
	policy := "/v1/collections/" + col + "/consent-policy"
	if code, msg := post("PUT", policy, `{"purpose": "lobby door", "retention": 30, "evidence": "forms"}`); code != 400 || !strings.Contains(msg, `unknown field "retention"`) {
		t.Errorf("consent policy with a typo: %d %q, want 400 naming it", code, msg)
	}
	if code, _ := e.call("GET", policy, e.admin, nil, ""); code != 404 {
		t.Errorf("a refused consent policy was stored (%d)", code)
	}
	if code, msg := post("PUT", policy, `{"purpose": "lobby door", "retention_days": 30, "evidence": "forms"}`); code != 200 {
		t.Errorf("consent policy: %d %s", code, msg)
	}
	if code, out := e.call("GET", policy, e.admin, nil, ""); code != 200 || out["retention_days"] != float64(30) {
		t.Errorf("consent policy read back: %d %v, want 30 days", code, out)
	}
	if code, msg := post("POST", "/v1/rekognition/keys", `{"read_only": true}`); code != 201 && code != 200 {
		t.Errorf("a read-only key: %d %s", code, msg)
	}
	if code, msg := post("POST", "/v1/liveness/sessions", `{"ttl_seconds": 10}`); code != 201 {
		t.Errorf("a session: %d %s", code, msg)
	}
}

// TestFormFieldsAreStrict: a multipart form with a field its route does not
// read is a 400 naming the field (and the ones it reads), and nothing is
// done with it: no frame of a liveness session is counted.
func TestFormFieldsAreStrict(t *testing.T) {
	e, _, clk := liveServe(t, liveOpts())
	say := func(out map[string]any) string {
		er, _ := out["error"].(map[string]any)
		msg, _ := er["message"].(string)
		return msg
	}
	cases := []struct {
		path   string
		fields map[string]string
		files  map[string][][]byte
		says   string
	}{
		{"/v1/detect", nil, map[string][][]byte{"images": {frameOf(1, "")}}, `unknown form field "images": this request reads "image"`},
		{"/v1/collections/none/identify", map[string]string{"fpri": "1e-6"}, map[string][][]byte{"image": {frameOf(1, "")}}, `unknown form field "fpri"`},
		{"/v1/compare", map[string]string{"FAR": "1e-5", "far": "1e-5"}, map[string][][]byte{"image_a": {frameOf(1, "")}, "image_b": {frameOf(1, "")}}, `unknown form field "FAR"`},
		{"/v1/kyc/match", map[string]string{"token": "lvt_x"}, map[string][][]byte{"document": {frameOf(1, "")}}, `unknown form field "token"`},
	}
	for _, c := range cases {
		body, ct := form(c.files, c.fields)
		if code, out := e.call("POST", c.path, e.admin, body, ct); code != 400 || !strings.Contains(say(out), c.says) {
			t.Errorf("%s %v: %d %v, want 400 saying %q", c.path, c.fields, code, out, c.says)
		}
	}
	id, nonce, _ := e.liveStart(e.admin)
	clk.advance(time.Second)
	code, out := e.burst(e.admin, id, map[string]string{"nonce": nonce, "finsh": "false"}, [][]byte{frameOf(1, "")})
	if code != 400 || !strings.Contains(say(out), `unknown form field "finsh"`) {
		t.Errorf("frames with a typo: %d %v, want 400 naming it", code, out)
	}
	if code, out := e.call("GET", "/v1/liveness/sessions/"+id, e.admin, nil, ""); code != 200 || out["frames"] != float64(0) || out["state"] != "open" {
		t.Errorf("the session after a refused upload: %d %v, want open with no frame", code, out)
	}
	if code, out := e.burst(e.admin, id, map[string]string{"nonce": nonce, "finish": "false"}, [][]byte{frameOf(1, "")}); code != 200 {
		t.Errorf("the same upload spelt right: %d %v", code, out)
	}
}

// TestFormFieldsMatchOpenAPI: every multipart route takes each field its
// OpenAPI schema documents, and refuses one it does not.
func TestFormFieldsMatchOpenAPI(t *testing.T) {
	e, _, _ := liveServe(t, liveOpts())
	_, _, b := e.raw("GET", "/v1/openapi.json", "", nil, "")
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	routes := 0
	for path, ops := range doc.Paths {
		for method, raw := range ops {
			var op struct {
				RequestBody struct {
					Content map[string]struct {
						Schema struct {
							Properties map[string]any `json:"properties"`
						} `json:"schema"`
					} `json:"content"`
				} `json:"requestBody"`
			}
			if method == "parameters" || json.Unmarshal(raw, &op) != nil {
				continue
			}
			c, ok := op.RequestBody.Content["multipart/form-data"]
			if !ok {
				continue
			}
			routes++
			url := regexp.MustCompile(`\{[a-z]+\}`).ReplaceAllString(path, "x")
			fields := map[string]string{}
			for name := range c.Schema.Properties {
				fields[name] = "1"
			}
			body, ct := form(nil, fields)
			if code, out := e.call(strings.ToUpper(method), url, e.admin, body, ct); strings.Contains(fmt.Sprint(out), "unknown form field") {
				t.Errorf("%s %s with its documented fields: %d %v", method, path, code, out)
			}
			fields["not_a_field"] = "1"
			body, ct = form(nil, fields)
			if code, out := e.call(strings.ToUpper(method), url, e.admin, body, ct); code != 400 || !strings.Contains(fmt.Sprint(out), `unknown form field "not_a_field"`) {
				t.Errorf("%s %s with an unknown field: %d %v, want 400 naming it", method, path, code, out)
			}
		}
	}
	if routes < 9 {
		t.Errorf("%d multipart routes in the OpenAPI document, want at least 9", routes)
	}
}
