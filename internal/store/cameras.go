package store

// Cameras (issue 11): a tenant's camera configurations, the events they
// produce, per-minute counts, and the webhook outbox. The source URL and the
// webhook secret are sealed with the master key (a camera URL often carries
// a password). No image, crop or template is ever stored here: events carry
// ids, scores and times only.

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// migrationCameras adds cameras, their events, per-minute counts and the
// webhook outbox. Deleting a camera deletes all of them.
var migrationCameras = `
	CREATE TABLE cameras (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
	  name TEXT NOT NULL, source_sealed BLOB NOT NULL, mode TEXT NOT NULL, collection_id TEXT NOT NULL,
	  settings TEXT NOT NULL, secret_sealed BLOB NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
	  UNIQUE(tenant_id, name));
	CREATE TABLE camera_events (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
	  camera_id TEXT NOT NULL REFERENCES cameras(id) ON DELETE CASCADE, tenant_id TEXT NOT NULL,
	  kind TEXT NOT NULL, at INTEGER NOT NULL, detail TEXT NOT NULL);
	CREATE INDEX camera_events_camera ON camera_events(camera_id, seq);
	CREATE INDEX camera_events_at ON camera_events(at);
	CREATE TABLE camera_counts (camera_id TEXT NOT NULL REFERENCES cameras(id) ON DELETE CASCADE,
	  minute INTEGER NOT NULL, in_count INTEGER NOT NULL, out_count INTEGER NOT NULL, occupancy TEXT NOT NULL,
	  PRIMARY KEY(camera_id, minute));
	CREATE TABLE webhook_outbox (id INTEGER PRIMARY KEY AUTOINCREMENT,
	  event_seq INTEGER NOT NULL REFERENCES camera_events(seq) ON DELETE CASCADE,
	  camera_id TEXT NOT NULL REFERENCES cameras(id) ON DELETE CASCADE,
	  attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL, last_error TEXT NOT NULL DEFAULT '',
	  delivered_at INTEGER);
	CREATE INDEX webhook_outbox_due ON webhook_outbox(delivered_at, next_at);`

// Camera modes.
const (
	ModeCount = "count" // anonymous counting: detection and tracking only
	ModeGate  = "gate"  // access gate: tracks identified against a collection
)

// Camera is a tenant's camera. Source and Secret are never sent to clients
// as stored: the server masks the source's password and shows the secret
// once, at creation.
type Camera struct {
	ID         string         `json:"id"`
	TenantID   string         `json:"-"`
	Name       string         `json:"name"`
	Source     string         `json:"-"`
	Mode       string         `json:"mode"`
	Collection string         `json:"collection_id,omitempty"`
	Settings   CameraSettings `json:"settings"`
	Secret     string         `json:"-"` // the webhook signing secret
	CreatedAt  int64          `json:"created_at"`
	UpdatedAt  int64          `json:"updated_at"`
}

// CameraSettings are a camera's analysis and delivery settings, stored as
// JSON; the server validates them before they reach the store.
type CameraSettings struct {
	Line       []float32 `json:"line,omitempty"` // x1,y1,x2,y2 in frame pixels
	Zones      []Zone    `json:"zones,omitempty"`
	FPS        float64   `json:"fps"`
	Width      int       `json:"width"`
	Height     int       `json:"height"`
	MinSize    float32   `json:"min_size,omitempty"`
	Transport  string    `json:"transport,omitempty"` // RTSP: tcp or udp
	Format     string    `json:"format,omitempty"`    // forced input format, e.g. mpjpeg
	Loop       bool      `json:"loop,omitempty"`      // replay a file source forever (demos, tests)
	WebhookURL string    `json:"webhook_url,omitempty"`
	RelayURL   string    `json:"relay_url,omitempty"` // called on every granted event
	// AntiSpoof: a gate camera checks that a face is live (not a photo or
	// a screen) before identifying it; nil means on.
	AntiSpoof *bool `json:"anti_spoof,omitempty"`
}

// Zone is a named polygon whose occupancy is counted.
type Zone struct {
	Name    string       `json:"name"`
	Polygon [][2]float32 `json:"polygon"`
}

func sourceAAD(id string) []byte { return []byte("camera-source:" + id) }
func secretAAD(id string) []byte { return []byte("camera-secret:" + id) }

