package server_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/mienhq/mien/internal/server"
	"github.com/mienhq/mien/internal/store"
	"github.com/mienhq/mien/internal/testenv"
)

// TestSecurityErasureOnDiskHTTP: issue 9, High 4, end to end through the
// API with the real engine: after DELETE of a subject, then of its
// collection, neither mien.db, its WAL and shared-memory files nor the temp
// directory hold the erased names, external ids, sealed templates or the
// collection's wrapped key (the store's own test covers expired consent and
// the Rekognition deletions).
func TestSecurityErasureOnDiskHTTP(t *testing.T) {
	eng := testenv.Engine(t, "standard")
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "mien.db")
	st, err := store.Open(ctx, path, store.Options{MasterKey: master})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ten, _ := st.CreateTenant(ctx, "a")
	admin, _, _ := st.CreateKey(ctx, ten.ID, store.RoleAdmin, "test")
	srv, err := server.New(ctx, server.Options{Engine: eng, Store: st, MaxBody: 2 << 20, LibraryDir: filepath.Join(dir, "libraries"), Logger: rekQuietLog()})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	e := &env{t: t, url: hs.URL, st: st, admin: admin}
	tag := func(p string) string {
		b := make([]byte, 8)
		rand.Read(b)
		return p + hex.EncodeToString(b)
	}
	colName := tag("coll-")
	col := e.collection(admin, colName)
	var subs []string
	secretsOf := map[string][][]byte{}
	for _, img := range []string{"bulk_Rob_Lowe_0001.jpg", "bulk_Nathalie_Baye_0002.jpg"} {
		f := consentFields(tag("EXT-"))
		f["name"] = tag("Zebulon Quixotefield ")
		body, ct := form(map[string][][]byte{"images": {fixture(t, img)}}, f)
		code, out := e.call("POST", "/v1/collections/"+col+"/subjects", admin, body, ct)
		if code != 201 {
			t.Fatalf("enrol: %d %v", code, out)
		}
		sid := out["id"].(string)
		subs = append(subs, sid)
		secretsOf[sid] = [][]byte{[]byte(f["name"]), []byte(f["external_id"])}
	}
	raw, _ := sql.Open("sqlite", path)
	for _, sid := range subs {
		var sealed []byte
		if err := raw.QueryRow(`SELECT sealed FROM templates WHERE subject_id = ?`, sid).Scan(&sealed); err != nil {
			t.Fatal(err)
		}
		secretsOf[sid] = append(secretsOf[sid], sealed)
	}
	var wrapped []byte
	raw.QueryRow(`SELECT wrapped_key FROM collections WHERE id = ?`, col).Scan(&wrapped)
	raw.Close()
	if code, _ := e.call("DELETE", "/v1/collections/"+col+"/subjects/"+subs[0], admin, nil, ""); code != 204 {
		t.Fatalf("delete subject: %d", code)
	}
	if found := onDisk(t, secretsOf[subs[0]], dir, tmp); len(found) > 0 {
		t.Errorf("after deleting the subject, still on disk: %v", found)
	}
	if found := onDisk(t, secretsOf[subs[1]][:1], dir); len(found) == 0 {
		t.Fatal("control: the kept subject's name is not found on disk")
	}
	if code, _ := e.call("DELETE", "/v1/collections/"+col, admin, nil, ""); code != 204 {
		t.Fatalf("delete collection: %d", code)
	}
	gone := append(secretsOf[subs[1]], wrapped, []byte(colName))
	if found := onDisk(t, append(gone, secretsOf[subs[0]]...), dir, tmp); len(found) > 0 {
		t.Errorf("after deleting the collection, still on disk: %v", found)
	}
}

// onDisk returns which of the values occur in files under the directories.
func onDisk(t *testing.T, values [][]byte, dirs ...string) []string {
	var found []string
	for _, d := range dirs {
		filepath.WalkDir(d, func(p string, de os.DirEntry, err error) error {
			if err != nil || de.IsDir() {
				return nil
			}
			b, _ := os.ReadFile(p)
			for i, v := range values {
				if bytes.Contains(b, v) {
					found = append(found, filepath.Base(p)+" holds value "+string(rune('0'+i)))
				}
			}
			return nil
		})
	}
	return found
}
