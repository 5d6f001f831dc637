package events

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/internal/store"
	"github.com/mienhq/mien/internal/stream"
)

func TestSignVerify(t *testing.T) {
	secret := []byte("whsec_test")
	body := []byte(`{"id":"evt_1"}`)
	now := time.Unix(1_800_000_000, 0)
	h := Sign(secret, now, body)
	if err := Verify(secret, h, body, now.Add(time.Minute), 5*time.Minute); err != nil {
		t.Fatalf("a good signature: %v", err)
	}
	for name, c := range map[string]struct {
		secret, body []byte
		header       string
		at           time.Time
	}{
		"tampered body": {secret, []byte(`{"id":"evt_2"}`), h, now},
		"wrong secret":  {[]byte("other"), body, h, now},
		"replayed late": {secret, body, h, now.Add(time.Hour)},
		"malformed":     {secret, body, "v1=abc", now},
		"empty":         {secret, body, "", now},
	} {
		if err := Verify(c.secret, c.header, c.body, c.at, 5*time.Minute); !errors.Is(err, ErrSignature) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// loopback lets the tests' receivers, which listen on 127.0.0.1, be called.
var loopback = &Guard{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "m.db"), store.Options{MasterKey: make([]byte, 32)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// receiver is a webhook endpoint that fails its first n requests.
type receiver struct {
	mu     sync.Mutex
	fail   int
	got    []Body
	errors []error
	secret []byte
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail > 0 {
		r.fail--
		http.Error(w, "down", 503)
		return
	}
	if err := Verify(r.secret, req.Header.Get(SignatureHeader), body, time.Now(), 5*time.Minute); err != nil {
		r.errors = append(r.errors, err)
	}
	var b Body
	json.Unmarshal(body, &b)
	if req.Header.Get(EventIDHeader) != b.ID {
		r.errors = append(r.errors, errors.New("event id header differs from the body's id"))
	}
	r.got = append(r.got, b)
}

// TestWebhookRetriesThenDelivers: a receiver down for two attempts gets
// every event, signed, once it is back; the outbox empties.
func TestWebhookRetriesThenDelivers(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	rc := &receiver{fail: 2, secret: []byte("whsec_r")}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	ten, _ := st.CreateTenant(ctx, "t")
	cam, err := st.CreateCamera(ctx, store.Camera{TenantID: ten.ID, Name: "c", Source: "/x.mp4", Mode: store.ModeCount, Secret: "whsec_r",
		Settings: store.CameraSettings{WebhookURL: srv.URL}}, "test")
	if err != nil {
		t.Fatal(err)
	}
	d := NewDeliverer(st, loopback, nil)
	d.MaxBackoff = 50 * time.Millisecond
	d.Poll = 10 * time.Millisecond
	hub := NewHub(st, NewBroker(), d, loopback, nil)
	for i := 0; i < 3; i++ {
		if err := hub.Event(ctx, cam.ID, stream.Event{Kind: stream.KindIn, Track: uint64(i + 1), At: time.Now(), Box: face.R(1, 2, 3, 4)}); err != nil {
			t.Fatal(err)
		}
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { d.Run(rctx); close(done) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		n, _ := st.OutboxPending(ctx)
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d webhooks still pending", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.errors) > 0 {
		t.Fatal(rc.errors)
	}
	ids := map[string]bool{}
	for _, b := range rc.got {
		ids[b.ID] = true
		if b.CameraID != cam.ID || b.Kind != "in" || b.Detail["track"] == nil {
			t.Errorf("body %+v", b)
		}
	}
	if len(ids) != 3 {
		t.Errorf("%d distinct events delivered of 3 (%d requests)", len(ids), len(rc.got))
	}
}

// TestRelayOnGranted: the relay test double receives a signed call for
// "granted" only.
func TestRelayOnGranted(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	var mu sync.Mutex
	var calls []map[string]any
	door := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if Verify([]byte("sec"), r.Header.Get(SignatureHeader), body, time.Now(), time.Minute) != nil {
			http.Error(w, "bad signature", 401)
			return
		}
		var m map[string]any
		json.Unmarshal(body, &m)
		mu.Lock()
		calls = append(calls, m)
		mu.Unlock()
	}))
	defer door.Close()
	ten, _ := st.CreateTenant(ctx, "t")
	col, _ := st.CreateCollection(ctx, ten.ID, "staff", "m", "test")
	cam, _ := st.CreateCamera(ctx, store.Camera{TenantID: ten.ID, Name: "door", Source: "/x.mp4", Mode: store.ModeGate, Collection: col.ID, Secret: "sec"}, "test")
	hub := NewHub(st, NewBroker(), nil, loopback, nil)
	hub.SetRelay(cam.ID, door.URL, "sec")
	hub.Event(ctx, cam.ID, stream.Event{Kind: stream.KindDeniedUnknown, Track: 1})
	hub.Event(ctx, cam.ID, stream.Event{Kind: stream.KindGranted, Track: 2, Subject: "emp-7", Score: 0.7})
	hub.Close()
	if len(calls) != 1 || calls[0]["subject_id"] != "emp-7" || calls[0]["action"] != "open" {
		t.Fatalf("relay calls: %+v", calls)
	}
	evs, _ := st.CameraEvents(ctx, ten.ID, cam.ID, 0, 10)
	if len(evs) != 2 || evs[0].Detail["subject_id"] != nil || evs[1].Detail["subject_id"] != "emp-7" {
		t.Fatalf("events: %+v", evs)
	}
}
