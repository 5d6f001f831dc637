package rekognition

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/imageio"
)

// Error is an error in AWS's shape: an exception name, a message and the
// HTTP status AWS answers it with.
type Error struct {
	Type    string
	Message string
	Status  int
}

func (e *Error) Error() string { return e.Type + ": " + e.Message }

func newError(status int, typ, format string, args ...any) *Error {
	return &Error{Type: typ, Message: fmt.Sprintf(format, args...), Status: status}
}

// Invalid is InvalidParameterException.
func Invalid(format string, args ...any) *Error {
	return newError(http.StatusBadRequest, "InvalidParameterException", format, args...)
}

// NotFound is ResourceNotFoundException.
func NotFound(format string, args ...any) *Error {
	return newError(http.StatusBadRequest, "ResourceNotFoundException", format, args...)
}

// Exists is ResourceAlreadyExistsException.
func Exists(format string, args ...any) *Error {
	return newError(http.StatusBadRequest, "ResourceAlreadyExistsException", format, args...)
}

// Conflict is ConflictException (a user that exists already).
func Conflict(format string, args ...any) *Error {
	return newError(http.StatusBadRequest, "ConflictException", format, args...)
}

// Denied is AccessDeniedException.
func Denied(format string, args ...any) *Error {
	return newError(http.StatusBadRequest, "AccessDeniedException", format, args...)
}

// CollectionNotFound is the error AWS gives for a missing collection.
func CollectionNotFound(id string) *Error {
	return NotFound("The collection id: %s does not exist", id)
}

func serialization(format string, args ...any) *Error {
	return newError(http.StatusBadRequest, "SerializationException", format, args...)
}

func invalidToken() *Error {
	return newError(http.StatusBadRequest, "InvalidPaginationTokenException", "Invalid pagination token (NextToken)")
}

func tooLarge(format string, args ...any) *Error {
	return newError(http.StatusBadRequest, "ImageTooLargeException", format, args...)
}

// Authentication errors, as AWS's JSON services answer them.
// throttled refuses a request for lack of capacity (429; the SDKs retry
// ThrottlingException with back-off).
func throttled(format string, args ...any) *Error {
	return newError(http.StatusTooManyRequests, "ThrottlingException", format, args...)
}

func invalidSignature(format string, args ...any) *Error {
	return newError(http.StatusBadRequest, "InvalidSignatureException", format, args...)
}

func unrecognizedClient() *Error {
	return newError(http.StatusBadRequest, "UnrecognizedClientException", "The security token included in the request is invalid.")
}

func missingToken() *Error {
	return newError(http.StatusBadRequest, "MissingAuthenticationTokenException", "Request is missing Authentication Token")
}

// toAWS maps any error to its AWS form.
func toAWS(err error) *Error {
	var e *Error
	switch {
	case errors.As(err, &e):
		return e
	case errors.Is(err, imageio.ErrTooLarge):
		return tooLarge("%v", err)
	case errors.Is(err, imageio.ErrUnsupported), errors.Is(err, imageio.ErrCorrupt):
		return newError(http.StatusBadRequest, "InvalidImageFormatException", "Request has invalid image format: %v", err)
	case errors.Is(err, ErrBusy):
		// AWS's model marks ThrottlingException as a server fault (HTTP 500);
		// the SDKs retry it with back-off.
		return newError(http.StatusInternalServerError, "ThrottlingException", "mien is busy: the work queue is full; try your call again")
	case errors.Is(err, face.ErrModelMismatch):
		return Invalid("the collection's templates come from another recognizer than the one this server runs: %v", err)
	case errors.Is(err, context.DeadlineExceeded):
		return newError(http.StatusInternalServerError, "ThrottlingException", "the request timed out; try your call again")
	}
	return newError(http.StatusInternalServerError, "InternalServerError", "mien experienced an internal error; try your call again")
}

// writeError answers err in AWS's JSON 1.1 error shape.
func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, op string, err error) {
	e := toAWS(err)
	if e.Status >= 500 && e.Type == "InternalServerError" {
		h.log.ErrorContext(r.Context(), "rekognition: internal error", "op", op, "err", err)
	} else {
		h.log.DebugContext(r.Context(), "rekognition: refused", "op", op, "type", e.Type, "msg", e.Message)
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("X-Amzn-ErrorType", e.Type+":")
	if e.Type == "ThrottlingException" {
		w.Header().Set("Retry-After", "1")
	}
	w.WriteHeader(e.Status)
	body, _ := json.Marshal(map[string]string{"__type": e.Type, "message": e.Message})
	w.Write(body)
}

func idempotentMismatch() *Error {
	return newError(http.StatusBadRequest, "IdempotentParameterMismatchException",
		"A ClientRequestToken input parameter was reused with an operation, but at least one of the other input parameters is different from the previous call to the operation.")
}

// invalidS3Object answers an Image given as an S3Object: mien reaches no
// object store.
func invalidS3Object(field string) *Error {
	return newError(http.StatusBadRequest, "InvalidS3ObjectException",
		"mien does not read images from S3 (S3Object): send the image's bytes in %s.Bytes", field)
}
