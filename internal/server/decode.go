package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
)

// decodeJSON reads a request's JSON body into v. The body must be one JSON
// value whose fields v names: an unknown field (a typo such as "readonly"
// for "read_only", or "retention" for "retention_days") is refused rather
// than left to its default, which would silently make a full-access key or
// keep consent records for a year.
func decodeJSON(r *http.Request, v any) error {
	b, err := readBody(r)
	if err != nil {
		return err
	}
	return unmarshalStrict(b, v)
}

// decodeJSONOr is decodeJSON whose 400 also shows a body to send.
func decodeJSONOr(r *http.Request, v any, example string) error {
	err := decodeJSON(r, v)
	var bad *apiError
	if errors.As(err, &bad) {
		bad.msg += "; send " + example
	}
	return err
}

// decodeOptional is decodeJSON for a body that may be empty (all defaults).
func decodeOptional(r *http.Request, v any) error {
	b, err := readBody(r)
	if err != nil || len(bytes.TrimSpace(b)) == 0 {
		return err
	}
	return unmarshalStrict(b, v)
}

// readBody reads a request's body; a body over the route's limit keeps its
// *http.MaxBytesError (a 413), any other failure is a 400.
func readBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, err
		}
		return nil, badRequest("the body could not be read: " + err.Error())
	}
	return b, nil
}

// unmarshalStrict decodes exactly one JSON value with no unknown fields.
func unmarshalStrict(b []byte, v any) error {
	if len(bytes.TrimSpace(b)) == 0 {
		return badRequest("send a JSON body (the body is empty)")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badRequest("the body is not valid JSON for this request: " + jsonProblem(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return badRequest("the body is not valid JSON for this request: more than one JSON value")
	}
	return nil
}

// jsonProblem words a decoding error for a client: which field has the
// wrong type in JSON's terms, rather than the Go type it was decoded into.
func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return fmt.Sprintf("field %q must be %s, not a JSON %s", te.Field, jsonKind(te.Type), te.Value)
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// jsonKind names what JSON value decodes into t.
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return t.String()
}
