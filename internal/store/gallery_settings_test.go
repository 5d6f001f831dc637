package store

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"
)

// TestCollectionSettings: a collection's FPIR is stored, audited, cleared
// by 0, refused outside (0, 0.5], tenant-bound, and erased with it.
func TestCollectionSettings(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, filepath.Join(t.TempDir(), "mien.db"), nil)
	ten, _ := s.CreateTenant(ctx, "acme")
	other, _ := s.CreateTenant(ctx, "other")
	col, _ := s.CreateCollection(ctx, ten.ID, "doors", "m", "t")
	if st, err := s.CollectionSettings(ctx, col.ID); err != nil || st.FPIR != 0 {
		t.Fatalf("a new collection: %+v %v", st, err)
	}
	if _, err := s.SetCollectionSettings(ctx, ten.ID, col.ID, Settings{FPIR: 0.001}, "k1"); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.CollectionSettings(ctx, col.ID); st.FPIR != 0.001 || st.UpdatedAt == 0 {
		t.Fatalf("after set: %+v", st)
	}
	log, _ := s.AuditLog(ctx, ten.ID, 0, 100)
	if last := log[len(log)-1]; last.Action != "collection.settings" || last.Detail["fpir"] != 0.001 {
		t.Fatalf("not audited: %+v", last)
	}
	for _, bad := range []float64{-0.1, 0.6, 1} {
		if _, err := s.SetCollectionSettings(ctx, ten.ID, col.ID, Settings{FPIR: bad}, "k1"); err == nil {
			t.Errorf("fpir %g accepted", bad)
		}
	}
	if _, err := s.SetCollectionSettings(ctx, other.ID, col.ID, Settings{FPIR: 0.1}, "k2"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("another tenant's collection: %v", err)
	}
	if st, _ := s.CollectionSettings(ctx, col.ID); st.FPIR != 0.001 {
		t.Fatalf("refused changes changed it: %+v", st)
	}
	s.SetCollectionSettings(ctx, ten.ID, col.ID, Settings{}, "k1")
	if st, _ := s.CollectionSettings(ctx, col.ID); st.FPIR != 0 {
		t.Fatalf("0 does not clear: %+v", st)
	}
	s.SetCollectionSettings(ctx, ten.ID, col.ID, Settings{FPIR: 0.01}, "k1")
	s.DeleteCollection(ctx, ten.ID, col.ID, "k1")
	if n := count(t, s, "collection_settings"); n != 0 {
		t.Fatalf("%d settings rows outlive their collection", n)
	}
}

// TestAddTemplates: more templates for a subject, under its consent, all
// or none; refused for an unknown subject, another tenant or expired consent.
func TestAddTemplates(t *testing.T) {
	ctx := context.Background()
	clock := time.Now()
	s := openTest(t, filepath.Join(t.TempDir(), "mien.db"), func() time.Time { return clock })
	ten, _ := s.CreateTenant(ctx, "acme")
	other, _ := s.CreateTenant(ctx, "other")
	col, _ := s.CreateCollection(ctx, ten.ID, "staff", "m", "t")
	short := consent(clock)
	short.ExpiresAt = clock.Add(time.Hour)
	sub, err := s.Enroll(ctx, ten.ID, col.ID, Subject{ExternalID: "kofi", Consent: short}, []Template{{Vector: []float32{1, 0}}}, "t")
	if err != nil {
		t.Fatal(err)
	}
	refs, err := s.AddTemplates(ctx, ten.ID, col.ID, sub.ID, []Template{{Vector: []float32{0, 1}}, {Vector: []float32{0.6, 0.8}}}, "k1")
	if err != nil || len(refs) != 2 {
		t.Fatalf("add: %v %v", refs, err)
	}
	got, _ := s.Subject(ctx, ten.ID, col.ID, sub.ID)
	if len(got.Templates) != 3 || got.Consent.Purpose != short.Purpose {
		t.Fatalf("subject after add: %+v", got)
	}
	n := 0
	s.EachTemplate(ctx, col.ID, func(sid string, _ int64, v []float32) error {
		if sid != sub.ID || len(v) != 2 {
			t.Errorf("template of %s: %v", sid, v)
		}
		n++
		return nil
	})
	if faces, _ := s.Faces(ctx, col.ID, FaceQuery{}); n != 3 || len(faces) != 3 {
		t.Fatalf("%d templates and %d faces, want 3", n, len(faces))
	}
	log, _ := s.AuditLog(ctx, ten.ID, 0, 100)
	if last := log[len(log)-1]; last.Action != "subject.add_templates" || last.Object != sub.ID {
		t.Fatalf("not audited: %+v", last)
	}
	for name, err := range map[string]error{
		"unknown subject": errOnly(s.AddTemplates(ctx, ten.ID, col.ID, "sub_nope", []Template{{Vector: []float32{1, 0}}}, "k1")),
		"other tenant":    errOnly(s.AddTemplates(ctx, other.ID, col.ID, sub.ID, []Template{{Vector: []float32{1, 0}}}, "k2")),
		"no template":     errOnly(s.AddTemplates(ctx, ten.ID, col.ID, sub.ID, nil, "k1")),
	} {
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	clock = clock.Add(2 * time.Hour)
	if _, err := s.AddTemplates(ctx, ten.ID, col.ID, sub.ID, []Template{{Vector: []float32{1, 0}}}, "k1"); !errors.Is(err, ErrConsent) {
		t.Fatalf("expired consent: %v", err)
	}
	if count(t, s, "templates") != 3 {
		t.Fatal("refused additions changed the store")
	}
}

func errOnly(_ []TplRef, err error) error { return err }

// TestCollectionLivenessPolicy: require_liveness is stored beside the FPIR,
// survives an FPIR of 0 (the row stays), is audited, and clearing both
// removes the row.
func TestCollectionLivenessPolicy(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, filepath.Join(t.TempDir(), "mien.db"), nil)
	ten, _ := s.CreateTenant(ctx, "t")
	col, _ := s.CreateCollection(ctx, ten.ID, "c", "m", "k1")
	if _, err := s.SetCollectionSettings(ctx, ten.ID, col.ID, Settings{RequireLiveness: true}, "k1"); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.CollectionSettings(ctx, col.ID); !st.RequireLiveness || st.FPIR != 0 {
		t.Fatalf("settings %+v, want require_liveness with the default FPIR", st)
	}
	s.SetCollectionSettings(ctx, ten.ID, col.ID, Settings{FPIR: 0.01, RequireLiveness: true}, "k1")
	if st, _ := s.CollectionSettings(ctx, col.ID); !st.RequireLiveness || st.FPIR != 0.01 {
		t.Fatalf("settings %+v", st)
	}
	s.SetCollectionSettings(ctx, ten.ID, col.ID, Settings{}, "k1")
	if st, _ := s.CollectionSettings(ctx, col.ID); st.RequireLiveness || st.UpdatedAt != 0 {
		t.Fatalf("settings %+v after clearing, want none", st)
	}
	recs, _, err := s.AuditPage(ctx, ten.ID, AuditQuery{Limit: 10, Action: "collection.settings"})
	if err != nil || len(recs) != 3 || recs[2].Detail["require_liveness"] != true {
		t.Fatalf("audit %+v %v, want three entries, the first with require_liveness", recs, err)
	}
}
