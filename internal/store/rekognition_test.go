package store

import (
	"context"
	"errors"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func newFace(id string, now time.Time, vec []float32) NewFace {
	return NewFace{Face: Face{ID: id, ImageID: "img-" + id, ExternalImageID: "ext-" + id, Box: Box{0.1, 0.2, 0.3, 0.4}, Confidence: 99,
		Consent: consent(now)}, Vector: vec, Quality: map[string]float32{"sharpness": 40}}
}

// TestMigrationGivesOldTemplatesFaces: templates enrolled before the
// Rekognition migration get face records when it runs, and templates
// enrolled through Enroll afterwards get them from the trigger.
func TestMigrationGivesOldTemplatesFaces(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	path := filepath.Join(t.TempDir(), "mien.db")
	saved := migrations
	t.Cleanup(func() { migrations = saved })
	migrations = migrations[:1]
	s := openTest(t, path, nil)
	ten, _ := s.CreateTenant(ctx, "acme")
	col, _ := s.CreateCollection(ctx, ten.ID, "staff", "m", "test")
	if _, err := s.Enroll(ctx, ten.ID, col.ID, Subject{ExternalID: "ada", Consent: consent(now)}, []Template{{Vector: []float32{1, 0}}, {Vector: []float32{0, 1}}}, "test"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	migrations = saved
	s = openTest(t, path, nil)
	faces, err := s.Faces(ctx, col.ID, FaceQuery{})
	if err != nil || len(faces) != 2 {
		t.Fatalf("faces after migration: %v, %v", faces, err)
	}
	for _, f := range faces {
		if !uuidPattern.MatchString(f.ID) || !uuidPattern.MatchString(f.ImageID) || f.ExternalImageID != "ada" || f.Consent.Purpose != "office access" {
			t.Errorf("face %+v", f)
		}
	}
	if faces[0].ID == faces[1].ID {
		t.Fatal("two templates share a face id")
	}
	sub, err := s.Enroll(ctx, ten.ID, col.ID, Subject{ExternalID: "bob", Consent: consent(now)}, []Template{{Vector: []float32{0.6, 0.8}}}, "test")
	if err != nil {
		t.Fatal(err)
	}
	faces, _ = s.Faces(ctx, col.ID, FaceQuery{TemplateIDs: []int64{sub.Templates[0].ID}})
	if len(faces) != 1 || faces[0].SubjectID != sub.ID || faces[0].ExternalImageID != "bob" {
		t.Fatalf("trigger: %+v", faces)
	}
	// Erasing the subject erases its face record.
	if _, err := s.DeleteSubject(ctx, ten.ID, col.ID, sub.ID, "test"); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, "faces"); n != 2 {
		t.Fatalf("%d face records after erasure, want 2", n)
	}
}

func TestIndexFacesUsersAndDelete(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	s := openTest(t, filepath.Join(t.TempDir(), "mien.db"), nil)
	ten, _ := s.CreateTenant(ctx, "acme")
	other, _ := s.CreateTenant(ctx, "other")
	policy := &ConsentPolicy{Purpose: "doors", Retention: 30 * 24 * time.Hour, Evidence: "hr:forms"}
	col, err := s.CreateCollectionWithPolicy(ctx, ten.ID, "staff", "m", policy, "test")
	if err != nil {
		t.Fatal(err)
	}
	if p, err := s.Policy(ctx, col.ID); err != nil || p == nil || p.Purpose != "doors" || p.Retention != policy.Retention {
		t.Fatalf("policy %+v %v", p, err)
	}
	if _, err := s.CreateCollectionWithPolicy(ctx, ten.ID, "bad", "m", &ConsentPolicy{Purpose: " "}, "test"); !errors.Is(err, ErrConsent) {
		t.Fatalf("empty purpose: %v", err)
	}
	if c, err := s.CollectionByName(ctx, ten.ID, "staff"); err != nil || c.ID != col.ID {
		t.Fatalf("by name: %v %v", c, err)
	}
	if _, err := s.CollectionByName(ctx, other.ID, "staff"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("another tenant's collection by name: %v", err)
	}
	ids := []string{"00000000-0000-4000-8000-00000000000a", "00000000-0000-4000-8000-00000000000b"}
	// All or none: a face with a bad consent record stores nothing.
	bad := newFace(ids[1], now, []float32{0, 1})
	bad.Consent.Purpose = ""
	if _, err := s.IndexFaces(ctx, ten.ID, col.ID, []NewFace{newFace(ids[0], now, []float32{1, 0}), bad}, "test"); !errors.Is(err, ErrConsent) {
		t.Fatalf("bad consent: %v", err)
	}
	// A duplicate face id fails the transaction half-way: nothing is kept.
	if _, err := s.IndexFaces(ctx, ten.ID, col.ID, []NewFace{newFace(ids[0], now, []float32{1, 0}), newFace(ids[0], now, []float32{0, 1})}, "test"); err == nil {
		t.Fatal("duplicate face id accepted")
	}
	if n := count(t, s, "templates") + count(t, s, "subjects") + count(t, s, "faces"); n != 0 {
		t.Fatalf("a failed IndexFaces left %d rows", n)
	}
	if _, err := s.IndexFaces(ctx, other.ID, col.ID, []NewFace{newFace(ids[0], now, []float32{1, 0})}, "test"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("another tenant indexes: %v", err)
	}
	got, err := s.IndexFaces(ctx, ten.ID, col.ID, []NewFace{newFace(ids[0], now, []float32{1, 0}), newFace(ids[1], now, []float32{0, 1})}, "test")
	if err != nil || len(got) != 2 || got[0].TemplateID == 0 || got[0].SubjectID == got[1].SubjectID {
		t.Fatalf("index: %+v %v", got, err)
	}
	f, vec, err := s.FaceTemplate(ctx, ten.ID, col.ID, ids[1])
	if err != nil || f.ExternalImageID != "ext-"+ids[1] || f.Box != (Box{0.1, 0.2, 0.3, 0.4}) || f.Confidence != 99 || vec[1] != 1 {
		t.Fatalf("face template: %+v %v %v", f, vec, err)
	}
	if faces, users, err := s.CollectionCounts(ctx, col.ID); faces != 2 || users != 0 || err != nil {
		t.Fatalf("counts %d %d %v", faces, users, err)
	}

	// Users.
	if err := s.CreateUser(ctx, ten.ID, col.ID, "ada", "test"); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateUser(ctx, ten.ID, col.ID, "ada", "test"); !errors.Is(err, ErrExists) {
		t.Fatalf("duplicate user: %v", err)
	}
	if err := s.SetFaceUser(ctx, ten.ID, col.ID, []string{ids[0], "00000000-0000-4000-8000-0000000000ff"}, "ada", "test"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown face: %v", err)
	}
	if u, _ := s.User(ctx, col.ID, "ada"); u.Faces != 0 {
		t.Fatal("a failed association changed the user")
	}
	if err := s.SetFaceUser(ctx, ten.ID, col.ID, []string{ids[0]}, "ada", "test"); err != nil {
		t.Fatal(err)
	}
	if fs, _ := s.Faces(ctx, col.ID, FaceQuery{UserID: "ada"}); len(fs) != 1 || fs[0].ID != ids[0] {
		t.Fatalf("faces of ada: %+v", fs)
	}
	if err := s.DeleteUser(ctx, ten.ID, col.ID, "ada", "test"); err != nil {
		t.Fatal(err)
	}
	if fs, _ := s.Faces(ctx, col.ID, FaceQuery{FaceIDs: []string{ids[0]}}); len(fs) != 1 || fs[0].UserID != "" {
		t.Fatalf("face after its user was deleted: %+v", fs)
	}

	// Deletion erases the template and the face's own subject.
	del, err := s.DeleteFaces(ctx, ten.ID, col.ID, []string{ids[0], "00000000-0000-4000-8000-0000000000ff"}, "test")
	if err != nil || len(del) != 1 || del[0].TemplateID != got[0].TemplateID {
		t.Fatalf("delete: %+v %v", del, err)
	}
	if n := count(t, s, "subjects"); n != 1 {
		t.Fatalf("%d subjects after deleting one of two faces", n)
	}
	if err := s.DeleteCollection(ctx, ten.ID, col.ID, "test"); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"faces", "face_users", "consent_policies", "templates"} {
		if n := count(t, s, table); n != 0 {
			t.Errorf("%d rows left in %s after the collection was deleted", n, table)
		}
	}
	if n, err := s.VerifyAudit(ctx); err != nil || n < 10 {
		t.Fatalf("audit %d %v", n, err)
	}
	// The audit log holds no template.
	entries, _ := s.AuditLog(ctx, ten.ID, 0, 100)
	for _, e := range entries {
		if d := e.Detail; d != nil && (d["vector"] != nil || d["embedding"] != nil) {
			t.Errorf("audit entry %d holds a template", e.Seq)
		}
	}
}

