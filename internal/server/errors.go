package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/imageio"
	"github.com/mienhq/mien/internal/store"
	"github.com/mienhq/mien/library"
)

// apiError is an error with its HTTP status and code.
type apiError struct {
	status int
	code   string
	msg    string
}

func (e *apiError) Error() string { return e.msg }

func badRequest(msg string) error { return &apiError{http.StatusBadRequest, "bad_request", msg} }

var errForbidden = &apiError{http.StatusForbidden, "forbidden", "this API key's role may not do that"}

// handler is an HTTP handler that returns an error.
type handler func(w http.ResponseWriter, r *http.Request) error

// writeError maps every error the handlers return to a status and a JSON
// body, in one place. The body carries the request's id (as does the
// X-Request-Id header); the error behind a 500, never shown to the caller,
// is kept for the request's log line, under the same id.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, code := http.StatusInternalServerError, "internal"
	msg := "internal error"
	var ae *apiError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &ae):
		status, code, msg = ae.status, ae.code, ae.msg
	case errors.As(err, &mbe):
		status, code, msg = http.StatusRequestEntityTooLarge, "body_too_large", err.Error()
	case errors.Is(err, store.ErrUnauthorized):
		status, code, msg = http.StatusUnauthorized, "unauthorized", "missing, unknown or revoked API key"
	case errors.Is(err, store.ErrNotFound), errors.Is(err, library.ErrNotFound):
		status, code, msg = http.StatusNotFound, "not_found", err.Error()
	case errors.Is(err, store.ErrExists):
		status, code, msg = http.StatusConflict, "exists", err.Error()
	case errors.Is(err, store.ErrInvalid):
		status, code, msg = http.StatusBadRequest, "bad_request", err.Error()
	case errors.Is(err, store.ErrConsent):
		status, code, msg = http.StatusUnprocessableEntity, "consent", err.Error()
	case errors.Is(err, imageio.ErrTooLarge):
		status, code, msg = http.StatusRequestEntityTooLarge, "image_too_large", err.Error()
	case errors.Is(err, imageio.ErrUnsupported):
		status, code, msg = http.StatusUnsupportedMediaType, "unsupported_image", err.Error()
	case errors.Is(err, imageio.ErrCorrupt):
		status, code, msg = http.StatusBadRequest, "corrupt_image", err.Error()
	case errors.Is(err, mien.ErrNoFace), errors.Is(err, mien.ErrManyFaces):
		status, code, msg = http.StatusUnprocessableEntity, "face_count", err.Error()
	case errors.Is(err, face.ErrModelMismatch):
		status, code, msg = http.StatusConflict, "model_mismatch", err.Error()
	case errors.Is(err, ErrBusy):
		w.Header().Set("Retry-After", "1")
		status, code, msg = http.StatusTooManyRequests, "busy", err.Error()
	case errors.Is(err, context.DeadlineExceeded):
		status, code, msg = http.StatusGatewayTimeout, "timeout", "the request took longer than the server's time limit"
	}
	body := map[string]string{"code": code, "message": msg}
	if tr := traceOf(r); tr != nil {
		body["request_id"] = tr.id
		if status >= 500 {
			tr.err = err
		}
	}
	writeJSON(w, status, map[string]any{"error": body})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
