package server

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/internal/store"
	"github.com/mienhq/mien/video"
)

// liveEngine returns the engine of active liveness, or why there is none.
func (s *Server) liveEngine() (LiveEngine, error) {
	if s.opts.Liveness.Engine == nil {
		return nil, errNoLiveness
	}
	return s.opts.Liveness.Engine, nil
}

// sessionJSON is a session on the wire.
type sessionJSON struct {
	ID            string       `json:"id"`
	Nonce         string       `json:"nonce"`
	Challenges    []string     `json:"challenges"`
	Prompts       []string     `json:"prompts"`
	CreatedAt     string       `json:"created_at"`
	Deadline      string       `json:"deadline"`
	State         string       `json:"state"` // "open" or "ended"
	Frames        int          `json:"frames"`
	MaxFrames     int          `json:"max_frames"`
	MaxFrameBytes int          `json:"max_frame_bytes"`
	Stream        string       `json:"stream_url"`
	Verdict       *liveVerdict `json:"verdict,omitempty"`
	// Camera is the camera the server reads the frames from, when the
	// session was created with one; Progress its last frame's progress.
	Camera   string        `json:"camera_id,omitempty"`
	Progress *LiveProgress `json:"progress,omitempty"`
}

func (s *Server) sessionWire(ls *liveSession) sessionJSON {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	out := sessionJSON{ID: ls.id, Nonce: ls.ch.Nonce, CreatedAt: ls.ch.Created.UTC().Format(time.RFC3339Nano),
		Deadline: ls.ch.Deadline.UTC().Format(time.RFC3339Nano), State: "open", Frames: ls.frames,
		MaxFrames: s.live.opts.MaxFrames, MaxFrameBytes: s.live.opts.MaxFrameBytes,
		Stream: "/v1/liveness/sessions/" + ls.id + "/stream"}
	for _, k := range ls.ch.Challenges {
		out.Challenges = append(out.Challenges, string(k))
		out.Prompts = append(out.Prompts, prompts[k])
	}
	if ls.eng == nil {
		out.State, out.Verdict = "ended", ls.verdict
	}
	if ls.camera != "" {
		out.Camera, out.Progress, out.Stream = ls.camera, ls.progress, ""
	}
	return out
}

// createLiveness starts a challenge session: {"challenges": 3, "ttl_seconds": 30,
// "camera_id": "cam_..."}, all optional. With a camera, the server reads the
// session's frames from that running camera of the tenant itself.
func (s *Server) createLiveness(w http.ResponseWriter, r *http.Request) error {
	eng, err := s.liveEngine()
	if err != nil {
		return err
	}
	var req struct {
		Challenges *int     `json:"challenges"`
		TTL        *float64 `json:"ttl_seconds"`
		Camera     *string  `json:"camera_id"`
	}
	if err := decodeOptional(r, &req); err != nil {
		return err
	}
	count, ttl := 3, s.live.opts.TTL
	if req.Challenges != nil {
		if count = *req.Challenges; count < 1 || count > 5 {
			return badRequest("challenges must be 1 to 5")
		}
	}
	if req.TTL != nil {
		if *req.TTL < 5 || *req.TTL > 120 {
			return badRequest("ttl_seconds must be 5 to 120")
		}
		ttl = time.Duration(*req.TTL * float64(time.Second))
	}
	var frames <-chan *video.Frame
	var untap func()
	if req.Camera != nil {
		if frames, untap, err = s.tapCamera(r.Context(), keyOf(r).TenantID, *req.Camera); err != nil {
			return err
		}
	}
	ls, err := s.live.create(eng, keyOf(r), count, ttl)
	if err != nil {
		if untap != nil {
			untap()
		}
		return err
	}
	if req.Camera != nil {
		s.feedFromCamera(ls, *req.Camera, frames, untap)
	}
	writeJSON(w, http.StatusCreated, s.sessionWire(ls))
	return nil
}

func (s *Server) getLiveness(w http.ResponseWriter, r *http.Request) error {
	ls, err := s.live.get(keyOf(r).TenantID, r.PathValue("lsid"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.sessionWire(ls))
	return nil
}

// deleteLiveness ends a session at once (not live) and forgets it.
func (s *Server) deleteLiveness(w http.ResponseWriter, r *http.Request) error {
	ls, err := s.live.get(keyOf(r).TenantID, r.PathValue("lsid"))
	if err != nil {
		return err
	}
	s.live.remove(r.Context(), ls)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// liveFrame decodes one frame and gives it to the session, within the
// engine's bounded queue. Bad frames are the caller's error (a 4xx).
func (s *Server) liveFrame(ctx context.Context, eng LiveEngine, ls *liveSession, data []byte, at time.Time) (LiveProgress, error) {
	if len(data) == 0 {
		return LiveProgress{}, badRequest("server: empty frame")
	}
	if len(data) > s.live.opts.MaxFrameBytes {
		return LiveProgress{}, &apiError{http.StatusRequestEntityTooLarge, "frame_too_large",
			fmt.Sprintf("server: a frame is %d bytes, over the %d limit", len(data), s.live.opts.MaxFrameBytes)}
	}
	release, err := s.slot(ctx)
	if err != nil {
		return LiveProgress{}, err
	}
	defer release()
	img, err := eng.Decode(data)
	if err != nil {
		return LiveProgress{}, err
	}
	return s.liveImage(ctx, ls, img, at)
}

// liveImage gives a decoded frame to the session (the caller holds a slot).
func (s *Server) liveImage(ctx context.Context, ls *liveSession, img *face.Image, at time.Time) (LiveProgress, error) {
	return s.live.add(ctx, ls, img, at)
}

// auditEntry writes an audit entry (the store logs its own failures).
func (s *Server) auditEntry(ctx context.Context, e store.Entry) {
	if err := s.opts.Store.Audit(context.WithoutCancel(ctx), e); err != nil {
		s.opts.Logger.Error("audit", "action", e.Action, "err", err)
	}
}
