package library

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// fileBytes reads every file under dir into one buffer.
func fileBytes(t *testing.T, dir string) []byte {
	t.Helper()
	var all []byte
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			b, _ := os.ReadFile(p)
			all = append(all, b...)
		}
		return nil
	})
	return all
}

// templateForms returns a template's raw little-endian float bytes and its
// base64 (as a plain log stores it).
func templateForms(v []float32) [][]byte {
	raw := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(x))
	}
	return [][]byte{raw[:32], []byte(base64.StdEncoding.EncodeToString(raw)[:40])}
}

// TestSecuritySealedLibrary: with a key, no template, name or path is in
// the library's files in any readable form; the library reads back whole
// with the key (also after compaction and a torn write), and not at all
// without it or with another key. A plain library opened with a key is
// sealed in place.
func TestSecuritySealedLibrary(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	photos, dir := t.TempDir(), t.TempDir()
	writePhotos(t, photos, 3, 3)
	l, err := Open(dir, Options{Key: key})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Add(context.Background(), &fakeAnalyzer{}, photos, AddOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := l.Name(personOf(l)["p02"], "Secret Name"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.SetHidden(personOf(l)["p03"], true); err != nil {
		t.Fatal(err)
	}
	want := partition(l)
	if len(want) != 3 {
		t.Fatalf("partition %v", want)
	}
	checkSealed := func(stage string) {
		t.Helper()
		all := fileBytes(t, dir)
		secrets := append(templateForms(fakeVector(2, 1)), []byte("Secret Name"), []byte(filepath.Join(photos, "p02")), []byte(`"vector"`), []byte(`"hidden"`))
		for _, s := range secrets {
			if bytes.Contains(all, s) {
				t.Errorf("%s: the library's files hold %q", stage, s)
			}
		}
	}
	checkSealed("after add")
	if _, err := l.RemovePhoto(l.Export().Photos[0].Hash); err != nil { // compacts the log
		t.Fatal(err)
	}
	want = partition(l)
	l.Close()
	checkSealed("after compaction")
	f, _ := os.OpenFile(filepath.Join(dir, logFile), os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString("bWllbi1zZWFsZWQvMQp") // a torn sealed line
	f.Close()
	if _, err := Open(dir, Options{}); !errors.Is(err, ErrSealed) {
		t.Errorf("open without the key: %v", err)
	}
	if _, err := Open(dir, Options{Key: bytes.Repeat([]byte{8}, 32)}); !errors.Is(err, ErrSealed) {
		t.Errorf("open with another key: %v", err)
	}
	if _, err := StoredExpiry(dir, nil); !errors.Is(err, ErrSealed) {
		t.Errorf("stored expiry without the key: %v", err)
	}
	l, err = Open(dir, Options{Key: key})
	if err != nil {
		t.Fatal(err)
	}
	if got := partition(l); !equal(got, want) || l.People()[0].Name == "" && l.People()[1].Name == "" {
		t.Errorf("reopened: %v, want %v", got, want)
	}
	if m, err := l.PeopleMeta(); err != nil || !m[personOf(l)["p03"]].Hidden {
		t.Errorf("people meta reopened: %v %v", m, err)
	}
	l.SetExpiry(48 * time.Hour)
	l.Close()
	if d, err := StoredExpiry(dir, key); err != nil || d != 48*time.Hour {
		t.Errorf("stored expiry: %v %v", d, err)
	}

	plainDir := t.TempDir()
	p := open(t, plainDir)
	if _, err := p.Add(context.Background(), &fakeAnalyzer{}, photos, AddOptions{}); err != nil {
		t.Fatal(err)
	}
	p.Name(personOf(p)["p02"], "Secret Name")
	p.SetHidden(personOf(p)["p03"], true)
	plainWant := partition(p)
	p.Close()
	if !bytes.Contains(fileBytes(t, plainDir), []byte("Secret Name")) {
		t.Fatal("a library without a key is expected plain")
	}
	dir = plainDir
	p, err = Open(plainDir, Options{Key: key})
	if err != nil {
		t.Fatal(err)
	}
	if got := partition(p); !equal(got, plainWant) {
		t.Errorf("sealed in place: %v, want %v", got, plainWant)
	}
	if m, err := p.PeopleMeta(); err != nil || !m[personOf(p)["p03"]].Hidden {
		t.Errorf("people meta after sealing in place: %v %v", m, err)
	}
	p.Close()
	checkSealed("a plain library opened with a key")
}
