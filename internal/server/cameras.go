package server

// Cameras (issue 11): /v1/cameras and the camera service the server runs.
// The server is transport only: internal/stream runs the cameras,
// internal/events stores and delivers what they see.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/mienhq/mien/count"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/internal/events"
	"github.com/mienhq/mien/internal/gallery"
	"github.com/mienhq/mien/internal/store"
	"github.com/mienhq/mien/internal/stream"
	"github.com/mienhq/mien/video"
)

// CameraDetector is what cameras use of the engine: detection only.
type CameraDetector = stream.Detector

// CameraOptions enable cameras in the server.
type CameraOptions struct {
	Detector stream.Detector // required: boxes and landmarks only
	FFmpeg   string          // the ffmpeg binary ("" : ffmpeg on PATH)
	// FileDir is the only directory file sources may name ("": no file or
	// V4L2 sources, only network streams).
	FileDir string
	// Retention is how long events and minute counts are kept (0: 30 days).
	Retention time.Duration
	// MaxPerTenant bounds a tenant's cameras (0: 16): each costs a decoder
	// and detection on every frame, so one tenant cannot take the machine.
	MaxPerTenant int
	// NewSource opens sources (tests); nil decodes with ffmpeg.
	NewSource func(stream.Config) (stream.Source, error)
	// Embedder computes templates for gate cameras (nil: gate cameras fail
	// with "gate mode is not available"). Counting cameras never use it.
	Embedder CameraEmbedder
	// Liveness scores gate cameras' faces for anti-spoofing (nil, or a
	// LivenessThreshold error: the model pack has no anti-spoof models, and
	// a gate camera must set anti_spoof to false).
	Liveness CameraLiveness
	// Outbound decides where webhooks and relays may go, checked when a
	// camera's URLs are set and on every connection (nil: http(s) to public
	// addresses only; cameras.webhook_allow_cidrs fills its Allow).
	Outbound *events.Guard
}

// cameraService is the server's running cameras and their event plumbing.
type cameraService struct {
	opts    CameraOptions
	mgr     *stream.Manager
	hub     *events.Hub
	broker  *events.Broker
	deliver *events.Deliverer
}

func (s *Server) newCameras() error {
	o := s.opts.Cameras
	if o == nil {
		return nil
	}
	if o.Retention <= 0 {
		o.Retention = 30 * 24 * time.Hour
	}
	if o.MaxPerTenant <= 0 {
		o.MaxPerTenant = 16
	}
	if o.Outbound == nil {
		o.Outbound = &events.Guard{}
	}
	cs := &cameraService{opts: *o, broker: events.NewBroker(), deliver: events.NewDeliverer(s.opts.Store, o.Outbound, s.opts.Logger)}
	cs.hub = events.NewHub(s.opts.Store, cs.broker, cs.deliver, o.Outbound, s.opts.Logger)
	var gates stream.GateFactory
	if o.Embedder != nil {
		gates = s.gateFactory(o.Embedder, o.Liveness)
	}
	mgr, err := stream.New(context.Background(), stream.Options{Detector: o.Detector, Sink: cs.hub, FFmpeg: o.FFmpeg,
		NewSource: o.NewSource, Gate: gates, Logger: s.opts.Logger, DetectSlots: s.opts.Workers})
	if err != nil {
		return err
	}
	cs.mgr = mgr
	s.cams = cs
	return nil
}

// RunCameras starts every stored camera and delivers webhooks until ctx
// ends, then stops the cameras. Without CameraOptions it returns at once.
func (s *Server) RunCameras(ctx context.Context) error {
	cs := s.cams
	if cs == nil {
		return nil
	}
	defer cs.hub.Close()
	defer cs.mgr.Close()
	cams, err := s.opts.Store.Cameras(ctx, "")
	if err != nil {
		return err
	}
	for _, c := range cams {
		if err := s.applyCamera(c); err != nil {
			s.opts.Logger.Error("camera not started", "camera", c.ID, "err", err)
		}
	}
	if n, err := s.opts.Store.ReplayOutbox(ctx); err != nil {
		return err
	} else if n > 0 {
		s.opts.Logger.Info("webhook outbox replayed", "pending", n)
	}
	cs.deliver.Run(ctx)
	return nil
}

