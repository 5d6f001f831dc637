package library

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// TestReadsSortOnce: the photos' order and the face list are sorted once
// and kept until a photo or a path changes (each read of a 30,000-photo
// library used to run an insertion sort: 10 s), and the kept order is the
// right one after changes.
func TestReadsSortOnce(t *testing.T) {
	photos, dir := t.TempDir(), t.TempDir()
	writePhotos(t, photos, 3, 3)
	l := open(t, dir)
	if _, err := l.Add(context.Background(), &fakeAnalyzer{}, photos, AddOptions{}); err != nil {
		t.Fatal(err)
	}
	first := l.Export()
	l.mu.Lock()
	sorted, faces := l.sorted, l.faceList
	l.mu.Unlock()
	if len(sorted) != 9 || len(faces) != 9 {
		t.Fatalf("kept %d photos, %d faces", len(sorted), len(faces))
	}
	l.Export()
	l.Faces(0)
	l.Summary()
	l.mu.Lock()
	same := &l.sorted[0] == &sorted[0] && &l.faceList[0] == &faces[0]
	l.mu.Unlock()
	if !same {
		t.Error("reads without a change sorted again")
	}
	for i := 1; i < len(first.Photos); i++ {
		if first.Photos[i-1].Paths[0] >= first.Photos[i].Paths[0] {
			t.Fatalf("photos out of order: %s, %s", first.Photos[i-1].Paths[0], first.Photos[i].Paths[0])
		}
	}
	if _, err := l.RemovePhoto(first.Photos[0].Hash); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(photos, "a-first.jpg"), []byte("person 9 variant 1\n"), 0o644)
	if _, err := l.Add(context.Background(), &fakeAnalyzer{}, photos, AddOptions{}); err != nil {
		t.Fatal(err)
	}
	ex := l.Export()
	if len(ex.Photos) != 9 || filepath.Base(ex.Photos[0].Paths[0]) != "a-first.jpg" || ex.Photos[1].Hash != first.Photos[1].Hash {
		t.Errorf("order after a removal and an add: %v, %v", ex.Photos[0].Paths, ex.Photos[1].Paths)
	}
}

// TestPages: every listing paged with a limit gives, page after page, the
// whole listing in the same order, and refuses a made-up cursor.
func TestPages(t *testing.T) {
	photos, dir := t.TempDir(), t.TempDir()
	writePhotos(t, photos, 4, 5)
	l := open(t, dir)
	if _, err := l.Add(context.Background(), &fakeAnalyzer{}, photos, AddOptions{}); err != nil {
		t.Fatal(err)
	}
	allPhotos, next, err := l.PhotosPage(Page{})
	if err != nil || next != "" || !reflect.DeepEqual(allPhotos, l.Export().Photos) {
		t.Fatalf("unpaged photos: %d, %q, %v", len(allPhotos), next, err)
	}
	var paged []PhotoExport
	for after, n := "", 0; ; n++ {
		ps, next, err := l.PhotosPage(Page{Limit: 3, After: after})
		if err != nil || len(ps) > 3 || n > 10 {
			t.Fatalf("page %d: %d photos, %v", n, len(ps), err)
		}
		paged = append(paged, ps...)
		if next == "" {
			break
		}
		after = next
	}
	if !reflect.DeepEqual(paged, allPhotos) {
		t.Errorf("paged photos differ: %d vs %d", len(paged), len(allPhotos))
	}
	pid := l.People()[0].ID
	for _, person := range []int{0, pid} {
		want := l.Faces(person)
		var got []Face
		for after := ""; ; {
			fs, next, err := l.FacesPage(person, Page{Limit: 2, After: after})
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, fs...)
			if next == "" {
				break
			}
			after = next
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("person %d: paged faces %d, want %d", person, len(got), len(want))
		}
	}
	var people []Person
	for after := ""; ; {
		ps, next, err := l.PeoplePage(Page{Limit: 1, After: after})
		if err != nil {
			t.Fatal(err)
		}
		people = append(people, ps...)
		if next == "" {
			break
		}
		after = next
	}
	if !reflect.DeepEqual(people, l.People()) {
		t.Errorf("paged people %v, want %v", people, l.People())
	}
	for _, bad := range []func() error{
		func() error { _, _, err := l.PhotosPage(Page{Limit: 1, After: "!!"}); return err },
		func() error { _, _, err := l.FacesPage(0, Page{Limit: 1, After: "abc-01"}); return err },
		func() error { _, _, err := l.PeoplePage(Page{Limit: 1, After: "x"}); return err },
	} {
		if err := bad(); !errors.Is(err, ErrBadCursor) {
			t.Errorf("bad cursor: %v", err)
		}
	}
}
