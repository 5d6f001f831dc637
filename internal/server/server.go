// Package server is mien's HTTP API (/v1): detection, 1:1 comparison, and
// enrolled galleries with consent, identification and erasure. Probe images
// and their templates are never stored. A Server is safe for concurrent use.
package server

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/detect"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/internal/gallery"
	"github.com/mienhq/mien/internal/store"
	"github.com/mienhq/mien/quality"
)

// Engine is what the server needs of mien.Engine (a fake in unit tests).
type Engine interface {
	Analyze(ctx context.Context, data []byte, opts detect.Options) (*mien.Analysis, error)
	Compare(a, b face.Embedding) (float32, error)
	Threshold(far float64) (float32, error)
	ModelID() string
}

// Options configure a Server.
type Options struct {
	Engine  Engine
	Store   *store.Store
	Logger  *slog.Logger
	Gate    quality.Gate  // enrolment quality gate (zero: quality.DefaultGate)
	MaxBody int64         // request body limit in bytes (0: 20 MiB)
	Timeout time.Duration // per-request timeout (0: 30 s)
	Queue   int           // engine calls waiting at most (0: 64); beyond it 429
	Workers int           // engine calls at once (0: 2)
	// LibraryDir holds the tenants' photo libraries, one directory per
	// tenant and library ("": the library endpoints answer 404).
	LibraryDir string
	// MetricsPublic serves /metrics without a key (for a scraper on a
	// private network); otherwise it needs an admin API key.
	MetricsPublic bool
	// GroupDelay is how long after an upload a photo library groups its
	// new faces into people, so that a burst of uploads (the web UI sends
	// many requests of a few photos) is grouped once, after it. Until then
	// the library answers grouping_pending. 0 groups within each upload.
	GroupDelay time.Duration
	// FPIR is identify's default false-positive identification rate for
	// collections that set none (0: gallery.DefaultFPIR, 1%).
	FPIR float64
	// Scoring is how a subject with several photos is scored (zero: the
	// cosine to the mean of their templates, gallery.Mean).
	Scoring gallery.Scoring
	// Cameras enables /v1/cameras (cameras.go); nil answers 503 there.
	Cameras *CameraOptions
	// Liveness configures active liveness (challenge sessions and tokens).
	Liveness LivenessOptions
	// MeshStream bounds the live face mesh WebSocket (/v1/mesh/stream).
	MeshStream MeshStreamOptions
	// Library is how photos uploaded to a library are analysed (zero: as
	// `mien library add` does them).
	Library LibraryAnalysis
}

// Server serves the API.
type Server struct {
	opts  Options
	mux   *http.ServeMux
	slots chan struct{} // engine calls in progress
	queue chan struct{} // engine calls admitted (in progress + waiting)

	gal     *gallery.Gallery // enrolled collections: the one place a match is decided
	metrics metrics
	libs    *libraries     // the tenants' photo libraries
	cams    *cameraService // nil without Options.Cameras
	live    *liveSessions  // active liveness sessions and tokens, in memory
	meshes  *meshStreams

	livenessFrame LivenessFrame // redeems /v1/kyc/match's liveness_token (nil: 501; kyc.go)
}

// New builds a server and loads every collection's templates into memory.
func New(ctx context.Context, opts Options) (*Server, error) {
	if opts.Engine == nil || opts.Store == nil {
		return nil, errors.New("server: an engine and a store are required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Gate == (quality.Gate{}) {
		opts.Gate = quality.DefaultGate
	}
	if opts.MaxBody <= 0 {
		opts.MaxBody = 20 << 20
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	if opts.Workers <= 0 {
		opts.Workers = 2
	}
	if opts.Queue <= 0 {
		opts.Queue = 64
	}
	gal, err := gallery.New(ctx, gallery.Options{Engine: opts.Engine, Store: opts.Store, FPIR: opts.FPIR, Scoring: opts.Scoring})
	if err != nil {
		return nil, err
	}
	s := &Server{opts: opts, mux: http.NewServeMux(), gal: gal,
		slots: make(chan struct{}, opts.Workers), queue: make(chan struct{}, opts.Workers+opts.Queue)}
	if err := s.newCameras(); err != nil {
		return nil, err
	}
	s.routes()
	return s, nil
}

// ServeHTTP sets the security headers, applies the body limit and the
// timeout, then routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	setSecurityHeaders(w, r)
	r, trace := traceRequest(w, r) // the request's id: answer, errors, log, audit (requestid.go)
	r.Body = http.MaxBytesReader(w, r.Body, s.opts.MaxBody)
	ctx, cancel := context.WithTimeout(r.Context(), s.opts.Timeout)
	defer cancel()
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w, status: 200}
	_, pattern := s.mux.Handler(r)
	s.mux.ServeHTTP(rec, withFormState(ctx, r, s.opts.MaxBody))
	if pattern == "" {
		pattern = "unmatched"
	}
	s.metrics.observe(pattern, rec.status, time.Since(start))
	s.logRequest(r, trace, rec.status, time.Since(start))
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) { r.status = code; r.ResponseWriter.WriteHeader(code) }

// Unwrap lets http.ResponseController (Flush for Server-Sent Events, and
// the WebSocket upgrade, which hijacks the connection) reach the server's
// writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// ErrBusy is returned when the engine's queue is full (429 with Retry-After).
var ErrBusy = errors.New("server: busy: too many images waiting; retry shortly")

// slot waits for one of the engine's slots within the bounded queue.
func (s *Server) slot(ctx context.Context) (func(), error) {
	select {
	case s.queue <- struct{}{}:
	default:
		return nil, ErrBusy
	}
	select {
	case s.slots <- struct{}{}:
	case <-ctx.Done():
		<-s.queue
		return nil, ctx.Err()
	}
	return func() { <-s.slots; <-s.queue }, nil
}

// analyze runs the engine within the bounded queue.
func (s *Server) analyze(ctx context.Context, data []byte, opts detect.Options) (*mien.Analysis, error) {
	release, err := s.slot(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	a, err := s.opts.Engine.Analyze(ctx, data, opts)
	if err == nil {
		s.metrics.faces.Add(int64(len(a.Faces)))
	}
	return a, err
}

// PurgeExpired erases subjects whose consent has expired from the store and
// from the in-memory indexes, and returns how many were erased.
func (s *Server) PurgeExpired(ctx context.Context) (int, error) {
	return s.gal.PurgeExpired(ctx)
}