// PurgeCameraData deletes events and counts past the retention.
func (s *Server) PurgeCameraData(ctx context.Context, now time.Time) (int64, error) {
	if s.cams == nil {
		return 0, nil
	}
	return s.opts.Store.PurgeCameraData(ctx, now.Add(-s.cams.opts.Retention))
}

func (s *Server) applyCamera(c store.Camera) error {
	cfg, err := s.cameraConfig(c)
	if err != nil {
		return err
	}
	s.cams.hub.SetRelay(c.ID, c.Settings.RelayURL, c.Secret)
	return s.cams.mgr.Apply(cfg)
}

// eraseCollection erases a collection (every path that deletes one comes
// here) and stops its gate cameras at once.
func (s *Server) eraseCollection(ctx context.Context, who gallery.Actor, id string) error {
	if err := s.gal.DeleteCollection(ctx, who, id); err != nil {
		return err
	}
	s.stopCollectionCameras(who.Tenant, id)
	return nil
}

// stopCollectionCameras stops the gate cameras of a deleted collection
// before the deletion is answered: their ffmpeg is killed and no frame of
// theirs is looked at again. They stay, failed with the reason in their
// health, until they are given another collection or deleted (a restart
// finds them failed the same way: their gate has no collection).
func (s *Server) stopCollectionCameras(tenant, collection string) {
	if s.cams == nil {
		return
	}
	ids := s.cams.mgr.StopWhere(func(c stream.Config) bool {
		return c.Tenant == tenant && c.Mode == stream.ModeGate && c.Collection == collection
	}, "stopped: its collection "+collection+" was deleted")
	for _, id := range ids {
		s.cams.hub.SetRelay(id, "", "")
	}
	if len(ids) > 0 {
		s.opts.Logger.Info("gate cameras stopped: their collection was deleted", "collection", collection, "cameras", ids)
	}
}

// cameraConfig turns a stored camera into a stream configuration,
// validating it (400 for what is wrong).
func (s *Server) cameraConfig(c store.Camera) (stream.Config, error) {
	st := c.Settings
	cfg := stream.Config{ID: c.ID, Name: c.Name, Tenant: c.TenantID, Source: c.Source, Mode: c.Mode, Collection: c.Collection, FPS: st.FPS,
		Width: st.Width, Height: st.Height, MinSize: st.MinSize, Transport: st.Transport, Format: st.Format, Loop: st.Loop,
		AntiSpoof: c.Mode == stream.ModeGate && (st.AntiSpoof == nil || *st.AntiSpoof)}
	if st.AntiSpoof != nil && c.Mode != stream.ModeGate {
		return cfg, badRequest("anti_spoof: only a gate camera identifies faces; leave it out for a counting camera")
	}
	if len(st.Line) > 0 {
		if len(st.Line) != 4 {
			return cfg, badRequest("line: give [x1, y1, x2, y2]")
		}
		cfg.Line = &count.Line{A: face.Point{X: st.Line[0], Y: st.Line[1]}, B: face.Point{X: st.Line[2], Y: st.Line[3]}}
	}
	for _, z := range st.Zones {
		zone := stream.Zone{Name: z.Name}
		for _, p := range z.Polygon {
			zone.Polygon = append(zone.Polygon, face.Point{X: p[0], Y: p[1]})
		}
		cfg.Zones = append(cfg.Zones, zone)
	}
	if err := cfg.Validate(); err != nil {
		return cfg, badRequest(err.Error())
	}
	if _, err := video.New(c.Source, video.Options{FFmpeg: "ffmpeg", Width: st.Width, Height: st.Height, FPS: st.FPS,
		Transport: st.Transport, Format: st.Format}); err != nil {
		return cfg, badRequest(err.Error())
	}
	if err := s.checkLocalSource(c.Source); err != nil {
		return cfg, err
	}
	for name, u := range map[string]string{"webhook_url": st.WebhookURL, "relay_url": st.RelayURL} {
		if p, err := url.Parse(u); u != "" && (err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "") {
			return cfg, badRequest(name + " must be an http or https URL")
		}
	}
	return cfg, nil
}

