package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/imageio"
	"github.com/mienhq/mien/internal/store"
	"github.com/mienhq/mien/internal/testenv"
)

// js sends a JSON body (a string, sent as is) and decodes the answer.
func (e *env) js(method, path, key, body string) (int, map[string]any) {
	e.t.Helper()
	return e.call(method, path, key, strings.NewReader(body), "application/json")
}

func (e *env) library(key, name string) string {
	e.t.Helper()
	code, out := e.js("POST", "/v1/libraries", key, `{"name":"`+name+`"}`)
	if code != 201 {
		e.t.Fatalf("create library: %d %v", code, out)
	}
	return "/v1/libraries/" + out["id"].(string)
}

func (e *env) upload(key, lib string, photos ...[]byte) (int, map[string]any) {
	e.t.Helper()
	body, ct := form(map[string][][]byte{"photos": photos}, nil)
	return e.call("POST", lib+"/photos", key, body, ct)
}

// snapshot hashes every file of the libraries directory but thumbnails.
func snapshot(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.Contains(p, "/thumbs/") {
			return nil
		}
		b, _ := os.ReadFile(p)
		h := sha256.Sum256(b)
		out[p] = hex.EncodeToString(h[:])
		return nil
	})
	return out
}

func sameFiles(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func num(v any) int { f, _ := v.(float64); return int(f) }

func hashOf(b []byte) string { h := sha256.Sum256(b); return hex.EncodeToString(h[:]) }

// lfw reads photos from..to of each person, and the person of each photo.
func lfw(t *testing.T, names []string, from, to int) ([][]byte, map[string]string) {
	dir := testenv.Shared(t, "data/lfw/images")
	var out [][]byte
	who := map[string]string{}
	for _, n := range names {
		for i := from; i <= to; i++ {
			b, err := os.ReadFile(filepath.Join(dir, n, fmt.Sprintf("%s_%04d.jpg", n, i)))
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, b)
			who[hashOf(b)] = n
		}
	}
	return out, who
}

// mainFaces maps each LFW photo's central face to its person id.
func mainFaces(t *testing.T, e *env, lib string) map[string]int { // photo hash -> person
	code, out := e.call("GET", lib+"/photos", e.admin, nil, "")
	if code != 200 {
		t.Fatalf("photos: %d %v", code, out)
	}
	res := map[string]int{}
	for _, p := range out["photos"].([]any) {
		p := p.(map[string]any)
		best, bestD := 0, 1e9
		for _, f := range p["faces"].([]any) {
			f := f.(map[string]any)
			b := f["box"].(map[string]any)
			cx, cy := b["x"].(float64)+b["width"].(float64)/2, b["y"].(float64)+b["height"].(float64)/2
			if d := (cx-125)*(cx-125) + (cy-125)*(cy-125); d < bestD {
				best, bestD = num(f["person"]), d
			}
		}
		res[p["id"].(string)] = best
	}
	return res
}

