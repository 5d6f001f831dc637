package library

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSecurityFaceIDAliases: a face id has one spelling. "3f2a9c1b04de-01"
// and "3f2a9c1b04de-0x" used to resolve to face 1 (and 0) under their own
// spelling, so ignore, move and not reported success while changing
// nothing of the real face.
func TestSecurityFaceIDAliases(t *testing.T) {
	photos, dir := t.TempDir(), t.TempDir()
	writePhotos(t, photos, 2, 2)
	os.WriteFile(filepath.Join(photos, "two.jpg"), []byte("person 1 variant 7\nperson 2 variant 7\n"), 0o644)
	l := open(t, dir)
	if _, err := l.Add(context.Background(), &fakeAnalyzer{}, photos, AddOptions{}); err != nil {
		t.Fatal(err)
	}
	var two Face
	for _, f := range l.Faces(0) {
		if strings.HasSuffix(f.ID, "-1") {
			two = f
		}
	}
	if two.ID == "" || two.Person == 0 {
		t.Fatalf("no grouped second face: %+v", l.Faces(0))
	}
	prefix := strings.TrimSuffix(two.ID, "-1")
	for _, alias := range []string{prefix + "-01", prefix + "-001", prefix + "-1x", prefix + "-+1", prefix + "- 1", strings.ToUpper(prefix) + "-1"} {
		if f, err := l.Face(alias); err == nil {
			t.Errorf("Face(%q) resolved to %q", alias, f.ID)
		}
		err := l.Ignore(alias, "ignore")
		f, ferr := l.Face(two.ID)
		if ferr != nil {
			t.Fatal(ferr)
		}
		if err == nil && f.Ignored == "" {
			t.Errorf("Ignore(%q) reported success but face %s is not ignored", alias, two.ID)
		}
		if err != nil && !errors.Is(err, ErrNotFound) {
			t.Errorf("Ignore(%q): %v, want ErrNotFound", alias, err)
		}
		if _, err := l.Move(alias, 0); err == nil {
			t.Errorf("Move(%q) succeeded", alias)
		}
	}
	if err := l.Ignore(two.ID, "ignore"); err != nil {
		t.Fatal(err)
	}
	if f, _ := l.Face(two.ID); f.Ignored != "ignore" || f.Person != 0 {
		t.Errorf("canonical ignore: %+v", f)
	}
	// A library curated by an older version holds aliases as faces of their
	// own (a phantom face in person 99): they are dropped on open.
	l.mu.Lock()
	l.people.Assign[prefix+"-01"] = 99
	l.people.Ignore[prefix+"-001"] = "ignore"
	l.savePeople()
	l.mu.Unlock()
	l.Close()
	l = open(t, dir)
	for _, p := range l.People() {
		if p.ID == 99 {
			t.Errorf("alias kept as a face of person 99: %+v", p)
		}
	}
	if s := l.Summary(); s.Ignored != 1 {
		t.Errorf("ignored faces after reopening: %d, want 1", s.Ignored)
	}
}

// TestSecurityLibraryModes: a library's directory is 0700 and its files
// 0600, also when an older version (or the user) made them wider; the HTML
// report, which holds face crops, is written 0700/0600 too.
func TestSecurityLibraryModes(t *testing.T) {
	photos, dir := t.TempDir(), filepath.Join(t.TempDir(), "lib")
	writePhotos(t, photos, 2, 2)
	l := open(t, dir)
	if _, err := l.Add(context.Background(), &fakeAnalyzer{}, photos, AddOptions{}); err != nil {
		t.Fatal(err)
	}
	l.Close()
	checkModes(t, dir)
	os.Chmod(dir, 0o755)
	for _, f := range []string{logFile, peopleFile, lockFile} {
		os.Chmod(filepath.Join(dir, f), 0o644)
	}
	l = open(t, dir)
	checkModes(t, dir)
	out := filepath.Join(t.TempDir(), "report")
	if err := l.WriteReport(context.Background(), out, ReportOptions{}); err != nil {
		t.Fatal(err)
	}
	checkModes(t, out)
}

// checkModes fails for any directory under root wider than 0700 or file
// wider than 0600.
func checkModes(t *testing.T, root string) {
	t.Helper()
	n := 0
	filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			t.Error(err)
			return nil
		}
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
	if n < 2 {
		t.Errorf("%s holds nothing", root)
	}
}
