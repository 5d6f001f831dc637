package server_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/mienhq/mien/detect"
	"github.com/mienhq/mien/internal/testenv"
	"github.com/mienhq/mien/library"
)

// TestSecurityLibraryDeleteWhilePolled: deleting a library while clients
// poll it (the web UI reads it every 500 ms) answers 204 and removes the
// directory, every time; the pollers get 200 or 404, never 500, and never
// bring the directory back.
func TestSecurityLibraryDeleteWhilePolled(t *testing.T) {
	e := setup(t)
	photos, _ := lfw(t, []string{"Colin_Powell"}, 1, 2)
	for round := 0; round < 20; round++ {
		lib := e.library(e.admin, fmt.Sprintf("polled-%d", round))
		if code, out := e.upload(e.admin, lib, photos...); code != 200 {
			t.Fatalf("upload: %d %v", code, out)
		}
		_, ph := e.call("GET", lib+"/photos/"+hashOf(photos[0]), e.admin, nil, "")
		fid := ph["faces"].([]any)[0].(map[string]any)["id"].(string)
		dir := libDir(t, e, lib)
		stop := make(chan struct{})
		bad := make(chan string, 1000)
		var wg sync.WaitGroup
		paths := []string{lib, lib + "/people", lib + "/faces", "/v1/libraries", lib + "/faces/" + fid + "/thumbnail",
			lib + "/photos/" + hashOf(photos[0]) + "/image", lib + "/export"}
		for _, p := range paths {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					if code, _, body := e.raw("GET", p, e.admin, nil, ""); code != 200 && code != 404 && code != 410 {
						bad <- fmt.Sprintf("GET %s: %d %s", p, code, body)
					}
				}
			}()
		}
		time.Sleep(20 * time.Millisecond)
		code, _, body := e.raw("DELETE", lib, e.admin, nil, "")
		time.Sleep(20 * time.Millisecond) // pollers go on after the deletion
		close(stop)
		wg.Wait()
		close(bad)
		for b := range bad {
			t.Errorf("round %d: %s", round, b)
		}
		if code != 204 {
			t.Fatalf("round %d: delete while polled: %d %s", round, code, body)
		}
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			ents, _ := os.ReadDir(dir)
			t.Fatalf("round %d: library directory left after delete (%v): %v", round, err, ents)
		}
		if code, _, _ := e.raw("GET", lib, e.admin, nil, ""); code != 404 {
			t.Fatalf("round %d: deleted library answers %d", round, code)
		}
	}
}

// libKey unwraps a library's data key from its directory, as the server does.
func libKey(t *testing.T, e *env, lib string) []byte {
	t.Helper()
	dir := libDir(t, e, lib)
	wrapped, err := os.ReadFile(filepath.Join(dir, "key"))
	if err != nil {
		t.Fatal(err)
	}
	key, err := e.st.UnwrapLibraryKey(filepath.Base(filepath.Dir(dir))+"/"+filepath.Base(dir), wrapped)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// plainLog reads a library's log (index/faces.jsonl) with every sealed line
// unsealed.
func plainLog(t *testing.T, e *env, lib string) []byte {
	t.Helper()
	key := libKey(t, e, lib)
	b, err := os.ReadFile(filepath.Join(libDir(t, e, lib), "index", "faces.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var out []byte
	for _, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		sealed, err := base64.StdEncoding.DecodeString(string(line))
		if err != nil {
			t.Fatalf("a log line is not sealed: %.60s", line)
		}
		plain, err := library.Unseal(key, sealed, []byte("library-log"))
		if err != nil {
			t.Fatal(err)
		}
		out = append(append(out, plain...), '\n')
	}
	return out
}

// allFiles reads every file under root.
func allFiles(t *testing.T, root string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			b, _ := os.ReadFile(p)
			out[p] = b
		}
		return nil
	})
	return out
}

// TestSecurityLibrarySealed: no file of a server-hosted library holds an
// uploaded photo's bytes, a thumbnail, a template (raw floats or base64) or
// a name in a readable form, while the API answers them all; forgetting the
// library leaves no copy of its key under the data directory.
func TestSecurityLibrarySealed(t *testing.T) {
	e := setup(t)
	lib := e.library(e.admin, "sealed")
	photos, _ := lfw(t, []string{"Colin_Powell"}, 1, 3)
	if code, out := e.upload(e.admin, lib, photos...); code != 200 {
		t.Fatalf("upload: %d %v", code, out)
	}
	h := hashOf(photos[0])
	_, ph := e.call("GET", lib+"/photos/"+h, e.admin, nil, "")
	f0 := ph["faces"].([]any)[0].(map[string]any)
	code, _, thumb := e.raw("GET", lib+"/faces/"+f0["id"].(string)+"/thumbnail", e.admin, nil, "")
	if code != 200 || !bytes.HasPrefix(thumb, []byte{0xff, 0xd8, 0xff}) {
		t.Fatalf("thumbnail: %d", code)
	}
	if code, _, img := e.raw("GET", lib+"/photos/"+h+"/image", e.admin, nil, ""); code != 200 || !bytes.Equal(img, photos[0]) {
		t.Fatalf("photo as uploaded: %d, %d bytes", code, len(img))
	}
	if code, out := e.js("POST", fmt.Sprintf("%s/people/%d/name", lib, num(f0["person"])), e.admin, `{"name":"Sealed Colin"}`); code != 200 {
		t.Fatalf("name: %d %v", code, out)
	}
	// The template as library uploads compute it (server.LibraryAnalysis's defaults).
	an, err := testenv.Engine(t, "standard").AnalyzeNoFlip(context.Background(), photos[0], detect.Options{MinSize: 40, FaceSize: 40})
	if err != nil || len(an.Faces) == 0 {
		t.Fatalf("analyse: %v", err)
	}
	raw := make([]byte, 4*len(an.Faces[0].Embedding.Vector))
	for i, x := range an.Faces[0].Embedding.Vector {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(x))
	}
	b64 := []byte(base64.StdEncoding.EncodeToString(raw)[:48])
	if !bytes.Contains(plainLog(t, e, lib), b64) {
		t.Fatal("the template's base64 is not in the unsealed log: the search below would prove nothing")
	}
	mid := len(photos[0]) / 2
	secrets := map[string][]byte{"photo bytes": photos[0][mid : mid+64], "thumbnail bytes": thumb[len(thumb)/2 : len(thumb)/2+64],
		"template floats": raw[:64], "template base64": b64, "name": []byte("Sealed Colin"), "JSON field": []byte(`"vector"`)}
	dir := libDir(t, e, lib)
	files := allFiles(t, dir)
	if len(files) < 8 {
		t.Fatalf("only %d files", len(files))
	}
	for p, b := range files {
		for what, s := range secrets {
			if bytes.Contains(b, s) {
				t.Errorf("%s holds the %s", p, what)
			}
		}
		if bytes.HasPrefix(b, []byte{0xff, 0xd8, 0xff}) {
			t.Errorf("%s is a plain JPEG", p)
		}
	}
	wrapped := files[filepath.Join(dir, "key")]
	if len(wrapped) < 32 {
		t.Fatalf("wrapped key: %d bytes", len(wrapped))
	}
	if code, _ := e.call("DELETE", lib, e.admin, nil, ""); code != 204 {
		t.Fatalf("delete: %d", code)
	}
	for p, b := range allFiles(t, e.libs) {
		if bytes.Contains(b, wrapped) {
			t.Errorf("%s holds the forgotten library's key", p)
		}
	}
}
