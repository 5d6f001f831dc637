package library

import (
	"context"
	"errors"
	"testing"
)

// TestPeopleMeta: a cover must be a face of the person, covers and hidden
// flags survive reopening, a cover that leaves its person is dropped, and
// Forget still removes a library holding people_meta.json.
func TestPeopleMeta(t *testing.T) {
	dir := t.TempDir()
	l := open(t, dir)
	a := &fakeAnalyzer{}
	if _, err := l.Record(context.Background(), a.ModelID(), analysed(t, a, 2, 3)); err != nil {
		t.Fatal(err)
	}
	ps := l.People()
	if len(ps) != 2 {
		t.Fatalf("people: %+v", ps)
	}
	p, q := ps[0].ID, ps[1].ID
	pf, qf := l.Faces(p), l.Faces(q)
	if _, err := l.SetCover(p, qf[0].ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("cover from another person: %v, want ErrNotFound", err)
	}
	if _, err := l.SetHidden(999, true); !errors.Is(err, ErrNotFound) {
		t.Fatalf("hiding an unknown person: %v, want ErrNotFound", err)
	}
	if _, err := l.SetCover(p, pf[2].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := l.SetHidden(q, true); err != nil {
		t.Fatal(err)
	}
	l.Close()
	l = open(t, dir)
	m, err := l.PeopleMeta()
	if err != nil || m[p].Cover != pf[2].ID || !m[q].Hidden || m[p].Hidden || len(m) != 2 {
		t.Fatalf("after reopening: %+v %v", m, err)
	}
	// The cover face moves to q: p's cover is dropped.
	if _, err := l.Move(pf[2].ID, q); err != nil {
		t.Fatal(err)
	}
	if m, _ = l.PeopleMeta(); m[p].Cover != "" {
		t.Fatalf("a cover that left its person is kept: %+v", m)
	}
	if _, err := l.SetHidden(q, false); err != nil {
		t.Fatal(err)
	}
	if m, _ = l.PeopleMeta(); len(m) != 0 {
		t.Fatalf("settings left after clearing them: %+v", m)
	}
	l.Close()
	if err := Forget(dir); err != nil {
		t.Fatalf("forget a library with people_meta.json: %v", err)
	}
}

// TestSuggestions: people with the same name are proposed, people kept
// apart by a split are not, nor hidden people, and similarity proposes
// only pairs at or above the minimum.
func TestSuggestions(t *testing.T) {
	l := open(t, t.TempDir())
	a := &fakeAnalyzer{}
	if _, err := l.Record(context.Background(), a.ModelID(), analysed(t, a, 3, 4)); err != nil {
		t.Fatal(err)
	}
	ps := l.People()
	if len(ps) != 3 {
		t.Fatalf("people: %+v", ps)
	}
	if s, err := l.Suggestions(0.99, 0); err != nil || len(s) != 0 {
		t.Fatalf("three distinct people, nothing proposed at 0.99: %+v %v", s, err)
	}
	if s, _ := l.Suggestions(-1, 0); len(s) != 3 || s[0].Reason != "similar" {
		t.Fatalf("every pair at minimum -1: %+v", s)
	}
	if s, _ := l.Suggestions(-1, 2); len(s) != 2 {
		t.Fatalf("limit 2: %+v", s)
	}
	p, q, r := ps[0].ID, ps[1].ID, ps[2].ID
	l.Name(p, "Ada")
	l.Name(q, "ada ")
	l.Name(r, "Bea")
	s, _ := l.Suggestions(0.99, 0)
	if len(s) != 1 || s[0].Reason != "same_name" || s[0].A+s[0].B != p+q {
		t.Fatalf("same name: %+v", s)
	}
	if s, _ = l.Suggestions(-1, 0); len(s) != 1 {
		t.Fatalf("differently named people proposed as similar: %+v", s)
	}
	l.SetHidden(q, true)
	if s, _ = l.Suggestions(0.99, 0); len(s) != 0 {
		t.Fatalf("a hidden person proposed: %+v", s)
	}
	l.SetHidden(q, false)
	// Merge q into p, then split part off again: the parts are kept apart.
	if err := l.Merge(p, q); err != nil {
		t.Fatal(err)
	}
	n, err := l.Split(p, []string{l.Faces(p)[0].ID})
	if err != nil {
		t.Fatal(err)
	}
	l.Name(n, "Ada")
	if s, _ = l.Suggestions(-1, 0); len(s) != 0 {
		t.Fatalf("a split's parts proposed for merging: %+v", s)
	}
}
