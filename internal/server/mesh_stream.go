package server

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/mienhq/mien/internal/store"
	"github.com/mienhq/mien/mesh"
)

// The live face mesh: GET /v1/mesh/stream?mode=mesh|driver|effects, a
// WebSocket. Binary messages in are JPEG frames of one face; text messages
// out are JSON ("mesh": points, pose and signals; "driver": the driver
// monitor's sample, state and events; "error": a frame refused), and in
// effects mode each frame comes back as a binary JPEG with the effects
// drawn. A text message {"type":"params",...} changes the effects. The
// server keeps only the newest frame not yet processed: a frame that
// arrives while another waits replaces it (counted as dropped), and frames
// over the per-connection rate are dropped on arrival. Frames live in
// memory only, for the time of their processing, and are never stored or
// logged. Nothing here computes a template or involves identity.
// Browsers, which cannot set headers on a WebSocket, offer the API key as
// the subprotocol "bearer.KEY" beside "mien.mesh.v1".

const meshProtocol = "mien.mesh.v1"

// MeshEngine is what the mesh stream needs of mien.Engine.
type MeshEngine interface {
	OpenMesh(opts mesh.Options) (*mesh.Model, error)
	MeshDetector() mesh.Detector
}

// MeshStreamOptions bound the mesh stream. Zero fields take the defaults
// in parentheses.
type MeshStreamOptions struct {
	MaxFrameBytes int           // a frame's JPEG size (1 MiB)
	MaxSide       int           // a frame's longer side in pixels (1920)
	MaxFPS        float64       // frames accepted per second and connection (30)
	MaxStreams    int           // connections at once, all tenants (4); beyond it 429
	MaxDuration   time.Duration // a connection's lifetime (30 min)
	Idle          time.Duration // closed after this long without a frame (30 s)
}

func (o MeshStreamOptions) withDefaults() MeshStreamOptions {
	if o.MaxFrameBytes <= 0 {
		o.MaxFrameBytes = 1 << 20
	}
	if o.MaxSide <= 0 {
		o.MaxSide = 1920
	}
	if o.MaxFPS <= 0 {
		o.MaxFPS = 30
	}
	if o.MaxStreams <= 0 {
		o.MaxStreams = 4
	}
	if o.MaxDuration <= 0 {
		o.MaxDuration = 30 * time.Minute
	}
	if o.Idle <= 0 {
		o.Idle = 30 * time.Second
	}
	return o
}

// meshStreams is the server's shared state for the mesh stream: one mesh
// model (safe for concurrent use) opened on first use, and the slots.
type meshStreams struct {
	opts  MeshStreamOptions
	slots chan struct{}
	once  sync.Once
	model *mesh.Model
	err   error
}

var errNoMesh = &apiError{http.StatusNotImplemented, "no_mesh", "this server's model pack has no face mesh model (install the standard pack)"}

// meshRoutes registers the mesh stream.
func (s *Server) meshRoutes() {
	o := s.opts.MeshStream.withDefaults()
	s.meshes = &meshStreams{opts: o, slots: make(chan struct{}, o.MaxStreams)}
	for _, pattern := range []string{"GET /v1/mesh/stream"} {
		s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			if err := s.streamMesh(w, r); err != nil {
				writeError(w, r, err)
			}
		})
	}
}

// meshModel opens the mesh model once.
func (s *Server) meshModel() (*mesh.Model, MeshEngine, error) {
	me, ok := s.opts.Engine.(MeshEngine)
	if !ok {
		return nil, nil, errNoMesh
	}
	ms := s.meshes
	ms.once.Do(func() {
		ms.model, ms.err = me.OpenMesh(mesh.Options{Sessions: 2})
		if ms.err != nil {
			s.opts.Logger.Warn("mesh stream: no face mesh", "err", ms.err)
		}
	})
	if ms.err != nil {
		return nil, nil, errNoMesh
	}
	return ms.model, me, nil
}

// streamMesh checks the key, the mode and the parameters, then upgrades
// (errors before that are plain HTTP answers).
func (s *Server) streamMesh(w http.ResponseWriter, r *http.Request) error {
	token := wsToken(r)
	if token == "" {
		return store.ErrUnauthorized
	}
	key, err := s.opts.Store.Authenticate(r.Context(), token)
	if err != nil {
		return err
	}
	if rank[key.Role] < rank[store.RoleRead] {
		return errForbidden
	}
	q := r.URL.Query()
	mode := q.Get("mode")
	if mode == "" {
		mode = "mesh"
	}
	if mode != "mesh" && mode != "driver" && mode != "effects" {
		return badRequest(fmt.Sprintf("mode %q is not mesh, driver or effects", mode))
	}
	fx, err := parseEffectParams(q.Get)
	if err != nil {
		return err
	}
	model, me, err := s.meshModel()
	if err != nil {
		return err
	}
	select {
	case s.meshes.slots <- struct{}{}:
	default:
		return ErrBusy
	}
	defer func() { <-s.meshes.slots }()
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{meshProtocol}})
	if err != nil {
		return nil // Accept answered the client
	}
	o := s.meshes.opts
	c.SetReadLimit(int64(o.MaxFrameBytes) + 1)
	// The connection lives for MaxDuration, not the request's timeout.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), o.MaxDuration)
	defer cancel()
	mc := newMeshConn(c, mode, model, me.MeshDetector(), fx, o)
	reason := mc.run(ctx)
	s.opts.Logger.Info("mesh stream closed", "tenant", key.TenantID, "mode", mode, "frames", mc.frames, "dropped", mc.dropped, "reason", reason)
	return nil
}
