// Package server is mien's HTTP API (/v1): detection, 1:1 comparison, and
// enrolled galleries with consent, identification and erasure. Probe images
// and their templates are never stored. A Server is safe for concurrent use.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/detect"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/index"
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
}

// Server serves the API.
type Server struct {
	opts  Options
	mux   *http.ServeMux
	slots chan struct{} // engine calls in progress
	queue chan struct{} // engine calls admitted (in progress + waiting)

	mu      sync.RWMutex
	indexes map[string]*gallery // collection id -> in-memory search index
	metrics metrics
	libs    *libraries // the tenants' photo libraries
}

// gallery is one collection's search index and the subject of each template.
type gallery struct {
	idx     *index.Index
	subject map[int64]string
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
	s := &Server{opts: opts, mux: http.NewServeMux(), indexes: map[string]*gallery{},
		slots: make(chan struct{}, opts.Workers), queue: make(chan struct{}, opts.Workers+opts.Queue)}
	if err := s.loadIndexes(ctx); err != nil {
		return nil, err
	}
	s.routes()
	return s, nil
}

// loadIndexes reads every collection's templates from the store.
func (s *Server) loadIndexes(ctx context.Context) error {
	cols, err := s.opts.Store.AllCollections(ctx)
	if err != nil {
		return err
	}
	for _, c := range cols {
		g, err := s.galleryFor(c.ID)
		if err != nil {
			return err
		}
		err = s.opts.Store.EachTemplate(ctx, c.ID, func(sid string, id int64, v []float32) error {
			g.subject[id] = sid
			return g.idx.Add(id, v)
		})
		if err != nil {
			return fmt.Errorf("server: loading collection %s: %w", c.ID, err)
		}
	}
	return nil
}

func (s *Server) galleryFor(collectionID string) (*gallery, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g, ok := s.indexes[collectionID]; ok {
		return g, nil
	}
	idx, err := index.New(index.Options{Dim: 512})
	if err != nil {
		return nil, err
	}
	g := &gallery{idx: idx, subject: map[int64]string{}}
	s.indexes[collectionID] = g
	return g, nil
}

func (s *Server) dropGallery(collectionID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.indexes, collectionID)
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

// ErrBusy is returned when the engine's queue is full (429 with Retry-After).
var ErrBusy = errors.New("server: busy: too many images waiting; retry shortly")

// analyze runs the engine within the bounded queue.
func (s *Server) analyze(ctx context.Context, data []byte, opts detect.Options) (*mien.Analysis, error) {
	select {
	case s.queue <- struct{}{}:
	default:
		return nil, ErrBusy
	}
	defer func() { <-s.queue }()
	select {
	case s.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-s.slots }()
	a, err := s.opts.Engine.Analyze(ctx, data, opts)
	if err == nil {
		s.metrics.faces.Add(int64(len(a.Faces)))
	}
	return a, err
}

// PurgeExpired erases subjects whose consent has expired from the store and
// from the in-memory indexes, and returns how many were erased.
func (s *Server) PurgeExpired(ctx context.Context) (int, error) {
	subs, tpls, err := s.opts.Store.PurgeExpired(ctx, time.Now())
	if err != nil {
		return 0, err
	}
	s.mu.Lock()
	for _, g := range s.indexes {
		for _, id := range tpls {
			if _, ok := g.subject[id]; ok {
				g.idx.Remove(id)
				delete(g.subject, id)
			}
		}
	}
	s.mu.Unlock()
	return len(subs), nil
}
