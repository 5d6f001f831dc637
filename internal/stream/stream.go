// Package stream runs cameras: each camera is a video source whose frames go
// through detection and tracking, then to a line counter and zone occupancy
// (counting mode) or to an access gate (gate mode). Every camera runs in its
// own goroutines and a slow or broken camera never blocks another. A Manager
// starts, restarts (on a changed configuration) and stops cameras, and
// reports each one's health and last frame (in memory only).
//
// Counting mode only ever calls Detector.Detect: no template is computed and
// no face data is kept. Track ids are per camera run and never linked across
// cameras. Frames are never written anywhere.
package stream

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mienhq/mien/count"
	"github.com/mienhq/mien/detect"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/track"
	"github.com/mienhq/mien/video"
)

// Modes.
const (
	ModeCount = "count"
	ModeGate  = "gate"
)

// Event kinds a camera produces. The gate's kinds come from its decisions.
const (
	KindIn             = "in"
	KindOut            = "out"
	KindGranted        = "granted"
	KindDeniedUnknown  = "denied_unknown"
	KindExpiredConsent = "expired_consent"
	KindDeniedNotLive  = "denied_not_live"
)

// Detector is all a camera uses of the engine: boxes and landmarks. It must
// be safe for concurrent use (cameras call it at once).
type Detector interface {
	Detect(ctx context.Context, img *face.Image, opts detect.Options) ([]face.Detection, error)
}

// Source is a started frame source (a *video.Source).
type Source interface {
	Start(ctx context.Context) error
	Next(ctx context.Context) (*video.Frame, error)
	Release(f *video.Frame)
	Health() video.Health
	Stop()
}

// Decision is what a gate decided about one track.
type Decision struct {
	Kind    string  // KindGranted, KindDeniedUnknown, KindExpiredConsent or KindDeniedNotLive
	Track   uint64  // the track, per camera
	Subject string  // the subject's id for granted and expired_consent; "" for unknown
	Score   float32 // the fused similarity; 0 for unknown
}

// Gate decides who the tracks of a gate camera are. Observe is called once
// per frame from the camera's goroutine, with the frame's pixels (valid only
// during the call), its detections and the tracker's result; it returns
// the decisions taken on this frame. Close is called when the camera stops.
type Gate interface {
	Observe(ctx context.Context, f *video.Frame, dets []face.Detection, res *track.Result) ([]Decision, error)
	Close() error
}

// GateFactory makes the gate of a gate camera (nil: gate mode unavailable).
type GateFactory func(cfg Config) (Gate, error)

// Event is what a camera reports: a crossing or a gate decision.
type Event struct {
	Kind    string
	At      time.Time
	Track   uint64
	Subject string
	Score   float32
	Box     face.Rect
}

// Minute is a camera's counts for part of one minute: crossings since the
// last report and, per zone, the peak occupancy seen.
type Minute struct {
	Start     time.Time
	In, Out   int
	Occupancy map[string]int
}

// Sink receives what cameras produce (the store, SSE, webhooks, relay).
// Its methods are called from each camera's goroutine and must be safe for
// concurrent use; a slow sink slows only the camera that calls it.
type Sink interface {
	Event(ctx context.Context, camera string, e Event) error
	Counts(ctx context.Context, camera string, m Minute) error
}

// Zone is a named polygon whose occupancy is counted from track centroids.
type Zone struct {
	Name    string
	Polygon []face.Point
}

// Config is one camera's configuration. Two equal Configs run the same way:
// Manager.Apply restarts a camera only when its Config changed.
type Config struct {
	ID, Name   string
	Tenant     string // the camera's tenant: a gate's collection is looked up in it
	Source     string // URL with credentials; never reported (Health masks it)
	Mode       string
	Collection string
	Line       *count.Line
	Hysteresis float32 // half-width of the band around the line (0: 8 px)
	Zones      []Zone
	FPS        float64
	Width      int
	Height     int
	MinSize    float32 // smallest face detected, pixels (0: 24)
	Transport  string
	Format     string
	Loop       bool
	AntiSpoof  bool // a gate camera's faces must look live before they are identified
}

// Validate checks a configuration before anything starts.
func (c Config) Validate() error {
	if c.ID == "" {
		return errors.New("stream: a camera needs an id")
	}
	if c.Mode != ModeCount && c.Mode != ModeGate {
		return fmt.Errorf("stream: mode %q: use count or gate", c.Mode)
	}
	if c.Mode == ModeGate && c.Collection == "" {
		return errors.New("stream: a gate camera needs a collection")
	}
	if c.Mode == ModeCount && c.Line == nil && len(c.Zones) == 0 {
		return errors.New("stream: a counting camera needs a line or zones")
	}
	if c.FPS <= 0 || c.FPS > 30 || c.Width < 64 || c.Height < 64 || c.Width > 3840 || c.Height > 2160 {
		return fmt.Errorf("stream: %dx%d at %g fps: width and height 64..3840 x 64..2160, fps above 0 and at most 30", c.Width, c.Height, c.FPS)
	}
	if c.Line != nil {
		if err := c.Line.Validate(); err != nil {
			return fmt.Errorf("stream: %w", err)
		}
	}
	for _, z := range c.Zones {
		if err := z.Validate(); err != nil {
			return err
		}
	}
	_, _, err := video.ParseSource(c.Source)
	if err != nil {
		return fmt.Errorf("stream: %w", err)
	}
	return nil
}