func TestExpiredFacesAreHidden(t *testing.T) {
	ctx := context.Background()
	clock := time.Now()
	s := openTest(t, filepath.Join(t.TempDir(), "mien.db"), func() time.Time { return clock })
	ten, _ := s.CreateTenant(ctx, "acme")
	col, _ := s.CreateCollectionWithPolicy(ctx, ten.ID, "staff", "m", &ConsentPolicy{Purpose: "doors", Retention: 24 * time.Hour}, "test")
	id := "00000000-0000-4000-8000-00000000000a"
	if _, err := s.IndexFaces(ctx, ten.ID, col.ID, []NewFace{newFace(id, clock, []float32{1, 0})}, "test"); err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(48 * time.Hour)
	if fs, _ := s.Faces(ctx, col.ID, FaceQuery{}); len(fs) != 0 {
		t.Fatalf("expired face listed: %+v", fs)
	}
	if _, _, err := s.FaceTemplate(ctx, ten.ID, col.ID, id); !errors.Is(err, ErrNotFound) {
		t.Fatalf("expired face's template: %v", err)
	}
	if _, tpls, err := s.PurgeExpired(ctx, clock); err != nil || len(tpls) != 1 || count(t, s, "faces") != 0 {
		t.Fatalf("purge: %v %v", tpls, err)
	}
}

