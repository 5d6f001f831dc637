package server_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/mienhq/mien/internal/server"
	"github.com/mienhq/mien/internal/store"
	"github.com/mienhq/mien/internal/testenv"
)

// TestLibraryUIEndpoints: cover faces, hiding, merge suggestions and the
// uploaded files' names, with their refusals (which change nothing), and a
// library holding them is still forgotten whole.
func TestLibraryUIEndpoints(t *testing.T) {
	e := serve(t, testenv.Engine(t, "standard"), store.Options{}, server.Options{})
	lib := e.library(e.admin, "ui")
	photos, _ := lfw(t, []string{"Colin_Powell", "Tony_Blair"}, 1, 3)
	if code, out := e.upload(e.admin, lib, photos...); code != 200 {
		t.Fatalf("upload: %d %v", code, out)
	}
	_, out := e.call("GET", lib+"/people", e.admin, nil, "")
	people := out["people"].([]any)
	if len(people) < 2 {
		t.Fatalf("people: %v", out)
	}
	p := num(people[0].(map[string]any)["id"])
	q := num(people[1].(map[string]any)["id"])
	faceOf := func(pid int) string {
		_, out := e.call("GET", fmt.Sprintf("%s/people/%d", lib, pid), e.admin, nil, "")
		return out["faces"].([]any)[0].(map[string]any)["id"].(string)
	}
	pf, qf := faceOf(p), faceOf(q)
	path := func(pid int, what string) string { return fmt.Sprintf("%s/people/%d/%s", lib, pid, what) }

	before := snapshot(t, e.libs)
	for _, c := range []struct {
		method, path, body string
		want               int
	}{
		{"PUT", path(p, "cover"), `{"face":"` + qf + `"}`, 404}, // another person's face
		{"PUT", path(p, "cover"), `{"face":"nope"}`, 400},
		{"PUT", path(p, "cover"), `{}`, 400},
		{"PUT", path(999, "cover"), `{"face":"` + pf + `"}`, 404},
		{"PUT", path(p, "hidden"), `{"hidden":"yes"}`, 400},
		{"PUT", path(999, "hidden"), `{"hidden":true}`, 404},
		{"POST", lib + "/file-names", `{"names":{"` + hashOf([]byte("x")) + `":"a.jpg"}}`, 404},
		{"POST", lib + "/file-names", `{"names":{"` + hashOf(photos[0]) + `":"a\u0000.jpg"}}`, 400},
		{"POST", lib + "/file-names", `{"names":{}}`, 400},
		{"GET", lib + "/suggestions?min_similarity=2", "", 400},
	} {
		if code, out := e.js(c.method, c.path, e.admin, c.body); code != c.want {
			t.Errorf("%s %s %s: %d %v, want %d", c.method, c.path, c.body, code, out, c.want)
		}
	}
	if !sameFiles(before, snapshot(t, e.libs)) {
		t.Fatal("a refused request changed the library's files")
	}
	if code, out := e.js("PUT", path(p, "cover"), e.admin, `{"face":"`+pf+`"}`); code != 200 || out["cover"] != pf {
		t.Fatalf("cover: %d %v", code, out)
	}
	if code, out := e.js("PUT", path(q, "hidden"), e.admin, `{"hidden":true}`); code != 200 || out["hidden"] != true {
		t.Fatalf("hide: %d %v", code, out)
	}
	_, out = e.call("GET", lib+"/people-meta", e.admin, nil, "")
	type meta struct {
		Person int    `json:"person"`
		Cover  string `json:"cover"`
		Hidden bool   `json:"hidden"`
	}
	var got []meta
	b, _ := json.Marshal(out["people"])
	json.Unmarshal(b, &got)
	sort.Slice(got, func(i, j int) bool { return got[i].Person < got[j].Person })
	want := []meta{{p, pf, false}, {q, "", true}}
	sort.Slice(want, func(i, j int) bool { return want[i].Person < want[j].Person })
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("people-meta: %s, want %v", b, want)
	}
	// Powell and Blair are not proposed as one person; after naming both the
	// same, they are (once q is shown again).
	e.js("PUT", path(q, "hidden"), e.admin, `{"hidden":false}`)
	_, out = e.call("GET", lib+"/suggestions", e.admin, nil, "")
	if s := out["suggestions"].([]any); len(s) != 0 {
		t.Fatalf("two different people proposed: %v", s)
	}
	e.js("POST", path(p, "name"), e.admin, `{"name":"Sam"}`)
	e.js("POST", path(q, "name"), e.admin, `{"name":"Sam"}`)
	_, out = e.call("GET", lib+"/suggestions", e.admin, nil, "")
	if s := out["suggestions"].([]any); len(s) != 1 || s[0].(map[string]any)["reason"] != "same_name" {
		t.Fatalf("same name: %v", out)
	}
	// File names: recorded under uploads/, folders kept, ".." resolved away.
	names := fmt.Sprintf(`{"names":{"%s":"Holiday/IMG 1.jpg","%s":"../../etc/passwd"}}`, hashOf(photos[0]), hashOf(photos[1]))
	if code, out := e.js("POST", lib+"/file-names", e.admin, names); code != 200 || num(out["recorded"]) != 2 {
		t.Fatalf("file names: %d %v", code, out)
	}
	_, out = e.call("GET", lib+"/file-names", e.admin, nil, "")
	names2 := out["names"].(map[string]any)
	n0, n1 := names2[hashOf(photos[0])].([]any), names2[hashOf(photos[1])].([]any)
	if len(names2) != 2 || len(n0) != 1 || n0[0] != "Holiday/IMG 1.jpg" || len(n1) != 1 || n1[0] != "etc/passwd" {
		t.Fatalf("file names read back: %v", names2)
	}
	if code, _ := e.js("DELETE", lib, e.admin, ""); code != 204 {
		t.Fatalf("forget: %d", code)
	}
	left, _ := filepath.Glob(filepath.Join(e.libs, "*", "*"))
	sort.Strings(left)
	if len(left) != 0 {
		t.Fatalf("left after forgetting: %v", left)
	}
	if _, err := os.Stat(e.libs); err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
}