// checkAntiSpoof refuses (400) a gate camera with anti-spoofing on where
// the model pack has no anti-spoof models. Only where a camera is created
// or changed: a stored camera started on such a server fails in its health
// with the gate's reason instead.
func (s *Server) checkAntiSpoof(cfg stream.Config) error {
	if !cfg.AntiSpoof || s.cams.opts.Embedder == nil {
		return nil
	}
	if l := s.cams.opts.Liveness; l != nil {
		if _, err := l.LivenessThreshold(); err == nil {
			return nil
		}
	}
	return badRequest("anti_spoof: this server's model pack has no anti-spoof models (the standard pack has them: mien models install standard); " +
		"install it, or set anti_spoof to false to gate without (a photo or a screen showing an enrolled person would then be granted)")
}

// checkOutbound refuses webhook and relay URLs that lead to the server's
// own networks (events.Guard), resolving their hosts now; delivery checks
// again on every connection. Only where URLs are set: a camera started
// from the store is not stopped by a name that does not resolve today.
func (s *Server) checkOutbound(ctx context.Context, st store.CameraSettings) error {
	for _, u := range []struct{ name, url string }{{"webhook_url", st.WebhookURL}, {"relay_url", st.RelayURL}} {
		if u.url == "" {
			continue
		}
		if err := s.cams.opts.Outbound.CheckURL(ctx, u.url); err != nil {
			return badRequest(u.name + ": " + strings.TrimPrefix(err.Error(), "events: "))
		}
	}
	return nil
}

// checkLocalSource keeps file and device sources inside FileDir: a tenant
// may not make the server read its own files.
func (s *Server) checkLocalSource(src string) error {
	kind, input, err := video.ParseSource(src)
	if err != nil || (kind != video.KindFile && kind != video.KindV4L2) {
		return err
	}
	dir := s.cams.opts.FileDir
	if kind == video.KindV4L2 || dir == "" {
		return badRequest("this server takes network sources only (rtsp://, http://); file and device sources need the camera file directory set (docs/configuration.md)")
	}
	dir, _ = filepath.Abs(dir)
	abs, err := filepath.Abs(strings.TrimPrefix(input, "file:"))
	if err != nil {
		return badRequest("source: " + err.Error())
	}
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real // a link inside the directory may not lead out of it
	}
	if rel, err := filepath.Rel(dir, abs); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return badRequest("file sources must be inside the camera file directory")
	}
	return nil
}

// maskSource hides a source URL's password (and any query string, where
// some cameras put tokens).
func maskSource(src string) string {
	u, err := url.Parse(src)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return src
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
	}
	if u.RawQuery != "" {
		u.RawQuery = "xxxxx"
	}
	return u.String()
}

func newSecret() string {
	b := make([]byte, 24)
	rand.Read(b)
	return "whsec_" + hex.EncodeToString(b)
}

// errCamerasOff answers the camera routes of a server without cameras.
var errCamerasOff = &apiError{http.StatusServiceUnavailable, "cameras_disabled", "cameras are not enabled on this server (ffmpeg not found, or disabled in the configuration)"}

func (s *Server) requireCameras() error {
	if s.cams == nil {
		return errCamerasOff
	}
	return nil
}

var errNoFrame = &apiError{http.StatusNotFound, "no_frame", "the camera has no frame yet"}

func isNoCamera(err error) bool { return errors.Is(err, stream.ErrNoCamera) }

func fmtID(id string) string { return fmt.Sprintf("camera %s", id) }
