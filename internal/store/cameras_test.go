package store

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestCameraStore: the source URL and secret are sealed (the password is
// not in the database file), events go with an outbox entry only when a
// webhook is set, outbox delivery and retries, counts add up per minute,
// another tenant sees nothing, retention purges.
func TestCameraStore(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	path := filepath.Join(t.TempDir(), "m.db")
	s := openTest(t, path, func() time.Time { return now })
	a, _ := s.CreateTenant(ctx, "a")
	b, _ := s.CreateTenant(ctx, "b")
	src := "rtsp://admin:hunter2-secret@10.0.0.9/stream"
	c, err := s.CreateCamera(ctx, Camera{TenantID: a.ID, Name: "door", Source: src, Mode: ModeCount, Secret: "whsec_x",
		Settings: CameraSettings{FPS: 5, Width: 640, Height: 360, Line: []float32{320, 0, 320, 360}, WebhookURL: "http://127.0.0.1:1/hook"}}, "test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateCamera(ctx, Camera{TenantID: a.ID, Name: "door", Source: src, Mode: ModeCount, Secret: "s"}, "test"); !errors.Is(err, ErrExists) {
		t.Fatalf("duplicate name: %v", err)
	}
	if _, err := s.CreateCamera(ctx, Camera{TenantID: a.ID, Name: "x", Source: src, Mode: "record", Secret: "s"}, "test"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("bad mode: %v", err)
	}
	got, err := s.Camera(ctx, a.ID, c.ID)
	if err != nil || got.Source != src || got.Secret != "whsec_x" || got.Settings.Line[2] != 320 {
		t.Fatalf("camera read back: %+v %v", got, err)
	}
	if _, err := s.Camera(ctx, b.ID, c.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("other tenant reads the camera: %v", err)
	}
	e, err := s.AddCameraEvent(ctx, CameraEvent{CameraID: c.ID, Kind: "in", Detail: map[string]any{"track": 3}})
	if err != nil || e.Seq == 0 || e.ID == "" {
		t.Fatalf("event: %+v %v", e, err)
	}
	evs, _ := s.CameraEvents(ctx, a.ID, c.ID, 0, 10)
	if len(evs) != 1 || evs[0].ID != e.ID || evs[0].Detail["track"] != float64(3) {
		t.Fatalf("events: %+v", evs)
	}
	if evs, _ := s.CameraEvents(ctx, b.ID, c.ID, 0, 10); len(evs) != 0 {
		t.Fatalf("other tenant lists events: %+v", evs)
	}
	due, err := s.DueDeliveries(ctx, 10)
	if err != nil || len(due) != 1 || due[0].Event.ID != e.ID || due[0].Secret != "whsec_x" || due[0].URL != "http://127.0.0.1:1/hook" {
		t.Fatalf("due: %+v %v", due, err)
	}
	if err := s.DeliveryFailed(ctx, due[0].ID, now.Add(time.Minute), "refused"); err != nil {
		t.Fatal(err)
	}
	if due, _ := s.DueDeliveries(ctx, 10); len(due) != 0 {
		t.Fatalf("retried before its time: %+v", due)
	}
	now = now.Add(2 * time.Minute)
	due, _ = s.DueDeliveries(ctx, 10)
	if len(due) != 1 || due[0].Attempts != 1 {
		t.Fatalf("due after back-off: %+v", due)
	}
	s.DeliveryDone(ctx, due[0].ID)
	if n, _ := s.OutboxPending(ctx); n != 0 {
		t.Fatalf("pending after delivery: %d", n)
	}
	for _, m := range []MinuteCount{{Minute: now, In: 2, Occupancy: map[string]int{"hall": 3}}, {Minute: now.Add(10 * time.Second), Out: 1, Occupancy: map[string]int{"hall": 1}}} {
		if err := s.AddCounts(ctx, c.ID, m); err != nil {
			t.Fatal(err)
		}
	}
	counts, _ := s.CameraCounts(ctx, a.ID, c.ID, now.Add(-time.Hour))
	if len(counts) != 1 || counts[0].In != 2 || counts[0].Out != 1 || counts[0].Occupancy["hall"] != 3 {
		t.Fatalf("counts: %+v", counts)
	}
	if k, _ := s.CameraCounts(ctx, b.ID, c.ID, now.Add(-time.Hour)); len(k) != 0 {
		t.Fatalf("other tenant reads counts: %+v", k)
	}
	if n, err := s.PurgeCameraData(ctx, now.Add(time.Hour)); err != nil || n != 1 {
		t.Fatalf("purge: %d %v", n, err)
	}
	if k, _ := s.CameraCounts(ctx, a.ID, c.ID, time.Time{}); len(k) != 0 {
		t.Fatalf("counts left after purge: %+v", k)
	}
	s.AddCameraEvent(ctx, CameraEvent{CameraID: c.ID, Kind: "out"})
	s.AddCounts(ctx, c.ID, MinuteCount{Minute: now, In: 1})
	if err := s.DeleteCamera(ctx, b.ID, c.ID, "test"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("another tenant deleted the camera: %v", err)
	}
	if err := s.DeleteCamera(ctx, a.ID, c.ID, "test"); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"cameras", "camera_events", "camera_counts", "webhook_outbox"} {
		if n := count(t, s, table); n != 0 {
			t.Errorf("%d rows left in %s after the camera was deleted", n, table)
		}
	}
	s.Close()
	raw, _ := os.ReadFile(path)
	wal, _ := os.ReadFile(path + "-wal")
	if bytes.Contains(append(raw, wal...), []byte("hunter2-secret")) || bytes.Contains(append(raw, wal...), []byte("whsec_x")) {
		t.Fatal("the camera's password or webhook secret is in the database file in clear")
	}
}

// BenchmarkAddCameraEvent: one event with its outbox entry per transaction
// (synchronous=FULL: each is on disk when it returns).
func BenchmarkAddCameraEvent(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(b.TempDir(), "m.db"), Options{MasterKey: make([]byte, 32)})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ten, _ := s.CreateTenant(ctx, "t")
	c, _ := s.CreateCamera(ctx, Camera{TenantID: ten.ID, Name: "c", Source: "rtsp://x/y", Mode: ModeCount, Secret: "s",
		Settings: CameraSettings{WebhookURL: "http://127.0.0.1:1/h"}}, "bench")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.AddCameraEvent(ctx, CameraEvent{CameraID: c.ID, Kind: "in", Detail: map[string]any{"track": 1}}); err != nil {
			b.Fatal(err)
		}
	}
}
