package events

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/mienhq/mien/internal/store"
	"github.com/mienhq/mien/internal/stream"
)

// Hub is the cameras' stream.Sink: it stores each event (with its outbox
// entry), wakes live subscribers and the webhook deliverer, and calls a
// camera's relay on "granted". It is safe for concurrent use.
type Hub struct {
	store   *store.Store
	broker  *Broker
	deliver *Deliverer
	client  *http.Client
	log     *slog.Logger

	mu     sync.Mutex
	relays map[string]relay
	wg     sync.WaitGroup
}

type relay struct{ url, secret string }

// NewHub makes a Hub; deliverer may be nil (no webhooks). Relays are
// called only where g allows (nil: public addresses only).
func NewHub(st *store.Store, b *Broker, d *Deliverer, g *Guard, log *slog.Logger) *Hub {
	if log == nil {
		log = slog.Default()
	}
	if g == nil {
		g = &Guard{}
	}
	return &Hub{store: st, broker: b, deliver: d, log: log, relays: map[string]relay{}, client: g.Client(3 * time.Second)}
}

// SetRelay sets (or, with an empty url, clears) the door controller a
// camera calls on "granted", signed with the camera's secret.
func (h *Hub) SetRelay(camera, url, secret string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if url == "" {
		delete(h.relays, camera)
		return
	}
	h.relays[camera] = relay{url, secret}
}

// Event stores a camera's event and passes it on.
func (h *Hub) Event(ctx context.Context, camera string, e stream.Event) error {
	detail := map[string]any{"track": e.Track}
	if !e.Box.Empty() {
		detail["box"] = e.Box
	}
	if e.Subject != "" {
		detail["subject_id"] = e.Subject
		detail["score"] = e.Score
	}
	ev, err := h.store.AddCameraEvent(ctx, store.CameraEvent{CameraID: camera, Kind: e.Kind, At: e.At, Detail: detail})
	if err != nil {
		return err
	}
	h.broker.Publish(camera)
	if h.deliver != nil {
		h.deliver.Wake()
	}
	if e.Kind == stream.KindGranted {
		h.mu.Lock()
		r, ok := h.relays[camera]
		h.mu.Unlock()
		if ok {
			h.wg.Add(1)
			go h.relay(context.WithoutCancel(ctx), r, ev)
		}
	}
	return nil
}

// relay calls the door controller, trying twice; a door that does not
// answer within seconds is of no use to the person standing at it, so
// relays are not queued in the outbox (webhooks are).
func (h *Hub) relay(ctx context.Context, r relay, ev store.CameraEvent) {
	defer h.wg.Done()
	body, _ := json.Marshal(map[string]any{"action": "open", "event_id": ev.ID, "camera_id": ev.CameraID,
		"subject_id": ev.Detail["subject_id"], "at": ev.At})
	var err error
	for try := 0; try < 2; try++ {
		if err = Post(ctx, h.client, r.url, []byte(r.secret), ev.ID, body); err == nil {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	h.log.Warn("relay failed", "camera", ev.CameraID, "event", ev.ID, "err", err)
}

// Counts adds a camera's minute counts to the store.
func (h *Hub) Counts(ctx context.Context, camera string, m stream.Minute) error {
	return h.store.AddCounts(ctx, camera, store.MinuteCount{Minute: m.Start, In: m.In, Out: m.Out, Occupancy: m.Occupancy})
}

// Close waits for relay calls in flight.
func (h *Hub) Close() { h.wg.Wait() }
