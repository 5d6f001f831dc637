package server

import (
	"fmt"
	"net/http"
	"time"

	"github.com/mienhq/mien/internal/store"
	"github.com/mienhq/mien/internal/stream"
)

func (s *Server) cameraRoutes() {
	s.handle("POST /v1/cameras", store.RoleAdmin, s.createCamera)
	s.handle("GET /v1/cameras", store.RoleRead, s.listCameras)
	s.handle("GET /v1/cameras/{id}", store.RoleRead, s.getCamera)
	s.handle("PUT /v1/cameras/{id}", store.RoleAdmin, s.updateCamera)
	s.handle("DELETE /v1/cameras/{id}", store.RoleAdmin, s.deleteCamera)
	s.handle("GET /v1/cameras/{id}/events", store.RoleRead, s.cameraEvents)
	s.handle("GET /v1/cameras/{id}/counts", store.RoleRead, s.cameraCounts)
	// a snapshot is a picture of the people in front of the camera: only the
	// role that manages cameras sees it, and every read is audited
	s.handle("GET /v1/cameras/{id}/snapshot", store.RoleAdmin, s.cameraSnapshot)
}

// cameraRequest is the body of POST and PUT /v1/cameras.
type cameraRequest struct {
	Name       string       `json:"name"`
	Source     string       `json:"source"` // PUT: empty keeps the stored source
	Mode       string       `json:"mode"`
	Collection string       `json:"collection_id"`
	Line       []float32    `json:"line"`
	Zones      []store.Zone `json:"zones"`
	FPS        float64      `json:"fps"`
	Width      int          `json:"width"`
	Height     int          `json:"height"`
	MinSize    float32      `json:"min_size"`
	Transport  string       `json:"transport"`
	Format     string       `json:"format"`
	Loop       bool         `json:"loop"`
	WebhookURL string       `json:"webhook_url"`
	RelayURL   string       `json:"relay_url"`
	AntiSpoof  *bool        `json:"anti_spoof"`
}

func (q cameraRequest) camera(k store.Key) store.Camera {
	st := store.CameraSettings{Line: q.Line, Zones: q.Zones, FPS: q.FPS, Width: q.Width, Height: q.Height, MinSize: q.MinSize,
		Transport: q.Transport, Format: q.Format, Loop: q.Loop, WebhookURL: q.WebhookURL, RelayURL: q.RelayURL, AntiSpoof: q.AntiSpoof}
	if st.FPS == 0 {
		st.FPS = 5
	}
	if st.Width == 0 && st.Height == 0 {
		st.Width, st.Height = 1280, 720
	}
	return store.Camera{TenantID: k.TenantID, Name: q.Name, Source: q.Source, Mode: q.Mode, Collection: q.Collection, Settings: st}
}

// cameraView is a camera on the wire: the source's password masked, the
// secret never shown (except once, at creation), its health when running.
type cameraView struct {
	store.Camera
	Source        string         `json:"source"`
	WebhookSecret string         `json:"webhook_secret,omitempty"`
	Health        *stream.Health `json:"health,omitempty"`
}

func (s *Server) view(c store.Camera) cameraView {
	v := cameraView{Camera: c, Source: maskSource(c.Source)}
	if c.Mode == stream.ModeGate && c.Settings.AntiSpoof == nil {
		on := true // shown as it is applied
		v.Settings.AntiSpoof = &on
	}
	if h, err := s.cams.mgr.Health(c.ID); err == nil {
		v.Health = &h
	}
	return v
}

