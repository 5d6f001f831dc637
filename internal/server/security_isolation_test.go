package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/mienhq/mien/internal/store"
)

// TestSecurityTenantIsolationEveryRoute calls every authenticated /v1 route
// the server registers (read from the sources, as TestOpenAPICoversRoutes
// does, so a new route is covered the day it is added) with tenant B's
// admin key on tenant A's collection, subject, keys, library, photo, person
// and face. A route that names one of A's resources must refuse; a route
// that names none (B's own lists and creations) must not show any of A's.
// Deletions go last; afterwards A's data must all still be there.
func TestSecurityTenantIsolationEveryRoute(t *testing.T) {
	e := setup(t)
	a := seedTenantA(t, e)
	routes := registeredRoutes(t)
	if len(routes) < 50 {
		t.Fatalf("found only %d routes: the pattern no longer matches the route registrations", len(routes))
	}
	tested := 0
	for _, rt := range routes {
		path, named := a.fill(t, rt.path)
		body, ct := a.body(rt.path)
		code, _, b := e.raw(rt.method, path, e.other, body, ct)
		tested++
		switch {
		case named && code != http.StatusNotFound && code != http.StatusForbidden:
			t.Errorf("tenant B %s %s: %d %.200s, want 404 (it names tenant A's resource)", rt.method, path, code, b)
		case code >= 500:
			t.Errorf("tenant B %s %s: %d %.200s", rt.method, path, code, b)
		}
		for what, secret := range a.secrets() {
			// An id B itself put in the path may be echoed in the refusal.
			if !strings.Contains(path, secret) && bytes.Contains(b, []byte(secret)) {
				t.Errorf("tenant B %s %s: the answer holds tenant A's %s", rt.method, path, what)
			}
		}
	}
	a.stillThere(t)
	t.Logf("%d routes called with another tenant's key: none reached tenant A's data", tested)
}

type route struct{ method, path string }

// registeredRoutes reads every "METHOD /v1/..." registration of the
// server's sources: s.handle(...) calls and the library's route table.
// Deletions come last so the others still find A's resources.
func registeredRoutes(t *testing.T) []route {
	files, _ := filepath.Glob("*.go")
	re := regexp.MustCompile(`(?:s\.handle\(|\{)"([A-Z]+) (/v1/[^"]*)"`)
	seen := map[route]bool{}
	var out []route
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(src), -1) {
			if r := (route{m[1], m[2]}); !seen[r] {
				seen[r] = true
				out = append(out, r)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		return out[i].method != "DELETE" && out[j].method == "DELETE"
	})
	return out
}

// tenantA is what tenant A holds, for B to try to reach.
type tenantA struct {
	e                          *env
	col, sid, keyID, awsKey    string
	lib, photo, person, faceID string
	name                       string
	cam, event                 string // a camera and one of its events
	live                       string // a liveness session
}

func seedTenantA(t *testing.T, e *env) *tenantA {
	a := &tenantA{e: e, name: "Isolde Tenant-A"}
	a.col = e.collection(e.admin, "a-staff")
	f := consentFields("isolde-ext")
	f["name"] = a.name
	body, ct := form(map[string][][]byte{"images": {fixture(t, "bulk_Rob_Lowe_0001.jpg")}}, f)
	code, sub := e.call("POST", "/v1/collections/"+a.col+"/subjects", e.admin, body, ct)
	if code != 201 {
		t.Fatalf("enrol: %d %v", code, sub)
	}
	a.sid = sub["id"].(string)
	code, k := e.js("POST", "/v1/keys", e.admin, `{"role":"read"}`)
	if code != 201 {
		t.Fatalf("create key: %d %v", code, k)
	}
	a.keyID = k["id"].(string)
	code, ak := e.js("POST", "/v1/rekognition/keys", e.admin, `{}`)
	if code != 201 {
		t.Fatalf("create aws key: %d %v", code, ak)
	}
	a.awsKey = ak["access_key_id"].(string)
	a.lib = e.library(e.admin, "a-photos")
	photo := fixture(t, "bulk_Rob_Lowe_0002.jpg")
	if code, out := e.upload(e.admin, a.lib, photo); code != 200 && code != 201 {
		t.Fatalf("upload: %d %v", code, out)
	}
	a.photo = hashOf(photo)
	code, faces := e.call("GET", a.lib+"/faces", e.admin, nil, "")
	if code != 200 || len(faces["faces"].([]any)) == 0 {
		t.Fatalf("faces: %d %v", code, faces)
	}
	a.faceID = faces["faces"].([]any)[0].(map[string]any)["id"].(string)
	a.person = "1"
	code, cam := e.js("POST", "/v1/cameras", e.admin, `{"name":"a-door-cam","source":"http://admin:a-cam-pass@127.0.0.1:9/a.mjpg",
		"mode":"count","line":[320,0,320,360],"width":640,"height":360,"webhook_url":"http://127.0.0.1:9/hook"}`)
	if code != 201 {
		t.Fatalf("create camera: %d %v", code, cam)
	}
	a.cam = cam["id"].(string)
	ev, err := e.st.AddCameraEvent(context.Background(), store.CameraEvent{CameraID: a.cam, Kind: "in", Detail: map[string]any{"track": 1}})
	if err != nil {
		t.Fatal(err)
	}
	a.event = ev.ID
	code, ls := e.call("POST", "/v1/liveness/sessions", e.admin, nil, "")
	if code != 201 {
		t.Fatalf("liveness session: %d %v", code, ls)
	}
	a.live = ls["id"].(string)
	return a
}