// TestLibrary uploads 30 LFW photos of five people in two requests and
// checks the grouping, curation, exports, thumbnails, isolation, bad inputs
// and forgetting, over HTTP with the real engine.
func TestLibrary(t *testing.T) {
	e := setup(t)
	names := []string{"Colin_Powell", "Donald_Rumsfeld", "Gerhard_Schroeder", "Junichiro_Koizumi", "Tony_Blair"}
	first, who := lfw(t, names, 1, 3)
	second, who2 := lfw(t, names, 4, 6)
	for k, v := range who2 {
		who[k] = v
	}
	lib := e.library(e.admin, "family")
	start := time.Now()
	for i, batch := range [][][]byte{first, second} {
		code, out := e.upload(e.admin, lib, batch...)
		if code != 200 || num(out["indexed"]) != 15 || num(out["faces"]) < 15 {
			t.Fatalf("upload %d: %d %v", i, code, out)
		}
		if p := out["photos"].([]any)[0].(map[string]any); p["id"] != hashOf(batch[0]) || p["duplicate"] != false {
			t.Fatalf("upload %d: first photo %v", i, p)
		}
	}
	t.Logf("30 photos uploaded and grouped in %v", time.Since(start).Round(time.Millisecond))
	lastUpload := time.Now()

	// Grouping: each person's photos are (nearly all) one person.
	main := mainFaces(t, e, lib)
	byName := map[string]map[int]int{}
	for h, pid := range main {
		if byName[who[h]] == nil {
			byName[who[h]] = map[int]int{}
		}
		byName[who[h]][pid]++
	}
	personOf := map[string]int{}
	taken := map[int]string{}
	for _, n := range names {
		best, bestN := 0, 0
		for pid, c := range byName[n] {
			if c > bestN {
				best, bestN = pid, c
			}
		}
		if bestN < 5 || best == 0 || taken[best] != "" {
			t.Fatalf("%s: main faces in people %v (person %d also %q)", n, byName[n], best, taken[best])
		}
		personOf[n], taken[best] = best, n
	}
	code, info := e.call("GET", lib, e.admin, nil, "")
	if code != 200 || num(info["photos"]) != 30 || num(info["people"]) < 5 || info["model"] == "" {
		t.Fatalf("library: %d %v", code, info)
	}

	// A photo sent again is recognised by its content.
	code, out := e.upload(e.admin, lib, first[0])
	if code != 200 || num(out["indexed"]) != 0 || num(out["duplicates"]) != 1 || out["photos"].([]any)[0].(map[string]any)["duplicate"] != true {
		t.Fatalf("duplicate upload: %d %v", code, out)
	}

	colin, tony := personOf["Colin_Powell"], personOf["Tony_Blair"]
	curation(t, e, lib, colin, tony)
	exports(t, e, lib, first[0])
	isolation(t, e, lib, first[0], second[0])
	badInputs(t, e, lib, colin, first[0])

	// Expiry: unnamed, unconfirmed people go, with their templates.
	if code, out := e.js("PUT", lib+"/expiry", e.admin, `{"expire_after_seconds": 86400}`); code != 200 || num(out["expire_after_seconds"]) != 86400 {
		t.Fatalf("set expiry: %d %v", code, out)
	}
	if code, out := e.call("POST", lib+"/expire", e.admin, nil, ""); code != 200 || num(out["faces"]) != 0 {
		t.Fatalf("expire within the expiry: %d %v", code, out)
	}
	before := plainLog(t, e, lib)
	time.Sleep(time.Until(lastUpload.Truncate(time.Second).Add(2100 * time.Millisecond)))
	code, out = e.js("POST", lib+"/expire", e.admin, `{"older_than_seconds": 1}`)
	if code != 200 || num(out["people"]) < 3 || num(out["faces"]) < 18 {
		t.Fatalf("expire: %d %v", code, out)
	}
	after := plainLog(t, e, lib)
	if nb, na := bytes.Count(before, []byte(`"vector"`)), bytes.Count(after, []byte(`"vector"`)); na != nb-num(out["faces"]) {
		t.Fatalf("templates on disk: %d before, %d after erasing %d", nb, na, num(out["faces"]))
	}
	if code, p := e.call("GET", fmt.Sprintf("%s/people/%d", lib, colin), e.admin, nil, ""); code != 200 {
		t.Fatalf("the named person expired: %d %v", code, p)
	}

	// Forget: everything goes, directory included.
	dir := libDir(t, e, lib)
	if code, _ := e.call("DELETE", lib, e.admin, nil, ""); code != 204 {
		t.Fatalf("delete: %d", code)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("the library's directory is still there: %v", err)
	}
	if code, _ := e.call("GET", lib+"/people", e.admin, nil, ""); code != 404 {
		t.Fatalf("people after forget: %d", code)
	}
	if _, list := e.call("GET", "/v1/libraries", e.admin, nil, ""); len(list["libraries"].([]any)) != 0 {
		t.Fatalf("libraries after forget: %v", list)
	}
	if n, err := e.st.VerifyAudit(context.Background()); err != nil || n < 5 {
		t.Fatalf("audit: %d %v", n, err)
	}
}

func libDir(t *testing.T, e *env, lib string) string {
	dirs, _ := filepath.Glob(filepath.Join(e.libs, "*", filepath.Base(lib)))
	if len(dirs) != 1 {
		t.Fatalf("library directories %v", dirs)
	}
	return dirs[0]
}

func faceIDs(t *testing.T, e *env, lib string, person int) []string {
	code, out := e.call("GET", fmt.Sprintf("%s/people/%d", lib, person), e.admin, nil, "")
	if code != 200 {
		t.Fatalf("person %d: %d %v", person, code, out)
	}
	var ids []string
	for _, f := range out["faces"].([]any) {
		ids = append(ids, f.(map[string]any)["id"].(string))
	}
	sort.Strings(ids)
	return ids
}

