package store

// Camera events, per-minute counts, the webhook outbox and retention.

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// CameraEvent is one thing a camera saw: "granted", "denied_unknown",
// "expired_consent", or a counting event ("in", "out"). Detail holds ids,
// scores and boxes only, never pixels or templates.
type CameraEvent struct {
	Seq      int64          `json:"seq"` // increases with every event of the store: SSE's Last-Event-ID
	ID       string         `json:"id"`  // stable: webhook receivers de-duplicate on it
	CameraID string         `json:"camera_id"`
	TenantID string         `json:"-"`
	Kind     string         `json:"kind"`
	At       time.Time      `json:"at"`
	Detail   map[string]any `json:"detail,omitempty"`
}

// AddCameraEvent stores an event and, when the camera has a webhook, its
// outbox entry, in one transaction: once this returns, the event will be
// delivered even if the process dies the next instant.
func (s *Store) AddCameraEvent(ctx context.Context, e CameraEvent) (CameraEvent, error) {
	if e.Kind == "" || e.CameraID == "" {
		return e, fmt.Errorf("%w: an event needs a camera and a kind", ErrInvalid)
	}
	if e.ID == "" {
		e.ID = newID("evt")
	}
	if e.At.IsZero() {
		e.At = s.now()
	}
	detail, err := json.Marshal(e.Detail)
	if err != nil {
		return e, fmt.Errorf("store: %w", err)
	}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		var set string
		if err := tx.QueryRowContext(ctx, `SELECT tenant_id, settings FROM cameras WHERE id = ?`, e.CameraID).Scan(&e.TenantID, &set); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("%w: camera %s", ErrNotFound, e.CameraID)
			}
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO camera_events(id, camera_id, tenant_id, kind, at, detail) VALUES (?,?,?,?,?,?)`,
			e.ID, e.CameraID, e.TenantID, e.Kind, e.At.UnixMilli(), string(detail))
		if err != nil {
			return err
		}
		if e.Seq, err = res.LastInsertId(); err != nil {
			return err
		}
		var cs CameraSettings
		json.Unmarshal([]byte(set), &cs)
		if cs.WebhookURL == "" {
			return nil
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO webhook_outbox(event_seq, camera_id, next_at) VALUES (?,?,?)`, e.Seq, e.CameraID, s.now().UnixMilli())
		return err
	})
	return e, wrapErr(err)
}

// CameraEvents returns up to limit of a tenant's camera's events with a
// sequence number above after, oldest first.
func (s *Store) CameraEvents(ctx context.Context, tenantID, cameraID string, after int64, limit int) ([]CameraEvent, error) {
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	rows, err := s.db.QueryContext(ctx, `SELECT seq, id, camera_id, tenant_id, kind, at, detail FROM camera_events
		WHERE camera_id = ? AND tenant_id = ? AND seq > ? ORDER BY seq LIMIT ?`, cameraID, tenantID, after, limit)
	if err != nil {
		return nil, wrapErr(err)
	}
	defer rows.Close()
	out := []CameraEvent{}
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, wrapErr(err)
		}
		out = append(out, e)
	}
	return out, wrapErr(rows.Err())
}

func scanEvent(row interface{ Scan(...any) error }) (CameraEvent, error) {
	var e CameraEvent
	var at int64
	var detail string
	if err := row.Scan(&e.Seq, &e.ID, &e.CameraID, &e.TenantID, &e.Kind, &at, &detail); err != nil {
		return e, err
	}
	e.At = time.UnixMilli(at).UTC()
	return e, json.Unmarshal([]byte(detail), &e.Detail)
}

// MinuteCount is one camera's counts for one minute: line crossings and,
// per zone, the most people seen in it at once during that minute.
type MinuteCount struct {
	Minute    time.Time      `json:"minute"`
	In        int            `json:"in"`
	Out       int            `json:"out"`
	Occupancy map[string]int `json:"occupancy,omitempty"`
}

// AddCounts adds crossings to a camera's minute and raises its zones'
// peak occupancy.
func (s *Store) AddCounts(ctx context.Context, cameraID string, m MinuteCount) error {
	minute := minuteOf(m.Minute)
	return wrapErr(s.tx(ctx, func(tx *sql.Tx) error {
		var occ string
		err := tx.QueryRowContext(ctx, `SELECT occupancy FROM camera_counts WHERE camera_id = ? AND minute = ?`, cameraID, minute).Scan(&occ)
		merged := map[string]int{}
		if err == nil {
			json.Unmarshal([]byte(occ), &merged)
		} else if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		for z, n := range m.Occupancy {
			merged[z] = max(merged[z], n)
		}
		b, _ := json.Marshal(merged)
		_, err = tx.ExecContext(ctx, `INSERT INTO camera_counts(camera_id, minute, in_count, out_count, occupancy) VALUES (?,?,?,?,?)
			ON CONFLICT(camera_id, minute) DO UPDATE SET in_count = in_count + excluded.in_count,
			out_count = out_count + excluded.out_count, occupancy = excluded.occupancy`, cameraID, minute, m.In, m.Out, string(b))
		return err
	}))
}

