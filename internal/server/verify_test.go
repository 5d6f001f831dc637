package server_test

import (
	"sync"
	"testing"
	"time"

	"github.com/mienhq/mien/internal/server"
	"github.com/mienhq/mien/internal/store"
	"github.com/mienhq/mien/internal/testenv"
)

func TestVerify(t *testing.T) {
	e := setup(t)
	col := e.collection(e.admin, "staff")
	body, ct := form(map[string][][]byte{"images": {fixture(t, "bulk_Rob_Lowe_0001.jpg")}}, consentFields("rob"))
	code, sub := e.call("POST", "/v1/collections/"+col+"/subjects", e.admin, body, ct)
	if code != 201 {
		t.Fatalf("enrol: %d %v", code, sub)
	}
	sid := sub["id"].(string)
	verify := func(key, col, sid string, img []byte, fields map[string]string) (int, map[string]any) {
		files := map[string][][]byte{}
		if img != nil {
			files["image"] = [][]byte{img}
		}
		body, ct := form(files, fields)
		return e.call("POST", "/v1/collections/"+col+"/subjects/"+sid+"/verify", key, body, ct)
	}
	rob2 := fixture(t, "bulk_Rob_Lowe_0002.jpg")
	code, out := verify(e.admin, col, sid, rob2, map[string]string{"far": "0.0001"})
	if code != 200 || out["decision"] != "match" || out["subject_id"] != sid || out["similarity"].(float64) < out["threshold"].(float64) {
		t.Fatalf("verify Rob as Rob: %d %v", code, out)
	}
	code, out = verify(e.admin, col, sid, fixture(t, "bulk_Nathalie_Baye_0002.jpg"), nil)
	if code != 200 || out["decision"] != "no_match" || out["similarity"].(float64) >= out["threshold"].(float64) {
		t.Fatalf("verify a stranger as Rob: %d %v", code, out)
	}
	for _, c := range []struct {
		name     string
		key, col string
		sid      string
		img      []byte
		fields   map[string]string
		want     int
	}{
		{"corrupt image", e.admin, col, sid, rob2[:len(rob2)/3], nil, 400},
		{"no image", e.admin, col, sid, nil, nil, 400},
		{"no face", e.admin, col, sid, fixture(t, "crop_no_face.png"), nil, 422},
		{"far out of range", e.admin, col, sid, rob2, map[string]string{"far": "1e-12"}, 400},
		{"unknown subject", e.admin, col, "sub_nope", rob2, nil, 404},
		{"wrong collection", e.admin, "col_nope", sid, rob2, nil, 404},
		{"missing key", "", col, sid, rob2, nil, 401},
		{"other tenant's key", e.other, col, sid, rob2, nil, 404},
	} {
		code, out := verify(c.key, c.col, c.sid, c.img, c.fields)
		if code != c.want || out["error"] == nil {
			t.Errorf("%s: %d %v, want %d with an error body", c.name, code, out, c.want)
		}
	}
	if e.rows("templates") != 1 {
		t.Fatal("verification changed the store")
	}
}

// TestExpiredConsentNeverMatches: once a subject's consent expires, identify
// and verify stop matching them at once, before the purge erases them.
func TestExpiredConsentNeverMatches(t *testing.T) {
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	e := serve(t, testenv.Engine(t, "standard"), store.Options{Now: clock}, server.Options{})
	key := e.admin
	col := e.collection(key, "staff")
	fields := consentFields("rob")
	fields["expires_at"] = now.Add(time.Hour).UTC().Format(time.RFC3339)
	body, ct := form(map[string][][]byte{"images": {fixture(t, "bulk_Rob_Lowe_0001.jpg")}}, fields)
	code, sub := e.call("POST", "/v1/collections/"+col+"/subjects", key, body, ct)
	if code != 201 {
		t.Fatalf("enrol: %d %v", code, sub)
	}
	sid := sub["id"].(string)
	probe := fixture(t, "bulk_Rob_Lowe_0002.jpg")
	identify := func() string {
		body, ct := form(map[string][][]byte{"image": {probe}}, nil)
		code, out := e.call("POST", "/v1/collections/"+col+"/identify", key, body, ct)
		if code != 200 {
			t.Fatalf("identify: %d %v", code, out)
		}
		return out["faces"].([]any)[0].(map[string]any)["decision"].(string)
	}
	verify := func() (int, map[string]any) {
		body, ct := form(map[string][][]byte{"image": {probe}}, nil)
		return e.call("POST", "/v1/collections/"+col+"/subjects/"+sid+"/verify", key, body, ct)
	}
	if d := identify(); d != "match" {
		t.Fatalf("before expiry identify says %s", d)
	}
	if code, out := verify(); code != 200 || out["decision"] != "match" {
		t.Fatalf("before expiry verify: %d %v", code, out)
	}
	mu.Lock()
	now = now.Add(2 * time.Hour)
	mu.Unlock()
	if d := identify(); d != "unknown" {
		t.Fatalf("after expiry identify says %s", d)
	}
	if code, out := verify(); code != 422 || out["error"].(map[string]any)["code"] != "consent" {
		t.Fatalf("after expiry verify: %d %v", code, out)
	}
}
