package library

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestRemovePhoto(t *testing.T) {
	photos, dir := t.TempDir(), t.TempDir()
	writePhotos(t, photos, 3, 3)
	a := &fakeAnalyzer{}
	l := open(t, dir)
	ctx := context.Background()
	if _, err := l.Add(ctx, a, photos, AddOptions{}); err != nil {
		t.Fatal(err)
	}
	byPath := map[string]Face{}
	for _, f := range l.Faces(0) {
		byPath[filepath.Base(filepath.Dir(f.Path))+"/"+filepath.Base(f.Path)] = f
	}
	ann, bob := byPath["p01/v00.jpg"], byPath["p02/v00.jpg"]
	if err := l.Name(ann.Person, "Ann"); err != nil {
		t.Fatal(err)
	}
	if err := l.Name(bob.Person, "Bob"); err != nil {
		t.Fatal(err)
	}
	n, err := l.RemovePhoto(ann.Photo)
	if err != nil || n != 1 {
		t.Fatalf("remove: %d %v", n, err)
	}
	if _, err := l.Photo(ann.Photo); !errors.Is(err, ErrNotFound) {
		t.Fatalf("removed photo still there: %v", err)
	}
	if _, err := l.Face(ann.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("removed face still there: %v", err)
	}
	if _, err := l.RemovePhoto(ann.Photo); !errors.Is(err, ErrNotFound) {
		t.Fatalf("removing twice: %v", err)
	}
	// Gone from disk: the log holds 8 templates, none of the removed photo's.
	log, _ := os.ReadFile(filepath.Join(dir, logFile))
	if c := bytes.Count(log, []byte(`"vector"`)); c != 8 {
		t.Fatalf("log holds %d templates, want 8", c)
	}
	// Ann keeps her other two faces and her name.
	people := map[string]int{}
	for _, p := range l.People() {
		people[p.Name] = p.Faces
	}
	if people["Ann"] != 2 || people["Bob"] != 3 {
		t.Fatalf("people after removal: %v", people)
	}
	// Re-adding the folder does not bring it back, reads nothing and reports nothing.
	calls := a.calls.Load()
	rep, err := l.Add(ctx, a, photos, AddOptions{})
	if err != nil || a.calls.Load() != calls || len(l.Faces(0)) != 8 {
		t.Fatalf("re-add: %+v %v, %d analyses, %d faces", rep, err, a.calls.Load()-calls, len(l.Faces(0)))
	}
	for _, u := range rep.Unreadable {
		if u.Path == filepath.Join(photos, "p01", "v00.jpg") {
			t.Fatalf("a removed photo is reported as unreadable: %v", u)
		}
	}
	// Removing all of Bob's photos drops Bob and his name; it holds after reopening.
	for _, v := range []string{"p02/v00.jpg", "p02/v01.jpg", "p02/v02.jpg"} {
		if _, err := l.RemovePhoto(byPath[v].Photo); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l2 := open(t, dir)
	if len(l2.Faces(0)) != 5 || len(l2.People()) != 2 {
		t.Fatalf("after reopening: %d faces, %d people", len(l2.Faces(0)), len(l2.People()))
	}
	for _, p := range l2.People() {
		if p.Name == "Bob" {
			t.Fatal("Bob's name outlived his last photo")
		}
	}
	if _, ok := l2.people.Names[bob.Person]; ok {
		t.Fatal("Bob's name is still stored")
	}
}
