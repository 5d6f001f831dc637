package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/imageio"
	"github.com/mienhq/mien/internal/server"
	"github.com/mienhq/mien/internal/store"
	"github.com/mienhq/mien/internal/testenv"
)

var master = []byte("0123456789abcdef0123456789abcdef")

type env struct {
	t     *testing.T
	url   string
	st    *store.Store
	admin string // tenant A admin
	other string // tenant B admin
	libs  string // the server's LibraryDir
	srv   *server.Server
	db    string // the store's database file
}

func setup(t *testing.T) *env {
	eng := testenv.Engine(t, "standard")
	return serve(t, eng, store.Options{}, server.Options{MaxBody: 2 << 20, Cameras: &server.CameraOptions{Detector: eng, Outbound: loopbackHooks}})
}

// serve runs a server with the engine over a fresh store holding tenants a
// and b, each with an admin key. opts.Engine and opts.Store are set here;
// a LibraryDir is made when opts has none; sopts.MasterKey defaults to master.
func serve(t *testing.T, eng server.Engine, sopts store.Options, opts server.Options) *env {
	t.Helper()
	return serveAt(t, eng, t.TempDir(), sopts, opts)
}

// serveAt is serve with the store in the directory dir.
func serveAt(t *testing.T, eng server.Engine, dir string, sopts store.Options, opts server.Options) *env {
	t.Helper()
	ctx := context.Background()
	if sopts.MasterKey == nil {
		sopts.MasterKey = master
	}
	db := filepath.Join(dir, "mien.db")
	st, err := store.Open(ctx, db, sopts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	a, _ := st.CreateTenant(ctx, "a")
	b, _ := st.CreateTenant(ctx, "b")
	ka, _, _ := st.CreateKey(ctx, a.ID, store.RoleAdmin, "test")
	kb, _, _ := st.CreateKey(ctx, b.ID, store.RoleAdmin, "test")
	if opts.LibraryDir == "" {
		opts.LibraryDir = filepath.Join(t.TempDir(), "libraries")
	}
	opts.Engine, opts.Store = eng, st
	srv, err := server.New(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	if opts.Cameras != nil {
		cctx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { srv.RunCameras(cctx); close(done) }()
		t.Cleanup(func() { stop(); <-done })
	}
	return &env{t: t, url: hs.URL, st: st, admin: ka, other: kb, libs: opts.LibraryDir, srv: srv, db: db}
}

func fixture(t *testing.T, name string) []byte {
	b, err := os.ReadFile(testenv.Shared(t, "fixtures/insightface/"+name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// raw sends a request and returns the answer's bytes.
func (e *env) raw(method, path, key string, body io.Reader, ctype string) (int, http.Header, []byte) {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.url+path, body)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

// call sends a request and decodes the JSON answer.
func (e *env) call(method, path, key string, body io.Reader, ctype string) (int, map[string]any) {
	e.t.Helper()
	code, _, b := e.raw(method, path, key, body, ctype)
	var out map[string]any
	json.Unmarshal(b, &out)
	return code, out
}

func form(files map[string][][]byte, fields map[string]string) (*bytes.Buffer, string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	for k, list := range files {
		for i, data := range list {
			w, _ := mw.CreateFormFile(k, k+string(rune('0'+i))+".jpg")
			w.Write(data)
		}
	}
	mw.Close()
	return &buf, mw.FormDataContentType()
}

func consentFields(ext string) map[string]string {
	return map[string]string{"external_id": ext, "name": ext, "consent_purpose": "office access", "consent_evidence": "form-1",
		"consented_at": time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), "expires_at": time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339)}
}

func (e *env) collection(key, name string) string {
	code, out := e.call("POST", "/v1/collections", key, bytes.NewBufferString(`{"name":"`+name+`"}`), "application/json")
	if code != 201 {
		e.t.Fatalf("create collection: %d %v", code, out)
	}
	return out["id"].(string)
}

func (e *env) rows(table string) int {
	// A tenant-independent view of what the store holds, via export counts.
	cols, _ := e.st.AllCollections(context.Background())
	n := 0
	for _, c := range cols {
		e.st.EachTemplate(context.Background(), c.ID, func(string, int64, []float32) error { n++; return nil })
	}
	if table == "collections" {
		return len(cols)
	}
	return n
}

func TestEnrolIdentifyErase(t *testing.T) {
	e := setup(t)
	col := e.collection(e.admin, "staff")
	body, ct := form(map[string][][]byte{"images": {fixture(t, "bulk_Rob_Lowe_0001.jpg")}}, consentFields("rob"))
	code, sub := e.call("POST", "/v1/collections/"+col+"/subjects", e.admin, body, ct)
	if code != 201 {
		t.Fatalf("enrol: %d %v", code, sub)
	}
	sid := sub["id"].(string)
	identify := func(img string) (int, map[string]any) {
		body, ct := form(map[string][][]byte{"image": {fixture(t, img)}}, nil)
		return e.call("POST", "/v1/collections/"+col+"/identify", e.admin, body, ct)
	}
	code, res := identify("bulk_Rob_Lowe_0002.jpg")
	faces := res["faces"].([]any)
	f0 := faces[0].(map[string]any)
	if code != 200 || f0["decision"] != "match" || f0["candidates"].([]any)[0].(map[string]any)["subject_id"] != sid {
		t.Fatalf("identify Rob: %d %v", code, res)
	}
	code, res = identify("bulk_Nathalie_Baye_0002.jpg")
	if code != 200 || res["faces"].([]any)[0].(map[string]any)["decision"] != "unknown" {
		t.Fatalf("identify a stranger: %d %v", code, res)
	}
	// Export holds the consent record.
	code, exp := e.call("GET", "/v1/collections/"+col+"/subjects/"+sid+"/export", e.admin, nil, "")
	if code != 200 || exp["consent"].(map[string]any)["purpose"] != "office access" || len(exp["templates"].([]any)) != 1 {
		t.Fatalf("export: %d %v", code, exp)
	}
	// Erasure: gone from the store and from the index.
	if code, out := e.call("DELETE", "/v1/collections/"+col+"/subjects/"+sid, e.admin, nil, ""); code != 204 {
		t.Fatalf("delete: %d %v", code, out)
	}
	if e.rows("templates") != 0 {
		t.Fatal("templates left after erasure")
	}
	code, res = identify("bulk_Rob_Lowe_0002.jpg")
	if code != 200 || res["faces"].([]any)[0].(map[string]any)["decision"] != "unknown" {
		t.Fatalf("identify after erasure: %d %v", code, res)
	}
	if n, err := e.st.VerifyAudit(context.Background()); err != nil || n < 6 {
		t.Fatalf("audit: %d %v", n, err)
	}
}

func TestBadInputsChangeNothing(t *testing.T) {
	e := setup(t)
	col := e.collection(e.admin, "staff")
	rob := fixture(t, "bulk_Rob_Lowe_0001.jpg")
	// A two-face image.
	a, _ := imageio.Decode(rob, imageio.Options{})
	b, _ := imageio.Decode(fixture(t, "bulk_Nathalie_Baye_0002.jpg"), imageio.Options{})
	both := face.NewImage(a.W+b.W, max(a.H, b.H))
	for y := 0; y < a.H; y++ {
		copy(both.Pix[3*y*both.W:], a.Pix[3*y*a.W:3*(y+1)*a.W])
	}
	for y := 0; y < b.H; y++ {
		copy(both.Pix[3*(y*both.W+a.W):], b.Pix[3*y*b.W:3*(y+1)*b.W])
	}
	var two bytes.Buffer
	imageio.EncodeJPEG(&two, both, 92)
	noFace := fixture(t, "crop_no_face.png")
	noConsent := consentFields("x")
	delete(noConsent, "consent_purpose")
	cases := []struct {
		name   string
		key    string
		path   string
		images [][]byte
		fields map[string]string
		want   int
	}{
		{"corrupt image", e.admin, col, [][]byte{rob[:len(rob)/3]}, consentFields("c"), 400},
		{"not an image", e.admin, col, [][]byte{[]byte("hello")}, consentFields("c"), 415},
		{"no face", e.admin, col, [][]byte{noFace}, consentFields("c"), 422},
		{"two faces", e.admin, col, [][]byte{two.Bytes()}, consentFields("c"), 422},
		{"second image bad", e.admin, col, [][]byte{rob, noFace}, consentFields("c"), 422},
		{"no consent purpose", e.admin, col, [][]byte{rob}, noConsent, 422},
		{"wrong collection", e.admin, "col_nope", [][]byte{rob}, consentFields("c"), 404},
		{"missing key", "", col, [][]byte{rob}, consentFields("c"), 401},
		{"other tenant's key", e.other, col, [][]byte{rob}, consentFields("c"), 404},
		{"oversize body", e.admin, col, [][]byte{make([]byte, 3<<20)}, consentFields("c"), 413},
	}
	for _, c := range cases {
		body, ct := form(map[string][][]byte{"images": c.images}, c.fields)
		code, out := e.call("POST", "/v1/collections/"+c.path+"/subjects", c.key, body, ct)
		if code != c.want || out["error"] == nil {
			t.Errorf("%s: %d %v, want %d with an error body", c.name, code, out, c.want)
		}
		if e.rows("templates") != 0 {
			t.Fatalf("%s: the store changed", c.name)
		}
	}
}

func TestCrossTenant(t *testing.T) {
	e := setup(t)
	col := e.collection(e.admin, "staff")
	body, ct := form(map[string][][]byte{"images": {fixture(t, "bulk_Rob_Lowe_0001.jpg")}}, consentFields("rob"))
	_, sub := e.call("POST", "/v1/collections/"+col+"/subjects", e.admin, body, ct)
	sid := sub["id"].(string)
	for _, c := range []struct{ method, path string }{
		{"GET", "/v1/collections/" + col},
		{"GET", "/v1/collections/" + col + "/subjects"},
		{"GET", "/v1/collections/" + col + "/subjects/" + sid},
		{"DELETE", "/v1/collections/" + col + "/subjects/" + sid},
		{"DELETE", "/v1/collections/" + col},
	} {
		if code, _ := e.call(c.method, c.path, e.other, nil, ""); code != 404 {
			t.Errorf("other tenant %s %s: %d, want 404", c.method, c.path, code)
		}
	}
	body, ct = form(map[string][][]byte{"image": {fixture(t, "bulk_Rob_Lowe_0002.jpg")}}, nil)
	if code, _ := e.call("POST", "/v1/collections/"+col+"/identify", e.other, body, ct); code != 404 {
		t.Errorf("other tenant identify: %d, want 404", code)
	}
	_, list := e.call("GET", "/v1/collections", e.other, nil, "")
	if len(list["collections"].([]any)) != 0 {
		t.Errorf("other tenant sees %v", list)
	}
	if e.rows("templates") != 1 {
		t.Fatal("the other tenant changed the store")
	}
}

func TestCompareAndDetect(t *testing.T) {
	e := setup(t)
	body, ct := form(map[string][][]byte{"image_a": {fixture(t, "bulk_Rob_Lowe_0001.jpg")}, "image_b": {fixture(t, "bulk_Rob_Lowe_0002.jpg")}}, map[string]string{"far": "0.0001"})
	code, out := e.call("POST", "/v1/compare", e.admin, body, ct)
	if code != 200 || out["same_person"] != true {
		t.Fatalf("compare: %d %v", code, out)
	}
	body, ct = form(map[string][][]byte{"image_a": {fixture(t, "bulk_Rob_Lowe_0001.jpg")}, "image_b": {fixture(t, "bulk_Rob_Lowe_0002.jpg")}}, map[string]string{"far": "0.9"})
	if code, _ := e.call("POST", "/v1/compare", e.admin, body, ct); code != 400 {
		t.Fatalf("uncalibrated far: %d", code)
	}
	body, ct = form(map[string][][]byte{"image": {fixture(t, "bulk_Rob_Lowe_0001.jpg")}}, nil)
	code, out = e.call("POST", "/v1/detect", e.admin, body, ct)
	faces, _ := out["faces"].([]any)
	if code != 200 || len(faces) != 1 {
		t.Fatalf("detect: %d %v", code, out)
	}
	if emb := faces[0].(map[string]any)["embedding"].(map[string]any); emb["vector"] != nil {
		t.Fatal("detect returned the probe's template")
	}
}

func TestOpenAPIAndMetrics(t *testing.T) {
	e := setup(t)
	resp, err := http.Get(e.url + "/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		OpenAPI string         `json:"openapi"`
		Paths   map[string]any `json:"paths"`
	}
	json.NewDecoder(resp.Body).Decode(&doc)
	resp.Body.Close()
	for _, p := range []string{"/v1/detect", "/v1/compare", "/v1/collections/{id}/identify", "/v1/collections/{id}/subjects/{sid}/export"} {
		if doc.Paths[p] == nil {
			t.Errorf("openapi.json lacks %s", p)
		}
	}
	body, ct := form(map[string][][]byte{"image": {fixture(t, "bulk_Rob_Lowe_0001.jpg")}}, nil)
	e.call("POST", "/v1/detect", e.admin, body, ct)
	_, _, b := e.raw("GET", "/metrics", e.admin, nil, "")
	for _, want := range []string{`mien_http_request_duration_seconds_count{route="POST /v1/detect",status="2xx"} 1`, "mien_faces_processed_total 1", "mien_queue_depth 0"} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("metrics lack %q:\n%s", want, b)
		}
	}
}
