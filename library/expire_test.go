package library

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestExpireErasesUnnamedUnconfirmedPeople(t *testing.T) {
	photos, lib := t.TempDir(), t.TempDir()
	writePhotos(t, photos, 4, 3)
	l := open(t, lib)
	a := &fakeAnalyzer{}
	if _, err := l.Add(context.Background(), a, photos, AddOptions{Workers: 2}); err != nil {
		t.Fatal(err)
	}
	people := l.People()
	if len(people) != 4 {
		t.Fatalf("%d people, want 4", len(people))
	}
	named := people[0].ID
	if err := l.Name(named, "Ada"); err != nil {
		t.Fatal(err)
	}
	// No expiry set: nothing happens.
	if rep, err := l.Expire(time.Now().Add(48*time.Hour), 0); err != nil || rep.Faces != 0 {
		t.Fatalf("no expiry set: %+v %v", rep, err)
	}
	if err := l.SetExpiry(24 * time.Hour); err != nil {
		t.Fatal(err)
	}
	// Not old enough yet.
	if rep, _ := l.Expire(time.Now(), 0); rep.Faces != 0 {
		t.Fatalf("fresh groups expired: %+v", rep)
	}
	logPath := filepath.Join(lib, logFile)
	before, _ := os.ReadFile(logPath)
	rep, err := l.Expire(time.Now().Add(48*time.Hour), 0)
	if err != nil {
		t.Fatal(err)
	}
	if rep.People != 3 || rep.Faces != 9 {
		t.Fatalf("expired %+v, want the 3 unnamed people (9 faces)", rep)
	}
	if got := l.People(); len(got) != 1 || got[0].Name != "Ada" {
		t.Fatalf("people after expiry: %+v", got)
	}
	after, _ := os.ReadFile(logPath)
	if len(after) >= len(before) || bytes.Count(after, []byte(`"vector":"`)) != 3 {
		t.Fatalf("log not compacted: %d -> %d bytes, %d vectors left (want 3)", len(before), len(after), bytes.Count(after, []byte(`"vector":"`)))
	}
	// An expired face cannot be unignored, re-adding the folder does not bring
	// it back, and the state survives reopening.
	var expired string
	for _, f := range l.Faces(0) {
		if f.Ignored == expiredReason {
			expired = f.ID
			break
		}
	}
	if err := l.Unignore(expired); err == nil || !strings.Contains(err.Error(), "erased") {
		t.Fatalf("unignore of an expired face: %v", err)
	}
	calls := a.calls.Load()
	if rep, err := l.Add(context.Background(), a, photos, AddOptions{}); err != nil || rep.Indexed != 0 || a.calls.Load() != calls {
		t.Fatalf("re-add after expiry: %+v %v", rep, err)
	}
	l.Close()
	l2 := open(t, lib)
	if got := l2.People(); len(got) != 1 || l2.Expiry() != 24*time.Hour {
		t.Fatalf("after reopen: %+v, expiry %v", got, l2.Expiry())
	}
	// New photos still append to the compacted log.
	os.WriteFile(filepath.Join(photos, "later.jpg"), []byte("person 9 variant 1\n"), 0o644)
	if rep, err := l2.Add(context.Background(), a, photos, AddOptions{}); err != nil || rep.Indexed != 1 {
		t.Fatalf("add after compaction: %+v %v", rep, err)
	}
	if got := len(l2.People()); got != 2 {
		t.Fatalf("%d people after adding one, want 2", got)
	}
}
