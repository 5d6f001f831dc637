package config

import (
	"os"
	"path/filepath"
	"testing"
)

func TestLoadServe(t *testing.T) {
	p := filepath.Join(t.TempDir(), "mien.json")
	os.WriteFile(p, []byte(`{"addr": "0.0.0.0:9000", "data": "/srv/mien", "max_body_mb": 5, "enrolment_gate": {"min_face_size": 80}}`), 0o644)
	t.Setenv("MIEN_ADDR", "")
	t.Setenv("MIEN_DATA", "/override")
	s, err := LoadServe(p)
	if err != nil {
		t.Fatal(err)
	}
	if s.Addr != "0.0.0.0:9000" || s.Data != "/override" || s.MaxBodyMB != 5 || s.Gate.MinFaceSize != 80 {
		t.Fatalf("%+v", s)
	}
	os.WriteFile(p, []byte(`{"adr": "typo"}`), 0o644)
	if _, err := LoadServe(p); err == nil {
		t.Fatal("unknown field accepted")
	}
	if s, err := LoadServe(""); err != nil || s.Addr != "127.0.0.1:8080" {
		t.Fatalf("defaults: %+v %v", s, err)
	}
}

func TestLoadServeConnections(t *testing.T) {
	p := filepath.Join(t.TempDir(), "mien.json")
	os.WriteFile(p, []byte(`{"max_conns": 100, "max_conns_per_ip": 10, "read_timeout_seconds": 30, "idle_timeout_seconds": 5, "metrics_public": true}`), 0o644)
	s, err := LoadServe(p)
	if err != nil {
		t.Fatal(err)
	}
	if s.MaxConns != 100 || s.MaxConnsPerIP != 10 || s.ReadTimeoutSeconds != 30 || s.IdleTimeoutSeconds != 5 || !s.MetricsPublic {
		t.Fatalf("%+v", s)
	}
	os.WriteFile(p, []byte(`{"max_conns_per_ip": -1}`), 0o644)
	if _, err := LoadServe(p); err == nil {
		t.Fatal("a negative connection cap accepted")
	}
}

func TestWebhookAllowCIDRs(t *testing.T) {
	p := filepath.Join(t.TempDir(), "mien.json")
	os.WriteFile(p, []byte(`{"cameras": {"webhook_allow_cidrs": ["192.168.10.0/24", "127.0.0.1", "fd00:1::7/64"]}}`), 0o644)
	s, err := LoadServe(p)
	if err != nil {
		t.Fatal(err)
	}
	allow, err := s.Cameras.WebhookAllow()
	want := []string{"192.168.10.0/24", "127.0.0.1/32", "fd00:1::/64"}
	if err != nil || len(allow) != len(want) {
		t.Fatalf("%v %v", allow, err)
	}
	for i, p := range allow {
		if p.String() != want[i] {
			t.Errorf("%d: %s, want %s", i, p, want[i])
		}
	}
	for _, bad := range []string{`"10.0.0.0/33"`, `"lan"`, `"10.0.0.0/8 "`} {
		os.WriteFile(p, []byte(`{"cameras": {"webhook_allow_cidrs": [`+bad+`]}}`), 0o644)
		if _, err := LoadServe(p); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestLoadServeLibrary(t *testing.T) {
	p := filepath.Join(t.TempDir(), "mien.json")
	os.WriteFile(p, []byte(`{"library": {"smallest_face": 0, "flip": true}}`), 0o644)
	s, err := LoadServe(p)
	if err != nil {
		t.Fatal(err)
	}
	if l := s.Library; l == nil || l.SmallestFace == nil || *l.SmallestFace != 0 || !l.Flip {
		t.Fatalf("%+v", s.Library)
	}
	for _, bad := range []string{`{"library": {"smallest_face": -1}}`, `{"library": {"smallest_face": 2000}}`} {
		os.WriteFile(p, []byte(bad), 0o644)
		if _, err := LoadServe(p); err == nil {
			t.Fatalf("%s accepted", bad)
		}
	}
}
