package server_test

import (
	"bytes"
	"encoding/json"
	"image/jpeg"
	"strings"
	"testing"
	"time"
)

// TestCameraSnapshotAdminOnlyAndAudited: a snapshot is an image of people,
// so only an admin key (the role that manages cameras) reads it: a read or
// readwrite key of the same tenant gets 403, another tenant's admin 404,
// and each frame served leaves an audit entry naming the key and the
// camera, with no image in it.
func TestCameraSnapshotAdminOnlyAndAudited(t *testing.T) {
	e, clip, _ := cameraEnv(t, true)
	code, cam := e.js("POST", "/v1/cameras", e.admin, `{"name":"hall","source":"`+clip+`","mode":"count","fps":10,"loop":true,"line":[160,0,160,180],"width":320,"height":180}`)
	if code != 201 {
		t.Fatalf("create: %d %v", code, cam)
	}
	id := cam["id"].(string)
	path := "/v1/cameras/" + id + "/snapshot"
	var snap []byte
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline) && snap == nil; time.Sleep(50 * time.Millisecond) {
		if code, _, b := e.raw("GET", path, e.admin, nil, ""); code == 200 {
			snap = b
		}
	}
	if img, err := jpeg.Decode(bytes.NewReader(snap)); err != nil || img.Bounds().Dx() != 320 {
		t.Fatalf("admin snapshot: %v", err)
	}
	for _, role := range []string{"read", "readwrite"} {
		_, k := e.js("POST", "/v1/keys", e.admin, `{"role":"`+role+`"}`)
		if code, _, b := e.raw("GET", path, k["key"].(string), nil, ""); code != 403 || bytes.Contains(b, []byte{0xff, 0xd8}) {
			t.Errorf("%s key: %d %.100q, want 403 and no image", role, code, b)
		}
	}
	if code, _, b := e.raw("GET", path, e.other, nil, ""); code != 404 || bytes.Contains(b, []byte(id)) {
		t.Errorf("another tenant's admin: %d %.200s, want 404", code, b)
	}
	// one more admin read, then the audit: one entry per frame served, none for the refused
	if code, _, _ := e.raw("GET", path, e.admin, nil, ""); code != 200 {
		t.Fatalf("second admin snapshot: %d", code)
	}
	adminID := e.keyIDOf(e.admin)
	_, audit := e.call("GET", "/v1/audit?action=camera.snapshot", e.admin, nil, "")
	entries, _ := audit["entries"].([]any)
	if len(entries) != 2 {
		t.Fatalf("%d camera.snapshot audit entries, want 2 (two frames served): %v", len(entries), audit)
	}
	for _, en := range entries {
		m := en.(map[string]any)
		d, _ := json.Marshal(m["detail"])
		if m["actor"] != adminID || m["object"] != id || len(d) > 64 || !strings.Contains(string(d), `"tracks":`) {
			t.Errorf("audit entry %v, want actor %s, object %s, detail with the track count only", m, adminID, id)
		}
	}
	_, other := e.call("GET", "/v1/audit?action=camera.snapshot", e.other, nil, "")
	if n := len(other["entries"].([]any)); n != 0 {
		t.Errorf("tenant b's audit has %d snapshot entries", n)
	}
}

// keyIDOf returns the id of the admin key token among its tenant's keys.
func (e *env) keyIDOf(token string) string {
	e.t.Helper()
	_, keys := e.call("GET", "/v1/keys", token, nil, "")
	var ids []string
	for _, k := range keys["keys"].([]any) {
		km := k.(map[string]any)
		if km["role"] == "admin" && km["revoked_at"] == nil {
			ids = append(ids, km["id"].(string))
		}
	}
	if len(ids) != 1 {
		e.t.Fatalf("want one admin key, have %v", ids)
	}
	return ids[0]
}
