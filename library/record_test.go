package library

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mienhq/mien/detect"
)

// analysed builds Record input from fake photos, as a server would.
func analysed(t *testing.T, a *fakeAnalyzer, people, variants int) []Analysed {
	t.Helper()
	var out []Analysed
	for p := 1; p <= people; p++ {
		for v := 0; v < variants; v++ {
			data := []byte(fmt.Sprintf("person %d variant %d\n", p, v))
			sum := sha256.Sum256(data)
			an, err := a.Analyze(context.Background(), data, detect.Options{})
			if err != nil {
				t.Fatal(err)
			}
			h := hex.EncodeToString(sum[:])
			out = append(out, Analysed{Path: "photos/" + h, Hash: h, Size: int64(len(data)), Analysis: an})
		}
	}
	return out
}

func TestRecord(t *testing.T) {
	dir := t.TempDir()
	l := open(t, dir)
	a := &fakeAnalyzer{}
	photos := analysed(t, a, 3, 4)
	ctx := context.Background()
	// A bad entry anywhere changes nothing.
	bad := append(append([]Analysed(nil), photos...), Analysed{Path: "x", Hash: "nothex"})
	if _, err := l.Record(ctx, a.ModelID(), bad); err == nil {
		t.Fatal("a bad hash was accepted")
	}
	unanalysed := append(append([]Analysed(nil), photos[:2]...), Analysed{Path: "x", Hash: strings.Repeat("a", 64)})
	if _, err := l.Record(ctx, a.ModelID(), unanalysed); err == nil {
		t.Fatal("a photo without analysis was accepted")
	}
	if len(l.Photos()) != 0 || l.Model() != "" {
		t.Fatalf("a refused Record changed the library: %d photos, model %q", len(l.Photos()), l.Model())
	}
	rep, err := l.Record(ctx, a.ModelID(), photos[:6])
	if err != nil || rep.Indexed != 6 || rep.Faces != 6 || rep.Grouped != 6 {
		t.Fatalf("record: %+v %v", rep, err)
	}
	// The rest, and one repeat without its analysis (content already held).
	again := photos[0]
	again.Analysis = nil
	rep, err = l.Record(ctx, a.ModelID(), append(photos[6:], again))
	if err != nil || rep.Indexed != 6 || rep.Duplicates != 1 {
		t.Fatalf("second record: %+v %v", rep, err)
	}
	if got := partition(l); len(got) != 3 {
		t.Fatalf("want 3 people, got %v", got)
	}
	if _, err := l.Record(ctx, "other", photos[:1]); err == nil {
		t.Fatal("templates of another recognizer were accepted")
	}
	h := photos[0].Hash
	p, err := l.Photo(h)
	if err != nil || len(p.Faces) != 1 || p.Paths[0] != "photos/"+h || !l.Has(h) {
		t.Fatalf("photo: %+v %v", p, err)
	}
	f, err := l.Face(p.Faces[0].ID)
	if err != nil || f.Person == 0 || f.Photo != h {
		t.Fatalf("face: %+v %v", f, err)
	}
	if _, err := l.Photo(strings.Repeat("0", 64)); err == nil {
		t.Fatal("an unknown photo was found")
	}
	if err := l.Name(f.Person, "Ada"); err != nil {
		t.Fatal(err)
	}
	var xmp bytes.Buffer
	if err := l.WriteSidecar(&xmp, h, []byte("person 1 variant 0\n")); err != nil || !strings.Contains(xmp.String(), `mwg-rs:Name="Ada"`) {
		t.Fatalf("sidecar: %v\n%s", err, xmp.String())
	}
	// Reopened, the library holds the same.
	l.Close()
	l2 := open(t, dir)
	if len(l2.Photos()) != 12 || len(partition(l2)) != 3 {
		t.Fatalf("reopened: %d photos, %v", len(l2.Photos()), partition(l2))
	}
	if b, _ := os.ReadFile(filepath.Join(dir, logFile)); bytes.Count(b, []byte(`"type":"photo"`)) != 12 {
		t.Fatalf("log holds %d photo records", bytes.Count(b, []byte(`"type":"photo"`)))
	}
}

// TestOpenLocked: a library is open in one place at a time, and cannot be
// forgotten while open.
func TestOpenLocked(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "lib")
	l, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir, Options{}); !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open: %v, want ErrLocked", err)
	}
	if err := Forget(dir); !errors.Is(err, ErrLocked) {
		t.Fatalf("Forget while open: %v, want ErrLocked", err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l, err = Open(dir, Options{})
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	l.Close()
	if err := Forget(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("directory left after Forget: %v", err)
	}
}

// TestGroupDoesNotBlockReads: the library answers while it groups (the
// clustering runs without its lock), and a change during the clustering
// makes Group start again rather than overwrite it.
func TestGroupDoesNotBlockReads(t *testing.T) {
	l := open(t, t.TempDir())
	a := &fakeAnalyzer{}
	photos := analysed(t, a, 300, 8)
	if _, err := l.RecordUngrouped(a.ModelID(), photos[:8]); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Group(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	first := l.People()[0].ID
	if _, err := l.RecordUngrouped(a.ModelID(), photos[8:]); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	start := time.Now()
	go func() { _, err := l.Group(context.Background(), false); done <- err }()
	var slowest time.Duration
	reads := 0
	renamed := false
	for {
		select {
		case err := <-done:
			took := time.Since(start)
			if err != nil {
				t.Fatal(err)
			}
			if n := l.Ungrouped(); n != 0 {
				t.Fatalf("%d faces left ungrouped", n)
			}
			if l.people.Names[first] != "Ada" {
				t.Fatalf("the name given during grouping was lost: %v", l.people.Names)
			}
			t.Logf("grouping took %v; %d reads meanwhile, the slowest %v", took, reads, slowest)
			if reads > 10 && slowest > took*3/4 {
				t.Fatalf("a read waited %v of the grouping's %v", slowest, took)
			}
			return
		default:
		}
		t0 := time.Now()
		l.People()
		slowest = max(slowest, time.Since(t0))
		reads++
		if !renamed && reads == 5 {
			if err := l.Name(first, "Ada"); err != nil {
				t.Fatal(err)
			}
			renamed = true
		}
	}
}
