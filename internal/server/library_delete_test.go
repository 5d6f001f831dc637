package server_test

import (
	"os"
	"path/filepath"
	"testing"
)

// TestLibraryDeletePhoto: deleting one photo erases its faces, the stored
// photo and its thumbnails; other tenants cannot; uploading it again
// indexes it anew.
func TestLibraryDeletePhoto(t *testing.T) {
	e := setup(t)
	lib := e.library(e.admin, "family")
	photos, _ := lfw(t, []string{"Colin_Powell"}, 1, 3)
	if code, out := e.upload(e.admin, lib, photos...); code != 200 {
		t.Fatalf("upload: %d %v", code, out)
	}
	h := hashOf(photos[0])
	_, ph := e.call("GET", lib+"/photos/"+h, e.admin, nil, "")
	fid := ph["faces"].([]any)[0].(map[string]any)["id"].(string)
	if code, _, _ := e.raw("GET", lib+"/faces/"+fid+"/thumbnail", e.admin, nil, ""); code != 200 {
		t.Fatalf("thumbnail: %d", code)
	}
	dir := libDir(t, e, lib)
	thumbs, _ := filepath.Glob(filepath.Join(dir, "thumbs", h[:12]+"-*"))
	if len(thumbs) == 0 {
		t.Fatal("no thumbnail cached")
	}
	for _, c := range []struct {
		key, path string
		want      int
	}{
		{e.other, lib + "/photos/" + h, 404},
		{"", lib + "/photos/" + h, 401},
		{e.admin, lib + "/photos/nothex", 404},
		{e.admin, lib + "/photos/" + hashOf([]byte("not held")), 404},
	} {
		if code, out := e.call("DELETE", c.path, c.key, nil, ""); code != c.want || out["error"] == nil {
			t.Errorf("DELETE %s: %d %v, want %d", c.path, code, out, c.want)
		}
	}
	if code, out := e.call("DELETE", lib+"/photos/"+h, e.admin, nil, ""); code != 204 {
		t.Fatalf("delete: %d %v", code, out)
	}
	if code, _ := e.call("GET", lib+"/photos/"+h, e.admin, nil, ""); code != 404 {
		t.Fatalf("deleted photo still served: %d", code)
	}
	if code, _ := e.call("GET", lib+"/faces/"+fid, e.admin, nil, ""); code != 404 {
		t.Fatalf("deleted face still served: %d", code)
	}
	if _, err := os.Stat(filepath.Join(dir, "photos", h)); !os.IsNotExist(err) {
		t.Fatalf("stored photo left: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "thumbs", h[:12]+"-*")); len(left) != 0 {
		t.Fatalf("thumbnails left: %v", left)
	}
	_, l := e.call("GET", lib, e.admin, nil, "")
	if num(l["photos"]) != 2 || num(l["faces"]) != 2 {
		t.Fatalf("library after delete: %v", l)
	}
	code, out := e.upload(e.admin, lib, photos[0])
	if code != 200 || num(out["indexed"]) != 1 || num(out["duplicates"]) != 0 {
		t.Fatalf("upload again: %d %v", code, out)
	}
	_, l = e.call("GET", lib, e.admin, nil, "")
	if num(l["photos"]) != 3 || num(l["people"]) != 1 {
		t.Fatalf("library after uploading again: %v", l)
	}
}