func (s *Server) createCamera(w http.ResponseWriter, r *http.Request) error {
	if err := s.requireCameras(); err != nil {
		return err
	}
	var q cameraRequest
	if err := decodeJSON(r, &q); err != nil {
		return err
	}
	k := keyOf(r)
	c := q.camera(k)
	if c.Source == "" {
		return badRequest("source: give the camera's URL (rtsp://, http://) or a file in the camera file directory")
	}
	if have, err := s.opts.Store.Cameras(r.Context(), k.TenantID); err != nil {
		return err
	} else if len(have) >= s.cams.opts.MaxPerTenant {
		return &apiError{http.StatusConflict, "camera_limit", fmt.Sprintf("this tenant has %d cameras, the most this server allows (cameras.max_per_tenant)", len(have))}
	}
	c.ID = "cam_new" // for validation; the store gives the id
	if cfg, err := s.cameraConfig(c); err != nil {
		return err
	} else if err := s.checkAntiSpoof(cfg); err != nil {
		return err
	}
	if err := s.checkOutbound(r.Context(), c.Settings); err != nil {
		return err
	}
	c.Secret = newSecret()
	c, err := s.opts.Store.CreateCamera(r.Context(), c, k.ID)
	if err != nil {
		return err
	}
	if err := s.applyCamera(c); err != nil {
		return err
	}
	v := s.view(c)
	v.WebhookSecret = c.Secret
	writeJSON(w, http.StatusCreated, v)
	return nil
}

func (s *Server) listCameras(w http.ResponseWriter, r *http.Request) error {
	if err := s.requireCameras(); err != nil {
		return err
	}
	cams, err := s.opts.Store.Cameras(r.Context(), keyOf(r).TenantID)
	if err != nil {
		return err
	}
	out := make([]cameraView, 0, len(cams))
	for _, c := range cams {
		out = append(out, s.view(c))
	}
	writeJSON(w, 200, map[string]any{"cameras": out})
	return nil
}

// ownCamera returns the caller's tenant's camera named in the path.
func (s *Server) ownCamera(r *http.Request) (store.Camera, error) {
	if err := s.requireCameras(); err != nil {
		return store.Camera{}, err
	}
	return s.opts.Store.Camera(r.Context(), keyOf(r).TenantID, r.PathValue("id"))
}

func (s *Server) getCamera(w http.ResponseWriter, r *http.Request) error {
	c, err := s.ownCamera(r)
	if err != nil {
		return err
	}
	writeJSON(w, 200, s.view(c))
	return nil
}

func (s *Server) updateCamera(w http.ResponseWriter, r *http.Request) error {
	old, err := s.ownCamera(r)
	if err != nil {
		return err
	}
	var q cameraRequest
	if err := decodeJSON(r, &q); err != nil {
		return err
	}
	k := keyOf(r)
	c := q.camera(k)
	c.ID = old.ID
	if c.Source == "" {
		c.Source = old.Source
	}
	c.Secret = old.Secret
	if cfg, err := s.cameraConfig(c); err != nil {
		return err
	} else if err := s.checkAntiSpoof(cfg); err != nil {
		return err
	}
	if err := s.checkOutbound(r.Context(), c.Settings); err != nil {
		return err
	}
	if c, err = s.opts.Store.UpdateCamera(r.Context(), c, k.ID); err != nil {
		return err
	}
	if err := s.applyCamera(c); err != nil { // restarts the camera when its configuration changed
		return err
	}
	writeJSON(w, 200, s.view(c))
	return nil
}

func (s *Server) deleteCamera(w http.ResponseWriter, r *http.Request) error {
	c, err := s.ownCamera(r)
	if err != nil {
		return err
	}
	s.cams.mgr.Remove(c.ID)
	s.cams.hub.SetRelay(c.ID, "", "")
	if err := s.opts.Store.DeleteCamera(r.Context(), c.TenantID, c.ID, keyOf(r).ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// cameraCounts answers per-minute counts since ?since= (RFC 3339; default
// the last hour) and the camera's counters and occupancy now.
func (s *Server) cameraCounts(w http.ResponseWriter, r *http.Request) error {
	c, err := s.ownCamera(r)
	if err != nil {
		return err
	}
	since := time.Now().Add(-time.Hour)
	if v := r.URL.Query().Get("since"); v != "" {
		if since, err = time.Parse(time.RFC3339, v); err != nil {
			return badRequest("since: give an RFC 3339 time, e.g. 2026-01-02T15:04:05Z")
		}
	}
	mins, err := s.opts.Store.CameraCounts(r.Context(), c.TenantID, c.ID, since)
	if err != nil {
		return err
	}
	body := map[string]any{"camera_id": c.ID, "minutes": mins}
	if h, err := s.cams.mgr.Health(c.ID); err == nil {
		body["occupancy"], body["in"], body["out"] = h.Occupancy, h.In, h.Out
	}
	writeJSON(w, 200, body)
	return nil
}
