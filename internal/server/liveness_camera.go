package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/mienhq/mien/internal/store"
	"github.com/mienhq/mien/video"
)

// errFramesFromCamera answers a client that sends frames to a session whose
// frames come from a camera.
var errFramesFromCamera = &apiError{http.StatusConflict, "frames_from_camera",
	"server: this session's frames come from its camera; send only the nonce (and finish) to end it"}

// tapCamera checks that a camera of the tenant is running and starts
// copying its frames; the caller feeds them with feedFromCamera.
func (s *Server) tapCamera(ctx context.Context, tenant, id string) (<-chan *video.Frame, func(), error) {
	if s.cams == nil {
		return nil, nil, &apiError{http.StatusNotImplemented, "cameras_unavailable", "server: cameras are off on this server; send frames instead"}
	}
	if _, err := s.opts.Store.Camera(ctx, tenant, id); errors.Is(err, store.ErrNotFound) {
		return nil, nil, &apiError{http.StatusNotFound, "not_found", "server: no camera " + id + " in this tenant"}
	} else if err != nil {
		return nil, nil, err
	}
	frames, untap, err := s.cams.mgr.Tap(id)
	if err != nil {
		return nil, nil, &apiError{http.StatusConflict, "camera_not_running", fmt.Sprintf("server: camera %s is not running: %v", id, err)}
	}
	return frames, untap, nil
}

// feedFromCamera gives the session every frame the camera analyses from
// its creation on, until every challenge is done (or one failed), the
// session ends or the camera stops; the client then ends it with its nonce
// (liveFrames), as after its own frames. A frame the server reads itself
// is one the client could not choose, encode or replay: a trusted capture
// path for a kiosk or a door.
func (s *Server) feedFromCamera(ls *liveSession, camera string, frames <-chan *video.Frame, untap func()) {
	ctx, cancel := context.WithCancel(context.Background())
	ls.mu.Lock()
	ls.camera, ls.feedCancel, ls.feedDone, ls.feeding = camera, cancel, make(chan struct{}), true
	done := ls.feedDone
	ls.mu.Unlock()
	go func() {
		defer close(done)
		defer untap()
		defer ls.unfeed()
		for {
			var f *video.Frame
			var ok bool
			select {
			case <-ctx.Done():
				return
			case f, ok = <-frames:
				if !ok {
					return // the camera stopped
				}
			}
			if !f.Time.After(ls.ch.Created) {
				continue // read before the session began
			}
			release, err := s.slot(ctx)
			if err != nil {
				return
			}
			p, err := s.live.add(ctx, ls, f.Image, f.Time)
			release()
			if err != nil {
				if !errors.Is(err, errLiveEnded) && ctx.Err() == nil {
					s.opts.Logger.Info("liveness session from a camera stopped", "session", ls.id, "camera", camera, "err", err)
				}
				return
			}
			ls.mu.Lock()
			ls.progress = &p
			ls.mu.Unlock()
			if p.Failed || p.Challenge == "" && !p.Returning {
				return // decided: the client's finish gives the verdict
			}
		}
	}()
}

// stopFeed stops a camera feeder and waits for it (not under ls.mu).
func (ls *liveSession) stopFeed() {
	ls.mu.Lock()
	cancel, done := ls.feedCancel, ls.feedDone
	ls.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}

// fromCamera returns the session's camera ("" : the client sends frames).
func (ls *liveSession) fromCamera() string {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	return ls.camera
}
