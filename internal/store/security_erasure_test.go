package store

// Erasure must reach the disk: after each kind of erasure, neither the
// database file, its WAL and shared-memory files nor the temp directory may
// hold the erased names, ids, sealed templates or (for a collection) its
// wrapped data key. Issue 9, High 4.

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// secrets are the recognisable bytes an erasure must remove.
type secrets map[string][]byte

func (sc secrets) add(label string, b []byte) { sc[label] = append([]byte(nil), b...) }

func randomTag(prefix string) string {
	b := make([]byte, 8)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// findSecrets lists, for every file under the given directories (and the
// database's own files), the secrets it still holds.
func findSecrets(t *testing.T, sc secrets, dirs ...string) []string {
	t.Helper()
	var found []string
	for _, dir := range dirs {
		filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			for label, s := range sc {
				if bytes.Contains(b, s) {
					found = append(found, filepath.Base(path)+": "+label)
				}
			}
			return nil
		})
	}
	return found
}

// erasureFixture is a store in its own directory, with its temp directory
// redirected, a tenant, a collection and subjects to erase.
type erasureFixture struct {
	s                *Store
	dir, tmp         string
	ten              Tenant
	col              Collection
	clock            time.Time
	erase, keep      []Subject
	eraseSc, wrapped secrets
}

func newErasureFixture(t *testing.T, expiring bool) *erasureFixture {
	ctx := context.Background()
	f := &erasureFixture{dir: t.TempDir(), tmp: t.TempDir(), clock: time.Now(), eraseSc: secrets{}, wrapped: secrets{}}
	t.Setenv("TMPDIR", f.tmp)
	t.Setenv("SQLITE_TMPDIR", f.tmp)
	f.s = openTest(t, filepath.Join(f.dir, "mien.db"), func() time.Time { return f.clock })
	f.ten, _ = f.s.CreateTenant(ctx, "acme")
	var err error
	if f.col, err = f.s.CreateCollection(ctx, f.ten.ID, randomTag("coll-"), "m", "t"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 40; i++ {
		c := consent(f.clock)
		gone := i%2 == 0
		if gone && expiring {
			c.ExpiresAt = f.clock.Add(time.Hour)
		}
		vec := make([]float32, 512)
		for j := range vec {
			vec[j] = float32(i*512+j) / 1e4
		}
		sub, err := f.s.Enroll(ctx, f.ten.ID, f.col.ID, Subject{ExternalID: randomTag("EXT-"), Name: randomTag("Zebulon Quixotefield "), Consent: c},
			[]Template{{Vector: vec}, {Vector: vec[:256]}}, "t")
		if err != nil {
			t.Fatal(err)
		}
		if gone {
			f.erase = append(f.erase, sub)
			f.eraseSc.add("name "+sub.Name, []byte(sub.Name))
			f.eraseSc.add("external id "+sub.ExternalID, []byte(sub.ExternalID))
		} else {
			f.keep = append(f.keep, sub)
		}
	}
	f.addSealed(t, f.erase)
	var wrapped []byte
	f.s.db.QueryRow(`SELECT wrapped_key FROM collections WHERE id = ?`, f.col.ID).Scan(&wrapped)
	f.wrapped.add("wrapped collection key", wrapped)
	return f
}

// addSealed records the sealed templates of subjects as secrets.
func (f *erasureFixture) addSealed(t *testing.T, subs []Subject) {
	for _, sub := range subs {
		rows, err := f.s.db.Query(`SELECT id, sealed FROM templates WHERE subject_id = ?`, sub.ID)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id int64
			var sealed []byte
			rows.Scan(&id, &sealed)
			f.eraseSc.add("sealed template "+sub.ID+"/"+hex.EncodeToString([]byte{byte(id)}), sealed)
		}
		rows.Close()
	}
}

