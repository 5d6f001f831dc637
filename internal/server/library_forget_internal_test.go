package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/internal/store"
	"github.com/mienhq/mien/library"
)

// TestSecurityLibraryForgetBounded: a request that holds a library does
// not stop its deletion: forget waits for it at most retireWait, then
// removes the directory; the library answers not found from the start.
func TestSecurityLibraryForgetBounded(t *testing.T) {
	ls := newLibraries(t.TempDir(), 1, 0, func(string, string) {}, nil)
	ls.retireWait = 200 * time.Millisecond
	ol, err := ls.create("a", "held")
	if err != nil {
		t.Fatal(err)
	}
	held, unlock, err := ls.acquire("a", ol.meta.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := ls.forget("a", ol.meta.ID); err != nil {
		t.Fatalf("forget while held: %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("forget took %v with a reader holding the library", d)
	}
	if _, err := os.Stat(held.dir); !os.IsNotExist(err) {
		t.Errorf("directory left: %v", err)
	}
	if _, _, err := ls.acquire("a", ol.meta.ID, false); err != errNoLibrary {
		t.Errorf("acquire after forget: %v", err)
	}
	_ = held.lib.People() // the slow reader finishes on its in-memory library
	unlock()
	time.Sleep(50 * time.Millisecond) // the retired library is closed now
	if err := ls.forget("a", ol.meta.ID); err != errNoLibrary {
		t.Errorf("forget twice: %v", err)
	}
}

// TestSecurityLibraryOrphansCleaned: a photo written by an upload that a
// crash stopped before its record was committed, and half-written
// thumbnails, are removed when the library is next opened; recorded photos
// stay. Trash of a deletion a crash interrupted is removed at start.
func TestSecurityLibraryOrphansCleaned(t *testing.T) {
	root := t.TempDir()
	ls := newLibraries(root, 1, 0, func(string, string) {}, nil)
	ol, err := ls.create("a", "crashed")
	if err != nil {
		t.Fatal(err)
	}
	kept := []byte("recorded photo")
	kh := sha256.Sum256(kept)
	khex := hex.EncodeToString(kh[:])
	an := &mien.Analysis{Width: 100, Height: 80, Faces: []mien.Face{{Detection: face.Detection{Box: face.R(10, 10, 50, 50), Score: 0.9},
		Embedding: face.Embedding{Model: "m", Vector: []float32{1, 0, 0, 0}}}}}
	if err := os.WriteFile(filepath.Join(ol.dir, libPhotosDir, khex), kept, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ol.lib.RecordUngrouped("m", []library.Analysed{{Path: libPhotosDir + "/" + khex, Hash: khex, Size: 14, Analysis: an}}); err != nil {
		t.Fatal(err)
	}
	orphan := sha256.Sum256([]byte("written, never recorded"))
	files := map[string]bool{ // path -> kept
		filepath.Join(ol.dir, libPhotosDir, khex):                                        true,
		filepath.Join(ol.dir, libThumbsDir, khex[:12]+"-0-96.jpg"):                       true,
		filepath.Join(ol.dir, libPhotosDir, hex.EncodeToString(orphan[:])):               false,
		filepath.Join(ol.dir, libThumbsDir, hex.EncodeToString(orphan[:12])+"-0-96.jpg"): false,
		filepath.Join(ol.dir, libThumbsDir, "thumb-123.tmp"):                             false,
	}
	for f := range files {
		if _, err := os.Stat(f); os.IsNotExist(err) {
			os.WriteFile(f, []byte("x"), 0o600)
		}
	}
	trash := filepath.Join(root, "a", trashPrefix+"lib_000000000000000000000000-00")
	os.MkdirAll(filepath.Join(trash, libPhotosDir), 0o700)
	if n, err := ls.closeIdle(time.Now().Add(time.Hour)); n != 1 || err != nil {
		t.Fatalf("close: %d %v", n, err)
	}
	ls = newLibraries(root, 1, 0, func(string, string) {}, nil) // a restart
	if _, err := ls.get("a", ol.meta.ID); err != nil {
		t.Fatal(err)
	}
	for f, keep := range files {
		if _, err := os.Stat(f); (err == nil) != keep {
			t.Errorf("%s: kept %v, want %v", filepath.Base(f), err == nil, keep)
		}
	}
	if _, err := os.Stat(trash); !os.IsNotExist(err) {
		t.Errorf("trash of an interrupted deletion left: %v", err)
	}
}

// TestSecurityLibraryDirModes: every directory of a tenant's library is
// 0700 and every file 0600, tightened on open when they were wider.
func TestSecurityLibraryDirModes(t *testing.T) {
	root := filepath.Join(t.TempDir(), "libraries")
	keys := testKeys(t)
	ls := newLibraries(root, 1, 0, func(string, string) {}, keys)
	ol, err := ls.create("a", "modes")
	if err != nil {
		t.Fatal(err)
	}
	an := &mien.Analysis{Width: 100, Height: 80, Faces: []mien.Face{{Detection: face.Detection{Box: face.R(10, 10, 50, 50), Score: 0.9},
		Embedding: face.Embedding{Model: "m", Vector: []float32{1, 0, 0, 0}}}}}
	h := sha256.Sum256([]byte("photo"))
	hx := hex.EncodeToString(h[:])
	if err := ol.writePhoto(hx, []byte("photo")); err != nil {
		t.Fatal(err)
	}
	if _, err := ol.lib.RecordUngrouped("m", []library.Analysed{{Path: libPhotosDir + "/" + hx, Hash: hx, Size: 5, Analysis: an}}); err != nil {
		t.Fatal(err)
	}
	thumb, _ := ol.sealed([]byte("thumb"), thumbAAD(hx[:12]+"-0-96.jpg"))
	cacheThumb(filepath.Join(ol.dir, libThumbsDir, hx[:12]+"-0-96.jpg"), thumb)
	modes := func() {
		t.Helper()
		n := 0
		filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
			n++
			want := os.FileMode(0o600)
			if fi.IsDir() {
				want = 0o700
			}
			if fi.Mode().Perm()&^want != 0 {
				t.Errorf("%s is %v, want at most %v", p, fi.Mode().Perm(), want)
			}
			return nil
		})
		if n < 10 {
			t.Errorf("only %d entries", n)
		}
	}
	modes()
	ls.closeIdle(time.Now().Add(time.Hour))
	filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if fi.IsDir() {
			return os.Chmod(p, 0o755)
		}
		return os.Chmod(p, 0o644)
	})
	if _, err := ls.get("a", ol.meta.ID); err != nil {
		t.Fatal(err)
	}
	modes()
}