// curation: name, merge, split, move, not, ignore, unignore, regroup.
func curation(t *testing.T, e *env, lib string, colin, tony int) {
	p := func(id int) string { return fmt.Sprintf("%s/people/%d", lib, id) }
	colinFaces, tonyFaces := faceIDs(t, e, lib, colin), faceIDs(t, e, lib, tony)
	code, out := e.js("POST", p(colin)+"/name", e.admin, `{"name":"Colin Powell"}`)
	if code != 200 || out["name"] != "Colin Powell" || out["confirmed"] != true || num(out["faces"]) != len(colinFaces) {
		t.Fatalf("name: %d %v", code, out)
	}
	code, out = e.js("POST", p(colin)+"/merge", e.admin, fmt.Sprintf(`{"from":[%d]}`, tony))
	if code != 200 || num(out["faces"]) != len(colinFaces)+len(tonyFaces) {
		t.Fatalf("merge: %d %v", code, out)
	}
	if code, _ := e.call("GET", p(tony), e.admin, nil, ""); code != 404 {
		t.Fatalf("merged person still there: %d", code)
	}
	body, _ := json.Marshal(map[string]any{"faces": tonyFaces})
	code, out = e.js("POST", p(colin)+"/split", e.admin, string(body))
	if code != 200 {
		t.Fatalf("split: %d %v", code, out)
	}
	np, rest := out["person"].(map[string]any), out["rest"].(map[string]any)
	if num(np["faces"]) != len(tonyFaces) || num(rest["faces"]) != len(colinFaces) || rest["name"] != "Colin Powell" {
		t.Fatalf("split: %v", out)
	}
	tony = num(np["id"])
	f := "/faces/" + tonyFaces[0]
	if code, out := e.js("POST", lib+f+"/move", e.admin, fmt.Sprintf(`{"person":%d}`, colin)); code != 200 || num(out["person"]) != colin {
		t.Fatalf("move: %d %v", code, out)
	}
	if code, out := e.call("POST", lib+f+"/not", e.admin, nil, ""); code != 200 || num(out["person"]) == colin || num(out["person"]) == 0 {
		t.Fatalf("not: %d %v", code, out)
	}
	if code, out := e.js("POST", lib+f+"/ignore", e.admin, `{"reason":"not-a-face"}`); code != 200 || out["ignored"] != "not-a-face" || out["person"] != nil {
		t.Fatalf("ignore: %d %v", code, out)
	}
	if code, out := e.js("POST", lib+f+"/move", e.admin, fmt.Sprintf(`{"person":%d}`, colin)); code != 409 {
		t.Fatalf("move an ignored face: %d %v", code, out)
	}
	if code, out := e.call("POST", lib+f+"/unignore", e.admin, nil, ""); code != 200 || out["ignored"] != nil || num(out["person"]) == 0 {
		t.Fatalf("unignore: %d %v", code, out)
	}
	if code, out := e.call("POST", lib+"/regroup", e.admin, nil, ""); code != 200 {
		t.Fatalf("regroup: %d %v", code, out)
	}
	// The curation survives regrouping: Colin keeps his name and faces, and
	// Tony's faces stay apart from him.
	if got := faceIDs(t, e, lib, colin); strings.Join(got, ",") != strings.Join(colinFaces, ",") {
		t.Fatalf("after regroup Colin holds %v, want %v", got, colinFaces)
	}
	if code, out := e.call("GET", p(colin), e.admin, nil, ""); code != 200 || out["person"].(map[string]any)["name"] != "Colin Powell" {
		t.Fatalf("after regroup: %d %v", code, out)
	}
	if got := faceIDs(t, e, lib, tony); len(got) != len(tonyFaces)-1 {
		t.Fatalf("after regroup Tony holds %v, want %d faces", got, len(tonyFaces)-1)
	}
}