// check asserts the erased secrets are gone and, as a control, that the
// kept ones are still found while the database is open; then again after
// closing it.
func (f *erasureFixture) check(t *testing.T, gone, kept secrets) {
	t.Helper()
	for _, phase := range []string{"open", "closed"} {
		if phase == "closed" {
			if err := f.s.Close(); err != nil {
				t.Fatal(err)
			}
		}
		if found := findSecrets(t, gone, f.dir, f.tmp); len(found) > 0 {
			t.Errorf("%s: %d erased values still on disk, e.g. %v", phase, len(found), found[:min(5, len(found))])
		}
		if len(kept) > 0 {
			if n := distinctLabels(findSecrets(t, kept, f.dir)); n != len(kept) {
				t.Errorf("%s: control: %d of %d kept values found on disk", phase, n, len(kept))
			}
		}
	}
}

// distinctLabels counts the secrets found (in any file).
func distinctLabels(found []string) int {
	seen := map[string]bool{}
	for _, f := range found {
		_, label, _ := strings.Cut(f, ": ")
		seen[label] = true
	}
	return len(seen)
}

func (f *erasureFixture) keptSecrets() secrets {
	sc := secrets{}
	for _, sub := range f.keep {
		sc.add("kept name "+sub.Name, []byte(sub.Name))
	}
	return sc
}

func TestSecurityErasureReachesDisk(t *testing.T) {
	ctx := context.Background()
	t.Run("subject", func(t *testing.T) {
		f := newErasureFixture(t, false)
		for _, sub := range f.erase {
			if _, err := f.s.DeleteSubject(ctx, f.ten.ID, f.col.ID, sub.ID, "t"); err != nil {
				t.Fatal(err)
			}
		}
		f.check(t, f.eraseSc, f.keptSecrets())
	})
	t.Run("collection", func(t *testing.T) {
		f := newErasureFixture(t, false)
		f.addSealed(t, f.keep)
		all := f.eraseSc
		for _, sub := range f.keep {
			all.add("name "+sub.Name, []byte(sub.Name))
			all.add("external id "+sub.ExternalID, []byte(sub.ExternalID))
		}
		all.add("collection name", []byte(f.col.Name))
		all.add("wrapped key", f.wrapped["wrapped collection key"])
		if err := f.s.DeleteCollection(ctx, f.ten.ID, f.col.ID, "t"); err != nil {
			t.Fatal(err)
		}
		f.check(t, all, nil)
	})
	t.Run("subject then collection", func(t *testing.T) {
		f := newErasureFixture(t, false)
		f.addSealed(t, f.keep)
		for _, sub := range f.erase {
			f.s.DeleteSubject(ctx, f.ten.ID, f.col.ID, sub.ID, "t")
		}
		f.eraseSc.add("wrapped key", f.wrapped["wrapped collection key"])
		if err := f.s.DeleteCollection(ctx, f.ten.ID, f.col.ID, "t"); err != nil {
			t.Fatal(err)
		}
		f.check(t, f.eraseSc, nil)
	})
	t.Run("expired consent", func(t *testing.T) {
		f := newErasureFixture(t, true)
		f.clock = f.clock.Add(2 * time.Hour)
		subs, _, err := f.s.PurgeExpired(ctx, f.clock)
		if err != nil || len(subs) != len(f.erase) {
			t.Fatalf("purge: %d subjects, %v", len(subs), err)
		}
		f.check(t, f.eraseSc, f.keptSecrets())
	})
}

// TestSecurityErasureReachesDiskRekognition erases faces indexed through the
// Rekognition endpoint's store calls (DeleteFaces) and an access key's
// secret (RevokeAWSKey).
func TestSecurityErasureReachesDiskRekognition(t *testing.T) {
	ctx := context.Background()
	f := newErasureFixture(t, false)
	var nfs []NewFace
	gone, kept := secrets{}, secrets{}
	for i := 0; i < 30; i++ {
		nf := newFace(randomTag("face-"), f.clock, make([]float32, 512))
		nf.ExternalImageID = randomTag("IMG-")
		nf.Vector[i] = 1
		nfs = append(nfs, nf)
	}
	stored, err := f.s.IndexFaces(ctx, f.ten.ID, f.col.ID, nfs, "aws:test")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i, sf := range stored {
		sc := kept
		if i%2 == 0 {
			sc = gone
			ids = append(ids, sf.ID)
		}
		sc.add("external image id "+sf.ExternalImageID, []byte(sf.ExternalImageID))
		var sealed []byte
		f.s.db.QueryRow(`SELECT sealed FROM templates WHERE id = ?`, sf.TemplateID).Scan(&sealed)
		sc.add("sealed template of "+sf.ID, sealed)
	}
	key, _, err := f.s.CreateAWSKey(ctx, f.ten.ID, false, "t")
	if err != nil {
		t.Fatal(err)
	}
	var sealedSecret []byte
	f.s.db.QueryRow(`SELECT sealed_secret FROM aws_keys WHERE id = ?`, key.ID).Scan(&sealedSecret)
	gone.add("sealed access key secret", sealedSecret)
	if del, err := f.s.DeleteFaces(ctx, f.ten.ID, f.col.ID, ids, "aws:test"); err != nil || len(del) != len(ids) {
		t.Fatalf("delete faces: %d, %v", len(del), err)
	}
	if err := f.s.RevokeAWSKey(ctx, f.ten.ID, key.ID, "t"); err != nil {
		t.Fatal(err)
	}
	f.check(t, gone, kept)
}