// testKeys is a store holding a master key, to wrap libraries' keys.
func testKeys(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "mien.db"), store.Options{MasterKey: bytes.Repeat([]byte{3}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestSecurityLibrarySealedInPlace: a library made before sealing (no key,
// plain photo, thumbnail, log and people file) is sealed when next opened:
// the photo in place, the thumbnail dropped, the log and people rewritten;
// it reads back the same.
func TestSecurityLibrarySealedInPlace(t *testing.T) {
	root := t.TempDir()
	ls := newLibraries(root, 1, 0, func(string, string) {}, nil)
	ol, err := ls.create("a", "old")
	if err != nil {
		t.Fatal(err)
	}
	photo := []byte("\xff\xd8\xff plain photo bytes")
	sum := sha256.Sum256(photo)
	hx := hex.EncodeToString(sum[:])
	an := &mien.Analysis{Width: 100, Height: 80, Faces: []mien.Face{{Detection: face.Detection{Box: face.R(10, 10, 50, 50), Score: 0.9},
		Embedding: face.Embedding{Model: "m", Vector: []float32{0.5, 0.5, 0.5, 0.5}}}}}
	if err := ol.writePhoto(hx, photo); err != nil {
		t.Fatal(err)
	}
	if _, err := ol.lib.RecordUngrouped("m", []library.Analysed{{Path: libPhotosDir + "/" + hx, Hash: hx, Size: int64(len(photo)), Analysis: an}}); err != nil {
		t.Fatal(err)
	}
	if err := ol.lib.SetExpiry(time.Hour); err != nil {
		t.Fatal(err)
	}
	thumb := filepath.Join(ol.dir, libThumbsDir, hx[:12]+"-0-96.jpg")
	os.WriteFile(thumb, []byte("\xff\xd8\xff plain thumbnail"), 0o600)
	ls.closeIdle(time.Now().Add(time.Hour))
	if b, _ := os.ReadFile(filepath.Join(ol.dir, libIndexDir, "faces.jsonl")); !bytes.Contains(b, []byte(`"vector"`)) {
		t.Fatal("expected a plain log to start from")
	}

	ls = newLibraries(root, 1, 0, func(string, string) {}, testKeys(t))
	if d, err := ls.storedExpiry("a", ol.meta.ID); err != nil || d != time.Hour { // before it is opened
		t.Fatalf("stored expiry of a plain library: %v %v", d, err)
	}
	sealed, err := ls.get("a", ol.meta.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := sealed.readPhoto(hx); err != nil || !bytes.Equal(got, photo) {
		t.Fatalf("photo after sealing: %q %v", got, err)
	}
	if f, err := sealed.lib.Face(hx[:12] + "-0"); err != nil || f.Box != an.Faces[0].Box {
		t.Fatalf("face after sealing: %+v %v", f, err)
	}
	if _, err := os.Stat(thumb); !os.IsNotExist(err) {
		t.Errorf("a plain thumbnail was kept: %v", err)
	}
	filepath.Walk(ol.dir, func(p string, fi os.FileInfo, err error) error {
		if fi.IsDir() {
			return nil
		}
		b, _ := os.ReadFile(p)
		for _, s := range []string{"plain photo", `"vector"`, `"expire_after"`} {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("%s still holds %q", p, s)
			}
		}
		return nil
	})
}