// exports: JSON export, thumbnails, photos with boxes, XMP; never a template.
func exports(t *testing.T, e *env, lib string, photo []byte) {
	code, hdr, b := e.raw("GET", lib+"/export", e.admin, nil, "")
	var ex struct {
		Model  string `json:"model"`
		People []struct {
			Name string `json:"name"`
		} `json:"people"`
		Photos []struct {
			Hash  string `json:"hash"`
			Faces []struct {
				ID  string    `json:"id"`
				Box face.Rect `json:"box"`
			} `json:"faces"`
		} `json:"photos"`
	}
	if code != 200 || json.Unmarshal(b, &ex) != nil || ex.Model == "" || len(ex.Photos) != 30 || hdr.Get("Content-Type") != "application/json" {
		t.Fatalf("export: %d %s", code, b)
	}
	named := false
	for _, p := range ex.People {
		named = named || p.Name == "Colin Powell"
	}
	if !named {
		t.Fatal("export lacks the name")
	}
	for _, path := range []string{"/export", "/faces", "/photos", "/people"} {
		if _, _, b := e.raw("GET", lib+path, e.admin, nil, ""); bytes.Contains(b, []byte("vector")) || bytes.Contains(b, []byte("embedding")) {
			t.Fatalf("%s returned a template", path)
		}
	}
	fid := ex.Photos[0].Faces[0].ID
	for _, c := range []struct {
		query string
		side  int
	}{{"", 96}, {"?size=48", 48}, {"", 96}} {
		code, hdr, b := e.raw("GET", lib+"/faces/"+fid+"/thumbnail"+c.query, e.admin, nil, "")
		info, err := imageio.DecodeConfig(b, imageio.Options{})
		if code != 200 || hdr.Get("Content-Type") != "image/jpeg" || err != nil || info.Width != c.side || info.Height != c.side {
			t.Fatalf("thumbnail%s: %d %s %v %+v", c.query, code, hdr.Get("Content-Type"), err, info)
		}
	}
	if code, _, _ := e.raw("GET", lib+"/faces/"+fid+"/thumbnail?size=9999", e.admin, nil, ""); code != 400 {
		t.Fatalf("thumbnail size 9999: %d", code)
	}
	h := hashOf(photo)
	code, out := e.call("GET", lib+"/photos/"+h, e.admin, nil, "")
	if code != 200 || num(out["width"]) != 250 || len(out["faces"].([]any)) == 0 {
		t.Fatalf("photo: %d %v", code, out)
	}
	if code, hdr, b := e.raw("GET", lib+"/photos/"+h+"/image", e.admin, nil, ""); code != 200 || !bytes.Equal(b, photo) || hdr.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("photo image: %d %s", code, hdr.Get("Content-Type"))
	}
	code, _, b = e.raw("GET", lib+"/photos/"+h+"/image?boxed=true", e.admin, nil, "")
	if info, err := imageio.DecodeConfig(b, imageio.Options{}); code != 200 || err != nil || info.Width != 250 {
		t.Fatalf("boxed photo: %d %v", code, err)
	}
	code, hdr, b = e.raw("GET", lib+"/photos/"+h+"/xmp", e.admin, nil, "")
	if code != 200 || !bytes.Contains(b, []byte(`mwg-rs:Name="Colin Powell"`)) || hdr.Get("Content-Type") != "application/rdf+xml" {
		t.Fatalf("xmp: %d %s", code, b)
	}
}

// isolation: another tenant reaches nothing, and no gallery or identify
// call sees a library's templates.
func isolation(t *testing.T, e *env, lib string, photo, probe []byte) {
	code, out := e.call("GET", lib+"/faces", e.admin, nil, "")
	if code != 200 {
		t.Fatal(code)
	}
	fid := out["faces"].([]any)[0].(map[string]any)["id"].(string)
	h := hashOf(photo)
	for _, c := range []struct{ method, path, body string }{
		{"GET", lib, ""}, {"GET", lib + "/people", ""}, {"GET", lib + "/people/1", ""}, {"GET", lib + "/faces", ""},
		{"GET", lib + "/faces/" + fid, ""}, {"GET", lib + "/faces/" + fid + "/thumbnail", ""},
		{"GET", lib + "/photos/" + h, ""}, {"GET", lib + "/photos/" + h + "/image", ""}, {"GET", lib + "/photos/" + h + "/xmp", ""},
		{"GET", lib + "/export", ""}, {"POST", lib + "/people/1/name", `{"name":"x"}`}, {"POST", lib + "/faces/" + fid + "/ignore", ""},
		{"POST", lib + "/regroup", ""}, {"PUT", lib + "/expiry", `{"expire_after_seconds":1}`}, {"POST", lib + "/expire", ""},
		{"DELETE", lib, ""},
	} {
		if code, _, b := e.raw(c.method, c.path, e.other, strings.NewReader(c.body), "application/json"); code != 404 {
			t.Errorf("other tenant %s %s: %d %s, want 404", c.method, c.path, code, b)
		}
	}
	if code, _ := e.upload(e.other, lib, probe); code != 404 {
		t.Errorf("other tenant upload: %d", code)
	}
	if _, list := e.call("GET", "/v1/libraries", e.other, nil, ""); len(list["libraries"].([]any)) != 0 {
		t.Errorf("other tenant lists %v", list)
	}
	col := e.collection(e.admin, "staff")
	body, ct := form(map[string][][]byte{"image": {probe}}, nil)
	code, res := e.call("POST", "/v1/collections/"+col+"/identify", e.admin, body, ct)
	if code != 200 || res["faces"].([]any)[0].(map[string]any)["decision"] != "unknown" || e.rows("templates") != 0 {
		t.Fatalf("identify reached the library: %d %v", code, res)
	}
}

