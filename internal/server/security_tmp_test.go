package server_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mienhq/mien/internal/server"
	"github.com/mienhq/mien/internal/store"
	"github.com/mienhq/mien/internal/testenv"
)

// padJPEG returns jpg with COM segments inserted after SOI until it is at
// least n bytes: still a valid JPEG, large enough that the standard
// library's multipart parser would spool it to disk (over 8 MiB).
func padJPEG(jpg []byte, n int) []byte {
	var b bytes.Buffer
	b.Write(jpg[:2])
	seg := make([]byte, 65533)
	for i := range seg {
		seg[i] = 'p'
	}
	for b.Len()+len(jpg) < n {
		b.Write([]byte{0xFF, 0xFE, 0xFF, 0xFF})
		b.Write(seg)
	}
	b.Write(jpg[2:])
	return b.Bytes()
}

// TestSecurityProbesNeverSpooled: no request (detect, compare, identify,
// verify, enrol, library upload; accepted or failed) leaves anything in the
// temporary directory. Before the fix a 9 MiB probe was spooled to
// $TMPDIR/multipart-* and never removed.
func TestSecurityProbesNeverSpooled(t *testing.T) {
	e := serve(t, testenv.Engine(t, "standard"), store.Options{}, server.Options{MaxBody: 24 << 20})
	col := e.collection(e.admin, "staff")
	body, ct := form(map[string][][]byte{"images": {fixture(t, "bulk_Rob_Lowe_0001.jpg")}}, consentFields("rob"))
	code, sub := e.call("POST", "/v1/collections/"+col+"/subjects", e.admin, body, ct)
	if code != 201 {
		t.Fatalf("enrol: %d %v", code, sub)
	}
	lib := e.library(e.admin, "family")
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // os.TempDir, where multipart spools, is read at each call
	rob := fixture(t, "bulk_Rob_Lowe_0002.jpg")
	big := padJPEG(rob, 9<<20)
	corrupt := append(padJPEG(rob, 9<<20)[:9<<20-1000], 0, 0, 0)
	over := padJPEG(rob, 25<<20)
	verify := "/v1/collections/" + col + "/subjects/" + sub["id"].(string) + "/verify"
	cases := []struct {
		name, path, key string
		files           map[string][][]byte
		fields          map[string]string
	}{
		{"detect", "/v1/detect", e.admin, map[string][][]byte{"image": {big}}, nil},
		{"detect corrupt", "/v1/detect", e.admin, map[string][][]byte{"image": {corrupt}}, nil},
		{"detect over the limit", "/v1/detect", e.admin, map[string][][]byte{"image": {over}}, nil},
		{"detect wrong field", "/v1/detect", e.admin, map[string][][]byte{"photo": {big}}, nil},
		{"detect no key", "/v1/detect", "", map[string][][]byte{"image": {big}}, nil},
		{"compare", "/v1/compare", e.admin, map[string][][]byte{"image_a": {big}, "image_b": {rob}}, nil},
		{"kyc match", "/v1/kyc/match", e.admin, map[string][][]byte{"document": {big}, "selfie": {rob}}, nil},
		{"kyc liveness token", "/v1/kyc/match", e.admin, map[string][][]byte{"document": {big}}, map[string]string{"liveness_token": "lvt_x"}},
		{"compare bad far", "/v1/compare", e.admin, map[string][][]byte{"image_a": {big}, "image_b": {big}}, map[string]string{"far": "x"}},
		{"identify", "/v1/collections/" + col + "/identify", e.admin, map[string][][]byte{"image": {big}}, nil},
		{"identify other tenant", "/v1/collections/" + col + "/identify", e.other, map[string][][]byte{"image": {big}}, nil},
		{"verify", verify, e.admin, map[string][][]byte{"image": {big}}, nil},
		{"verify corrupt", verify, e.admin, map[string][][]byte{"image": {corrupt}}, nil},
		{"enrol", "/v1/collections/" + col + "/subjects", e.admin, map[string][][]byte{"images": {big}}, consentFields("rob2")},
		{"enrol bad consent", "/v1/collections/" + col + "/subjects", e.admin, map[string][][]byte{"images": {big}}, map[string]string{"consented_at": "never"}},
		{"library upload", lib + "/photos", e.admin, map[string][][]byte{"photos": {big}}, nil},
		{"library upload corrupt", lib + "/photos", e.admin, map[string][][]byte{"photos": {corrupt}}, nil},
	}
	for _, c := range cases {
		body, ct := form(c.files, c.fields)
		code, out := e.call("POST", c.path, c.key, body, ct)
		ents, err := os.ReadDir(tmp)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, d := range ents {
			names = append(names, d.Name())
		}
		if len(names) > 0 {
			t.Errorf("%s (%d %v): the temporary directory holds %s", c.name, code, out["error"], strings.Join(names, ", "))
			for _, n := range names {
				os.RemoveAll(tmp + "/" + n)
			}
		}
		t.Logf("%s: %d", c.name, code)
	}
}

// TestSecurityNoDiskFormParser: no server code calls the standard library's
// form parsers that spool files to disk; uploads go through formFiles.
func TestSecurityNoDiskFormParser(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, bad := range []string{"ParseMultipartForm(", ".FormFile(", ".ReadForm(", ".MultipartReader("} {
			if bytes.Contains(b, []byte(bad)) {
				t.Errorf("%s calls %s, which may spool uploads to disk; use formFiles", f, bad)
			}
		}
	}
}

// TestSecurityFormLimits: a form's fields and parts are bounded; over a
// bound the answer is a clear 400 or 413 and nothing is analysed.
func TestSecurityFormLimits(t *testing.T) {
	addr, admin, _ := listenLimited(t, server.Options{MaxBody: 1 << 20}, server.ConnLimits{})
	e := &env{t: t, url: "http://" + addr}
	png := []byte("\x89PNG\r\n\x1a\n")
	manyParts := map[string][][]byte{"image": {png}}
	for i := range 300 {
		manyParts[fmt.Sprintf("f%d", i)] = [][]byte{png}
	}
	for _, c := range []struct {
		name   string
		files  map[string][][]byte
		fields map[string]string
		want   int
	}{
		{"a 100 KiB field", map[string][][]byte{"image": {png}}, map[string]string{"name": strings.Repeat("n", 100<<10)}, 400},
		{"300 parts", manyParts, nil, 400},
		{"a file over the body limit", map[string][][]byte{"image": {make([]byte, 2<<20)}}, nil, 413},
	} {
		body, ct := form(c.files, c.fields)
		if code, out := e.call("POST", "/v1/detect", admin, body, ct); code != c.want || out["error"] == nil {
			t.Errorf("%s: %d %v, want %d", c.name, code, out, c.want)
		}
	}
}
