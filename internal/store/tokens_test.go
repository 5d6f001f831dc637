package store

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"
)

func TestKeptAnswers(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	s := openTest(t, filepath.Join(t.TempDir(), "mien.db"), func() time.Time { return now })
	ta, _ := s.CreateTenant(ctx, "a")
	tb, _ := s.CreateTenant(ctx, "b")
	staff, _ := s.CreateCollection(ctx, ta.ID, "staff", "m", "test")
	visitors, _ := s.CreateCollection(ctx, ta.ID, "visitors", "m", "test")
	k := RequestKey{TenantID: ta.ID, CollectionID: staff.ID, Operation: "CreateUser", Token: "t1"}
	if _, err := s.Answer(ctx, k); !errors.Is(err, ErrNotFound) {
		t.Fatalf("answer before any was kept: %v", err)
	}
	first := KeptAnswer{Fingerprint: "fp1", Body: []byte(`{"first":true}`)}
	if got, err := s.KeepAnswer(ctx, k, first, time.Hour); err != nil || got.Fingerprint != "fp1" || !bytes.Equal(got.Body, first.Body) {
		t.Fatalf("keep: %+v, %v", got, err)
	}
	// A second answer under the same key loses to the first.
	if got, err := s.KeepAnswer(ctx, k, KeptAnswer{Fingerprint: "fp2", Body: []byte(`{}`)}, time.Hour); err != nil || got.Fingerprint != "fp1" {
		t.Fatalf("keep again: %+v, %v", got, err)
	}
	if got, err := s.Answer(ctx, k); err != nil || string(got.Body) != `{"first":true}` {
		t.Fatalf("answer: %+v, %v", got, err)
	}
	// Scoped to the tenant, the collection and the operation.
	for _, other := range []RequestKey{
		{TenantID: tb.ID, CollectionID: staff.ID, Operation: "CreateUser", Token: "t1"},
		{TenantID: ta.ID, CollectionID: visitors.ID, Operation: "CreateUser", Token: "t1"},
		{TenantID: ta.ID, CollectionID: staff.ID, Operation: "DeleteUser", Token: "t1"},
	} {
		if _, err := s.Answer(ctx, other); !errors.Is(err, ErrNotFound) {
			t.Errorf("answer under %+v: %v", other, err)
		}
	}
	if _, err := s.KeepAnswer(ctx, k, first, 0); err == nil {
		t.Error("an answer kept for no time")
	}
	// Expired: not answered, and replaced by the next answer.
	now = now.Add(time.Hour + time.Second)
	if _, err := s.Answer(ctx, k); !errors.Is(err, ErrNotFound) {
		t.Fatalf("expired answer: %v", err)
	}
	if got, err := s.KeepAnswer(ctx, k, KeptAnswer{Fingerprint: "fp3", Body: []byte(`{}`)}, time.Hour); err != nil || got.Fingerprint != "fp3" {
		t.Fatalf("keep after expiry: %+v, %v", got, err)
	}
	// Deleting the collection deletes its answers.
	if err := s.DeleteCollection(ctx, ta.ID, staff.ID, "test"); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, "request_answers"); n != 0 {
		t.Fatalf("%d answers left after the collection was deleted", n)
	}
}

func TestDerivedKey(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "mien.db"), nil)
	a, b := s.DerivedKey("paging"), s.DerivedKey("other")
	if len(a) != 32 || bytes.Equal(a, b) || !bytes.Equal(a, s.DerivedKey("paging")) || bytes.Contains(a, master[:8]) {
		t.Fatalf("derived keys %x %x", a, b)
	}
	s2, err := Open(context.Background(), filepath.Join(t.TempDir(), "other.db"), Options{MasterKey: bytes.Repeat([]byte{7}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if bytes.Equal(s2.DerivedKey("paging"), a) {
		t.Fatal("another master key derives the same key")
	}
}
