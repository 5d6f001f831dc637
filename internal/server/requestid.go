package server

import (
	"context"
	"net/http"
	"time"

	"github.com/mienhq/mien/internal/reqid"
)

// requestIDHeader carries a request's id: a caller may send its own (kept
// when reqid.Valid), and every answer has one.
const requestIDHeader = "X-Request-Id"

// requestTrace is what the server keeps of a request beyond net/http: its
// id, and the error behind a 5xx answer (logged with the request's line).
type requestTrace struct {
	id  string
	err error
}

type traceKey struct{}

func contextWithTrace(ctx context.Context, tr *requestTrace) context.Context {
	return context.WithValue(ctx, traceKey{}, tr)
}

// traceRequest gives a request its id (the caller's X-Request-Id when sane,
// else a fresh one), sets it on the answer and puts it in the request's
// context, where writeError and the store's audit entries find it.
func traceRequest(w http.ResponseWriter, r *http.Request) (*http.Request, *requestTrace) {
	id := r.Header.Get(requestIDHeader)
	if !reqid.Valid(id) {
		id = reqid.New()
	}
	w.Header().Set(requestIDHeader, id)
	tr := &requestTrace{id: id}
	ctx := reqid.With(r.Context(), id)
	return r.WithContext(contextWithTrace(ctx, tr)), tr
}

// traceOf returns the request's trace (nil outside ServeHTTP, as in tests
// that call a handler directly).
func traceOf(r *http.Request) *requestTrace {
	tr, _ := r.Context().Value(traceKey{}).(*requestTrace)
	return tr
}

// logRequest writes the request's line: with its id always, and at error
// level with the underlying error for a 5xx answer.
func (s *Server) logRequest(r *http.Request, tr *requestTrace, status int, d time.Duration) {
	args := []any{"request_id", tr.id, "method", r.Method, "path", r.URL.Path, "status", status, "ms", d.Milliseconds()}
	if status < 500 {
		s.opts.Logger.Info("request", args...)
		return
	}
	errText := "(no error recorded)"
	if tr.err != nil {
		errText = tr.err.Error()
	}
	s.opts.Logger.Error("request", append(args, "err", errText)...)
}
