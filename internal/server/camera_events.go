package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/mienhq/mien/internal/events"
	"github.com/mienhq/mien/internal/store"
)

// cameraEvents lists a camera's events after ?after= (a seq), or streams
// them as Server-Sent Events when the client accepts text/event-stream.
func (s *Server) cameraEvents(w http.ResponseWriter, r *http.Request) error {
	c, err := s.ownCamera(r)
	if err != nil {
		return err
	}
	after, err := seqParam(r.URL.Query().Get("after"))
	if err != nil {
		return err
	}
	if strings.Contains(r.Header.Get("Accept"), "text/event-stream") {
		if id := r.Header.Get("Last-Event-ID"); id != "" {
			if after, err = seqParam(id); err != nil {
				return err
			}
		}
		return s.streamEvents(w, r, c.TenantID, c.ID, after)
	}
	limit := 100
	if v := r.URL.Query().Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > 1000 {
			return badRequest("limit: 1 to 1000")
		}
	}
	evs, err := s.opts.Store.CameraEvents(r.Context(), c.TenantID, c.ID, after, limit)
	if err != nil {
		return err
	}
	body := map[string]any{"events": evs}
	if len(evs) == limit {
		body["next"] = strconv.FormatInt(evs[len(evs)-1].Seq, 10)
	}
	writeJSON(w, 200, body)
	return nil
}

func seqParam(v string) (int64, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, badRequest("after / Last-Event-ID: give an event's seq")
	}
	return n, nil
}

// streamEvents sends every event after the given seq, then each new one as
// it is stored, until the client leaves or the request's time limit; the
// client (EventSource) then reconnects with Last-Event-ID and misses nothing.
func (s *Server) streamEvents(w http.ResponseWriter, r *http.Request, tenant, camera string, after int64) error {
	wake, stop := s.cams.broker.Subscribe(camera)
	defer stop()
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(200)
	fmt.Fprint(w, "retry: 1000\n\n")
	ctx := r.Context()
	keepAlive := time.NewTicker(15 * time.Second)
	defer keepAlive.Stop()
	for {
		evs, err := s.opts.Store.CameraEvents(context.WithoutCancel(ctx), tenant, camera, after, 500)
		if err != nil {
			return nil // headers are sent; the client reconnects
		}
		for _, e := range evs {
			data, _ := json.Marshal(events.BodyOf(e))
			fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", e.Seq, e.Kind, data)
			after = e.Seq
		}
		if err := rc.Flush(); err != nil {
			return nil
		}
		if len(evs) == 500 {
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-wake:
		case <-keepAlive.C:
			fmt.Fprint(w, ": keep-alive\n\n")
		}
	}
}

// cameraSnapshot answers the camera's last frame as JPEG with boxes and
// track ids drawn; the boxes are also in the Mien-Tracks header as JSON.
// The frame lives in memory only and is never stored. Each frame served is
// audited (who, which camera, how many tracks; never the image), and a
// frame whose read cannot be audited is not served.
func (s *Server) cameraSnapshot(w http.ResponseWriter, r *http.Request) error {
	c, err := s.ownCamera(r)
	if err != nil {
		return err
	}
	jpg, boxes, ok, err := s.cams.mgr.Snapshot(c.ID)
	if isNoCamera(err) || (err == nil && !ok) {
		return errNoFrame
	}
	if err != nil {
		return err
	}
	k := keyOf(r)
	if err := s.opts.Store.Audit(r.Context(), store.Entry{TenantID: k.TenantID, Actor: k.ID, Action: "camera.snapshot",
		Object: c.ID, Detail: map[string]any{"tracks": len(boxes)}}); err != nil {
		return err
	}
	tracks, _ := json.Marshal(boxes)
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Mien-Tracks", string(tracks))
	w.Write(jpg)
	return nil
}

// writeCameraMetrics appends the cameras' Prometheus series.
func (s *Server) writeCameraMetrics(b *strings.Builder) {
	if s.cams == nil {
		return
	}
	hs := s.cams.mgr.Healths()
	series := []struct {
		name, kind, help string
		val              func(i int) float64
	}{
		{"mien_camera_up", "gauge", "1 while the camera's source delivers frames.", func(i int) float64 { return b2f(hs[i].Source.State == "running") }},
		{"mien_camera_in_total", "counter", "Line crossings in since the camera started.", func(i int) float64 { return float64(hs[i].In) }},
		{"mien_camera_out_total", "counter", "Line crossings out since the camera started.", func(i int) float64 { return float64(hs[i].Out) }},
		{"mien_camera_fps", "gauge", "Frames analysed per second.", func(i int) float64 { return hs[i].FPS }},
		{"mien_camera_frames_total", "counter", "Frames analysed.", func(i int) float64 { return float64(hs[i].Frames) }},
		{"mien_camera_frames_dropped_total", "counter", "Frames dropped because analysis fell behind.", func(i int) float64 { return float64(hs[i].Source.Dropped) }},
		{"mien_camera_reconnects_total", "counter", "Source reconnects.", func(i int) float64 { return float64(hs[i].Source.Reconnects) }},
		{"mien_camera_detect_seconds", "gauge", "Detection time per frame, recent average.", func(i int) float64 { return hs[i].DetectMS / 1000 }},
	}
	for _, m := range series {
		fmt.Fprintf(b, "# HELP %s %s\n# TYPE %s %s\n", m.name, m.help, m.name, m.kind)
		for i, h := range hs {
			fmt.Fprintf(b, "%s{camera=%q} %g\n", m.name, h.ID, m.val(i))
		}
	}
	b.WriteString("# HELP mien_camera_occupancy People in a camera's zone now.\n# TYPE mien_camera_occupancy gauge\n")
	for _, h := range hs {
		for z, n := range h.Occupancy {
			fmt.Fprintf(b, "mien_camera_occupancy{camera=%q,zone=%q} %d\n", h.ID, z, n)
		}
	}
	if n, err := s.opts.Store.OutboxPending(context.Background()); err == nil {
		fmt.Fprintf(b, "# HELP mien_webhook_outbox_pending Webhooks not yet delivered.\n# TYPE mien_webhook_outbox_pending gauge\nmien_webhook_outbox_pending %d\n", n)
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// cameraStates counts the running cameras by state, and the webhooks not
// yet delivered.
func (s *Server) cameraStates() map[string]int {
	out := map[string]int{}
	for _, h := range s.cams.mgr.Healths() {
		out[h.State]++
	}
	if n, err := s.opts.Store.OutboxPending(context.Background()); err == nil {
		out["webhooks_pending"] = n
	}
	return out
}