// fill puts A's resources into a route's path, and says whether it names one.
func (a *tenantA) fill(t *testing.T, p string) (string, bool) {
	lib := strings.TrimPrefix(a.lib, "/v1/libraries/")
	kid := a.keyID
	if strings.HasPrefix(p, "/v1/rekognition/keys/") {
		kid = a.awsKey
	}
	r := strings.NewReplacer("{id}", a.col, "{sid}", a.sid, "{kid}", kid, "{lib}", lib,
		"{photo}", a.photo, "{person}", a.person, "{face}", a.faceID, "{lsid}", a.live)
	if strings.HasPrefix(p, "/v1/cameras/") {
		r = strings.NewReplacer("{id}", a.cam)
	}
	out := r.Replace(p)
	if strings.Contains(out, "{") {
		t.Fatalf("route %s has a path parameter this test does not know: add it to tenantA.fill", p)
	}
	return out, out != p
}

// body is a plausible request body for a route, so that what refuses B is
// the tenant check and not a malformed request.
func (a *tenantA) body(p string) (*bytes.Buffer, string) {
	img := fixture(a.e.t, "bulk_Rob_Lowe_0001.jpg")
	switch {
	case strings.HasSuffix(p, "/subjects"):
		return form(map[string][][]byte{"images": {img}}, consentFields("b-intruder"))
	case strings.HasSuffix(p, "/images"):
		return form(map[string][][]byte{"images": {img}}, nil)
	case strings.HasSuffix(p, "/frames"):
		return form(map[string][][]byte{"frames": {img}}, map[string]string{"nonce": "b", "timestamps": "0"})
	case strings.HasSuffix(p, "/photos"):
		return form(map[string][][]byte{"photos": {img}}, nil)
	case strings.HasSuffix(p, "/kyc/match"):
		return form(map[string][][]byte{"document": {img}, "selfie": {img}}, nil)
	case strings.HasSuffix(p, "/compare"):
		return form(map[string][][]byte{"image_a": {img}, "image_b": {img}}, nil)
	case strings.HasSuffix(p, "/identify") || strings.HasSuffix(p, "/verify") || strings.HasSuffix(p, "/detect"):
		return form(map[string][][]byte{"image": {img}}, nil)
	}
	if strings.HasPrefix(p, "/v1/cameras") {
		return bytes.NewBufferString(`{"name":"b-cam","source":"http://127.0.0.1:9/b.mjpg","mode":"count","line":[0,0,10,10]}`), "application/json"
	}
	bodies := map[string]string{ // JSON bodies are strict: each route gets one it reads
		"/name": `{"name":"b-thing"}`, "/merge": `{"from":[2]}`, "/split": `{"faces":["` + a.faceID + `"]}`,
		"/move": `{"person":2}`, "/ignore": `{"reason":"ignore"}`, "/consent-policy": `{"purpose":"b","retention_days":30,"evidence":"b"}`, "/expiry": `{"expire_after_seconds":60}`,
		"/expire": `{"older_than_seconds":60}`, "/cover": `{"face":"` + a.faceID + `"}`, "/hidden": `{"hidden":true}`,
		"/file-names": `{"names":{"` + a.photo + `":"b.jpg"}}`, "/settings": `{"fpir":0.001}`,
	}
	for suffix, b := range bodies {
		if strings.HasSuffix(p, suffix) {
			return bytes.NewBufferString(b), "application/json"
		}
	}
	switch p {
	case "/v1/keys":
		return bytes.NewBufferString(`{"role":"read"}`), "application/json"
	case "/v1/rekognition/keys":
		return bytes.NewBufferString(`{"read_only":true}`), "application/json"
	}
	return bytes.NewBufferString(`{"name":"b-thing"}`), "application/json"
}

// secrets are the strings of A's that must never appear in B's answers.
func (a *tenantA) secrets() map[string]string {
	return map[string]string{"collection id": a.col, "subject id": a.sid, "subject name": a.name,
		"external id": "isolde-ext", "API key id": a.keyID, "AWS key id": a.awsKey,
		"library id": strings.TrimPrefix(a.lib, "/v1/libraries/"), "photo": a.photo, "face id": a.faceID,
		"camera id": a.cam, "camera name": "a-door-cam", "camera password": "a-cam-pass", "camera event": a.event,
		"liveness session id": a.live}
}

// stillThere checks A's data survived B's every call.
func (a *tenantA) stillThere(t *testing.T) {
	e := a.e
	for _, p := range []string{"/v1/collections/" + a.col + "/subjects/" + a.sid, a.lib + "/photos/" + a.photo, a.lib + "/faces/" + a.faceID,
		"/v1/cameras/" + a.cam, "/v1/liveness/sessions/" + a.live} {
		if code, _, b := e.raw("GET", p, e.admin, nil, ""); code != 200 {
			t.Errorf("tenant A's %s after tenant B's calls: %d %.200s", p, code, b)
		}
	}
	if _, ls := e.call("GET", "/v1/liveness/sessions/"+a.live, e.admin, nil, ""); ls["state"] != "open" || ls["frames"] != 0.0 {
		t.Errorf("tenant A's liveness session after tenant B's calls: %v, want open with no frame", ls)
	}
	_, keys := e.call("GET", "/v1/keys", e.admin, nil, "")
	found := false
	for _, k := range keys["keys"].([]any) {
		km := k.(map[string]any)
		if km["id"] == a.keyID && km["revoked_at"] == nil {
			found = true
		}
	}
	if !found {
		t.Errorf("tenant A's key %s is gone or revoked: %v", a.keyID, keys)
	}
	_, aws := e.call("GET", "/v1/rekognition/keys", e.admin, nil, "")
	if !strings.Contains(toJSON(aws), a.awsKey) {
		t.Errorf("tenant A's AWS key %s is gone: %v", a.awsKey, aws)
	}
}

func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
