package events

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/mienhq/mien/internal/store"
)

// Body is the JSON a webhook receives.
type Body struct {
	ID       string         `json:"id"`
	Seq      int64          `json:"seq"`
	CameraID string         `json:"camera_id"`
	Kind     string         `json:"kind"`
	At       time.Time      `json:"at"`
	Detail   map[string]any `json:"detail,omitempty"`
}

// BodyOf is the wire form of a stored event.
func BodyOf(e store.CameraEvent) Body {
	return Body{ID: e.ID, Seq: e.Seq, CameraID: e.CameraID, Kind: e.Kind, At: e.At, Detail: e.Detail}
}

// Deliverer posts webhooks from the store's outbox: each event at least
// once, in order of due time, retrying failures with exponential back-off
// (1 s doubling to MaxBackoff, with jitter). An event is marked delivered
// only after a 2xx answer, so a crash at any point means a retry, never a
// loss.
type Deliverer struct {
	Store      *store.Store
	Client     *http.Client  // the Guard's client: 10 s timeout, allowed addresses only, no redirects
	MaxBackoff time.Duration // 0: 5 minutes
	Poll       time.Duration // 0: 1 s; how often the outbox is read without a wake-up
	Logger     *slog.Logger

	wake chan struct{}
}

// NewDeliverer makes a Deliverer for st that posts only where g allows
// (nil: the zero Guard, public addresses only), checked on each connection.
func NewDeliverer(st *store.Store, g *Guard, log *slog.Logger) *Deliverer {
	if log == nil {
		log = slog.Default()
	}
	if g == nil {
		g = &Guard{}
	}
	return &Deliverer{Store: st, Logger: log, wake: make(chan struct{}, 1), Client: g.Client(10 * time.Second)}
}

// Wake makes Run read the outbox now.
func (d *Deliverer) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx ends.
func (d *Deliverer) Run(ctx context.Context) {
	poll := d.Poll
	if poll <= 0 {
		poll = time.Second
	}
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		for d.Once(ctx) > 0 && ctx.Err() == nil {
		}
		select {
		case <-ctx.Done():
			return
		case <-d.wake:
		case <-t.C:
		}
	}
}

// Once attempts every due delivery (up to 100) and returns how many it tried.
func (d *Deliverer) Once(ctx context.Context) int {
	due, err := d.Store.DueDeliveries(ctx, 100)
	if err != nil {
		if ctx.Err() == nil {
			d.Logger.Error("webhook outbox", "err", err)
		}
		return 0
	}
	for _, dl := range due {
		err := d.post(ctx, dl)
		if ctx.Err() != nil {
			return 0 // shutting down: the outbox keeps it for the next start
		}
		if err == nil {
			err = d.Store.DeliveryDone(ctx, dl.ID)
			if err != nil {
				d.Logger.Error("webhook outbox", "err", err)
			}
			continue
		}
		next := time.Now().Add(d.backoff(dl.Attempts))
		d.Logger.Warn("webhook failed", "event", dl.Event.ID, "attempt", dl.Attempts+1, "retry_at", next, "err", err)
		if err := d.Store.DeliveryFailed(ctx, dl.ID, next, err.Error()); err != nil {
			d.Logger.Error("webhook outbox", "err", err)
		}
	}
	return len(due)
}

func (d *Deliverer) backoff(attempts int) time.Duration {
	maxB := d.MaxBackoff
	if maxB <= 0 {
		maxB = 5 * time.Minute
	}
	b := time.Second << min(attempts, 20)
	b = min(b, maxB)
	return b/2 + time.Duration(rand.Int64N(int64(b/2)+1))
}

// post sends one webhook; any answer but 2xx is a failure.
func (d *Deliverer) post(ctx context.Context, dl store.Delivery) error {
	if dl.URL == "" {
		return fmt.Errorf("events: camera %s has no webhook URL now", dl.Event.CameraID)
	}
	body, _ := json.Marshal(BodyOf(dl.Event))
	return Post(ctx, d.Client, dl.URL, []byte(dl.Secret), dl.Event.ID, body)
}

// Post sends a signed JSON request and succeeds on a 2xx answer.
func Post(ctx context.Context, c *http.Client, url string, secret []byte, eventID string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("events: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "mien-webhook/1")
	req.Header.Set(EventIDHeader, eventID)
	req.Header.Set(SignatureHeader, Sign(secret, time.Now(), body))
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("events: %w", err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("events: %s answered %s", req.URL.Redacted(), resp.Status)
	}
	return nil
}