func TestAWSKeys(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "mien.db")
	s := openTest(t, path, nil)
	ten, _ := s.CreateTenant(ctx, "acme")
	k, secret, err := s.CreateAWSKey(ctx, ten.ID, true, "test")
	if err != nil {
		t.Fatal(err)
	}
	if len(k.ID) != 20 || !strings.HasPrefix(k.ID, "MIEN") || len(secret) != 40 {
		t.Fatalf("key %q secret length %d", k.ID, len(secret))
	}
	// The secret is sealed, not stored in clear.
	var sealed []byte
	s.db.QueryRow(`SELECT sealed_secret FROM aws_keys WHERE id = ?`, k.ID).Scan(&sealed)
	if strings.Contains(string(sealed), secret) {
		t.Fatal("the secret is stored in clear")
	}
	got, sec, err := s.AWSCredentials(ctx, k.ID)
	if err != nil || sec != secret || got.TenantID != ten.ID || !got.ReadOnly {
		t.Fatalf("credentials %+v %v", got, err)
	}
	// Another master key is refused at Open, and could not unseal the secret.
	s.Close()
	wrong := []byte("fedcba9876543210fedcba9876543210")
	if s2, err := Open(ctx, path, Options{MasterKey: wrong}); !errors.Is(err, ErrWrongKey) {
		s2.Close()
		t.Fatalf("wrong master key: %v", err)
	}
	s = openTest(t, path, nil)
	var sealedAgain []byte
	s.db.QueryRow(`SELECT sealed_secret FROM aws_keys WHERE id = ?`, k.ID).Scan(&sealedAgain)
	if _, err := open(wrong, sealedAgain, awsKeyAAD(k.ID)); err == nil {
		t.Fatal("unsealed under the wrong master key")
	}
	if err := s.RevokeAWSKey(ctx, "ten_other", k.ID, "test"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("another tenant revokes: %v", err)
	}
	if err := s.RevokeAWSKey(ctx, ten.ID, k.ID, "test"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.AWSCredentials(ctx, k.ID); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("revoked key: %v", err)
	}
	if keys, _ := s.AWSKeys(ctx, ten.ID); len(keys) != 1 || keys[0].RevokedAt == 0 {
		t.Fatalf("keys %+v", keys)
	}
	if _, _, err := s.AWSCredentials(ctx, "MIENNOSUCHKEY0000000"); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("unknown key: %v", err)
	}
}