// CreateCamera stores a new camera for a tenant, audited. The collection
// of a gate camera must be the tenant's.
func (s *Store) CreateCamera(ctx context.Context, c Camera, actor string) (Camera, error) {
	if c.Name == "" || c.Source == "" || c.Secret == "" || (c.Mode != ModeCount && c.Mode != ModeGate) {
		return Camera{}, fmt.Errorf("%w: a camera needs a name, a source, a secret and mode count or gate", ErrInvalid)
	}
	c.ID = newID("cam")
	c.CreatedAt = s.now().Unix()
	c.UpdatedAt = c.CreatedAt
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if c.Collection != "" {
			if err := ownedTx(ctx, tx, c.TenantID, c.Collection); err != nil {
				return err
			}
		}
		src, sec, set, err := s.sealCamera(c)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO cameras(id, tenant_id, name, source_sealed, mode, collection_id, settings,
			secret_sealed, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)`,
			c.ID, c.TenantID, c.Name, src, c.Mode, c.Collection, set, sec, c.CreatedAt, c.UpdatedAt)
		if isUnique(err) {
			return fmt.Errorf("%w: camera %q", ErrExists, c.Name)
		}
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, Entry{TenantID: c.TenantID, Actor: actor, Action: "camera.create", Object: c.ID,
			Detail: map[string]any{"name": c.Name, "mode": c.Mode, "collection": c.Collection}})
	})
	return c, wrapErr(err)
}

func (s *Store) sealCamera(c Camera) (src, sec []byte, set string, err error) {
	if src, err = seal(s.master, []byte(c.Source), sourceAAD(c.ID)); err != nil {
		return
	}
	if sec, err = seal(s.master, []byte(c.Secret), secretAAD(c.ID)); err != nil {
		return
	}
	b, err := json.Marshal(c.Settings)
	return src, sec, string(b), err
}

// UpdateCamera replaces a tenant's camera's name, source, mode, collection
// and settings (the secret is kept), audited.
func (s *Store) UpdateCamera(ctx context.Context, c Camera, actor string) (Camera, error) {
	old, err := s.Camera(ctx, c.TenantID, c.ID)
	if err != nil {
		return Camera{}, err
	}
	if c.Source == "" {
		c.Source = old.Source
	}
	c.Secret, c.CreatedAt, c.UpdatedAt = old.Secret, old.CreatedAt, s.now().Unix()
	if c.Name == "" || (c.Mode != ModeCount && c.Mode != ModeGate) {
		return Camera{}, fmt.Errorf("%w: a camera needs a name and mode count or gate", ErrInvalid)
	}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		if c.Collection != "" {
			if err := ownedTx(ctx, tx, c.TenantID, c.Collection); err != nil {
				return err
			}
		}
		src, sec, set, err := s.sealCamera(c)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE cameras SET name=?, source_sealed=?, mode=?, collection_id=?, settings=?,
			secret_sealed=?, updated_at=? WHERE id=? AND tenant_id=?`, c.Name, src, c.Mode, c.Collection, set, sec, c.UpdatedAt, c.ID, c.TenantID)
		if isUnique(err) {
			return fmt.Errorf("%w: camera %q", ErrExists, c.Name)
		}
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, Entry{TenantID: c.TenantID, Actor: actor, Action: "camera.update", Object: c.ID,
			Detail: map[string]any{"name": c.Name, "mode": c.Mode, "collection": c.Collection}})
	})
	return c, wrapErr(err)
}

// DeleteCamera deletes a tenant's camera with its events, counts and
// outbox, audited.
func (s *Store) DeleteCamera(ctx context.Context, tenantID, id, actor string) error {
	return wrapErr(s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM cameras WHERE id = ? AND tenant_id = ?`, id, tenantID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("%w: camera %s", ErrNotFound, id)
		}
		return s.audit(ctx, tx, Entry{TenantID: tenantID, Actor: actor, Action: "camera.delete", Object: id})
	}))
}

const cameraCols = `id, tenant_id, name, source_sealed, mode, collection_id, settings, secret_sealed, created_at, updated_at`

func (s *Store) scanCamera(row interface{ Scan(...any) error }) (Camera, error) {
	var c Camera
	var src, sec []byte
	var set string
	if err := row.Scan(&c.ID, &c.TenantID, &c.Name, &src, &c.Mode, &c.Collection, &set, &sec, &c.CreatedAt, &c.UpdatedAt); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return c, fmt.Errorf("%w: camera", ErrNotFound)
		}
		return c, err
	}
	plain, err := open(s.master, src, sourceAAD(c.ID))
	if err != nil {
		return c, err
	}
	c.Source = string(plain)
	if plain, err = open(s.master, sec, secretAAD(c.ID)); err != nil {
		return c, err
	}
	c.Secret = string(plain)
	return c, json.Unmarshal([]byte(set), &c.Settings)
}

// Camera returns a tenant's camera (ErrNotFound for another tenant's).
func (s *Store) Camera(ctx context.Context, tenantID, id string) (Camera, error) {
	c, err := s.scanCamera(s.db.QueryRowContext(ctx, `SELECT `+cameraCols+` FROM cameras WHERE id = ? AND tenant_id = ?`, id, tenantID))
	return c, wrapErr(err)
}

// Cameras returns a tenant's cameras, or every tenant's when tenantID is
// empty (the server starting its cameras).
func (s *Store) Cameras(ctx context.Context, tenantID string) ([]Camera, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+cameraCols+` FROM cameras WHERE ? = '' OR tenant_id = ? ORDER BY created_at, id`, tenantID, tenantID)
	if err != nil {
		return nil, wrapErr(err)
	}
	defer rows.Close()
	var out []Camera
	for rows.Next() {
		c, err := s.scanCamera(rows)
		if err != nil {
			return nil, wrapErr(err)
		}
		out = append(out, c)
	}
	return out, wrapErr(rows.Err())
}

// minuteOf is the start of t's minute in Unix seconds.
func minuteOf(t time.Time) int64 { return t.Unix() / 60 * 60 }

// isUnique reports a UNIQUE constraint failure.
func isUnique(err error) bool {
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint")
}