// CameraCounts returns a tenant's camera's minutes from since on, oldest first.
func (s *Store) CameraCounts(ctx context.Context, tenantID, cameraID string, since time.Time) ([]MinuteCount, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT k.minute, k.in_count, k.out_count, k.occupancy FROM camera_counts k
		JOIN cameras c ON c.id = k.camera_id WHERE k.camera_id = ? AND c.tenant_id = ? AND k.minute >= ? ORDER BY k.minute`,
		cameraID, tenantID, minuteOf(since))
	if err != nil {
		return nil, wrapErr(err)
	}
	defer rows.Close()
	out := []MinuteCount{}
	for rows.Next() {
		var m MinuteCount
		var minute int64
		var occ string
		if err := rows.Scan(&minute, &m.In, &m.Out, &occ); err != nil {
			return nil, wrapErr(err)
		}
		m.Minute = time.Unix(minute, 0).UTC()
		json.Unmarshal([]byte(occ), &m.Occupancy)
		out = append(out, m)
	}
	return out, wrapErr(rows.Err())
}

// Delivery is a webhook waiting in the outbox.
type Delivery struct {
	ID       int64
	Attempts int
	URL      string
	Secret   string
	Event    CameraEvent
}

// DueDeliveries returns up to limit undelivered webhooks whose next
// attempt is due, oldest first.
func (s *Store) DueDeliveries(ctx context.Context, limit int) ([]Delivery, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT o.id, o.attempts, e.seq, e.id, e.camera_id, e.tenant_id, e.kind, e.at, e.detail
		FROM webhook_outbox o JOIN camera_events e ON e.seq = o.event_seq
		WHERE o.delivered_at IS NULL AND o.next_at <= ? ORDER BY o.next_at, o.id LIMIT ?`, s.now().UnixMilli(), limit)
	if err != nil {
		return nil, wrapErr(err)
	}
	var out []Delivery
	for rows.Next() {
		var d Delivery
		var at int64
		var detail string
		if err := rows.Scan(&d.ID, &d.Attempts, &d.Event.Seq, &d.Event.ID, &d.Event.CameraID, &d.Event.TenantID, &d.Event.Kind, &at, &detail); err != nil {
			rows.Close()
			return nil, wrapErr(err)
		}
		d.Event.At = time.UnixMilli(at).UTC()
		json.Unmarshal([]byte(detail), &d.Event.Detail)
		out = append(out, d)
	}
	rows.Close()
	for i := range out { // the camera's current webhook URL and secret
		c, err := s.Camera(ctx, out[i].Event.TenantID, out[i].Event.CameraID)
		if err != nil {
			return nil, err
		}
		out[i].URL, out[i].Secret = c.Settings.WebhookURL, c.Secret
	}
	return out, wrapErr(rows.Err())
}

// DeliveryDone marks a webhook delivered.
func (s *Store) DeliveryDone(ctx context.Context, id int64) error {
	_, err := s.db.ExecContext(ctx, `UPDATE webhook_outbox SET delivered_at = ?, attempts = attempts + 1, last_error = '' WHERE id = ?`,
		s.now().UnixMilli(), id)
	return wrapErr(err)
}

// DeliveryFailed records a failed attempt and when to try again.
func (s *Store) DeliveryFailed(ctx context.Context, id int64, next time.Time, why string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE webhook_outbox SET attempts = attempts + 1, next_at = ?, last_error = ? WHERE id = ?`,
		next.UnixMilli(), why, id)
	return wrapErr(err)
}

// OutboxPending counts undelivered webhooks.
func (s *Store) OutboxPending(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM webhook_outbox WHERE delivered_at IS NULL`).Scan(&n)
	return n, wrapErr(err)
}

// PurgeCameraData deletes events (with their outbox entries, delivered or
// not) and minute counts older than before; it returns how many events went.
func (s *Store) PurgeCameraData(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM camera_events WHERE at < ?`, before.UnixMilli())
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		_, err = tx.ExecContext(ctx, `DELETE FROM camera_counts WHERE minute < ?`, minuteOf(before))
		return err
	})
	return n, wrapErr(err)
}

// ReplayOutbox makes every undelivered webhook due now (a restart replays
// the outbox at once instead of waiting out back-offs begun before it).
func (s *Store) ReplayOutbox(ctx context.Context) (int64, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE webhook_outbox SET next_at = ? WHERE delivered_at IS NULL`, s.now().UnixMilli())
	if err != nil {
		return 0, wrapErr(err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}