// A Rekognition user id is chosen by the client and may be a person's name;
// the audit log, which is never erased, keeps only a keyed pseudonym of it,
// and deleting the user reaches the disk.
func TestSecurityUserIDsNotInAudit(t *testing.T) {
	ctx := context.Background()
	f := newErasureFixture(t, false)
	user := randomTag("Zebulon Quixotefield user ")
	if err := f.s.CreateUser(ctx, f.ten.ID, f.col.ID, user, "t"); err != nil {
		t.Fatal(err)
	}
	faces, _ := f.s.Faces(ctx, f.col.ID, FaceQuery{Limit: 1})
	if err := f.s.SetFaceUser(ctx, f.ten.ID, f.col.ID, []string{faces[0].ID}, user, "t"); err != nil {
		t.Fatal(err)
	}
	if err := f.s.DeleteUser(ctx, f.ten.ID, f.col.ID, user, "t"); err != nil {
		t.Fatal(err)
	}
	log, _ := f.s.AuditLog(ctx, f.ten.ID, 0, 1000)
	var pseudonyms []any
	for _, e := range log {
		if strings.HasPrefix(e.Action, "user.") || strings.HasPrefix(e.Action, "faces.associate") {
			pseudonyms = append(pseudonyms, e.Detail["user"])
		}
	}
	if len(pseudonyms) != 3 || pseudonyms[0] != pseudonyms[1] || pseudonyms[1] != pseudonyms[2] || !strings.HasPrefix(pseudonyms[0].(string), "user:") {
		t.Fatalf("audit user fields: %v", pseudonyms)
	}
	f.check(t, secrets{"user id": []byte(user)}, nil)
}

// While another connection holds an old snapshot the checkpoint cannot
// complete (it waits out the busy timeout, 5 s): the erasure stands, and the
// next purge finishes it on disk.
func TestSecurityErasureRetriedAfterBusyCheckpoint(t *testing.T) {
	ctx := context.Background()
	f := newErasureFixture(t, false)
	reader, err := sql.Open("sqlite", filepath.Join(f.dir, "mien.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	tx, err := reader.Begin()
	if err != nil {
		t.Fatal(err)
	}
	var n int
	tx.QueryRow(`SELECT COUNT(*) FROM subjects`).Scan(&n) // holds a read snapshot
	if _, err := f.s.DeleteSubject(ctx, f.ten.ID, f.col.ID, f.erase[0].ID, "t"); err != nil {
		t.Fatal(err)
	}
	if !f.s.scrubPending.Load() {
		t.Fatal("the checkpoint completed under an open reader: the test cannot show the retry")
	}
	if _, err := f.s.Subject(ctx, f.ten.ID, f.col.ID, f.erase[0].ID); err == nil {
		t.Fatal("the erasure did not stand")
	}
	tx.Rollback()
	if _, _, err := f.s.PurgeExpired(ctx, f.clock); err != nil {
		t.Fatal(err)
	}
	gone := secrets{"name": []byte(f.erase[0].Name), "external id": []byte(f.erase[0].ExternalID)}
	if found := findSecrets(t, gone, f.dir); len(found) > 0 || f.s.scrubPending.Load() {
		t.Fatalf("after the next purge, still on disk: %v (pending %v)", found, f.s.scrubPending.Load())
	}
}