// badInputs: every refused request leaves the library's files as they were.
func badInputs(t *testing.T, e *env, lib string, colin int, good []byte) {
	ctx := context.Background()
	ta, _ := e.st.CreateTenant(ctx, "a")
	reader, _, _ := e.st.CreateKey(ctx, ta.ID, store.RoleRead, "test")
	fresh, _ := lfw(t, []string{"Colin_Powell"}, 7, 7)
	huge, big := &bytes.Buffer{}, face.NewImage(17000, 1)
	imageio.EncodePNG(huge, big)
	before := snapshot(t, e.libs)
	_, people := e.call("GET", lib+"/people", e.admin, nil, "")
	p := fmt.Sprintf("%s/people/%d", lib, colin)
	uploads := []struct {
		name   string
		key    string
		field  string
		photos [][]byte
		want   int
	}{
		{"corrupt beside a good one", e.admin, "photos", [][]byte{fresh[0], good[:len(good)/3]}, 400},
		{"not an image", e.admin, "photos", [][]byte{[]byte("hello")}, 415},
		{"huge image", e.admin, "photos", [][]byte{huge.Bytes()}, 413},
		{"wrong field", e.admin, "image", [][]byte{fresh[0]}, 400},
		{"oversize body", e.admin, "photos", [][]byte{make([]byte, 3<<20)}, 413},
		{"read-only key", reader, "photos", [][]byte{fresh[0]}, 403},
	}
	for _, c := range uploads {
		body, ct := form(map[string][][]byte{c.field: c.photos}, nil)
		if code, out := e.call("POST", lib+"/photos", c.key, body, ct); code != c.want || out["error"] == nil {
			t.Errorf("%s: %d %v, want %d with an error body", c.name, code, out, c.want)
		}
	}
	requests := []struct{ method, path, body string }{
		{"POST", lib + "/photos", `{"photos":[]}`},
		{"GET", "/v1/libraries/lib_000000000000000000000000", ""},
		{"GET", "/v1/libraries/..%2f..%2fetc/people", ""},
		{"GET", "/v1/libraries/lib_..%2f..%2f/people", ""},
		{"POST", p + "/name", `{}`},
		{"POST", p + "/name", `{"nme":"x"}`},
		{"POST", p + "/name", `{"name": 3}`},
		{"POST", p + "/name", `not json`},
		{"POST", lib + "/people/9999/name", `{"name":"x"}`},
		{"POST", lib + "/people/abc/name", `{"name":"x"}`},
		{"POST", p + "/merge", `{"from":[]}`},
		{"POST", p + "/merge", `{"from":[9999]}`},
		{"POST", p + "/merge", `{"from":"x"}`},
		{"POST", p + "/split", `{"faces":[]}`},
		{"POST", p + "/split", `{"faces":["000000000000-0"]}`},
		{"POST", p + "/split", `{"faces":["../../x"]}`},
		{"POST", lib + "/faces/000000000000-0/move", `{"person":1}`},
		{"GET", lib + "/faces/000000000000-0/thumbnail", ""},
		{"GET", lib + "/photos/" + strings.Repeat("0", 64), ""},
		{"GET", lib + "/photos/nothex/image", ""},
		{"PUT", lib + "/expiry", `{"expire_after_seconds": -1}`},
		{"PUT", lib + "/expiry", `{"expire_after_seconds": "30d"}`},
		{"PUT", lib + "/expiry", `{}`},
		{"POST", lib + "/expire", `{"older_than_seconds": -5}`},
	}
	_, faces := e.call("GET", lib+"/faces", e.admin, nil, "")
	fid := faces["faces"].([]any)[0].(map[string]any)["id"].(string)
	requests = append(requests, []struct{ method, path, body string }{
		{"POST", lib + "/faces/" + fid + "/move", `{}`},
		{"POST", lib + "/faces/" + fid + "/move", `{"person": 9999}`},
		{"POST", lib + "/faces/" + fid + "/ignore", `{"reason":"ugly"}`},
	}...)
	for _, c := range requests {
		code, _, b := e.raw(c.method, c.path, e.admin, strings.NewReader(c.body), "application/json")
		if code < 400 || code >= 500 || !bytes.Contains(b, []byte(`"error"`)) {
			t.Errorf("%s %s %s: %d %s, want a 4xx error", c.method, c.path, c.body, code, b)
		}
	}
	if after := snapshot(t, e.libs); !sameFiles(before, after) {
		t.Fatal("a refused request changed the library's files")
	}
	if _, again := e.call("GET", lib+"/people", e.admin, nil, ""); fmt.Sprint(again) != fmt.Sprint(people) {
		t.Fatal("a refused request changed the people")
	}
}
