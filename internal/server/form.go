package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Uploads are read into memory, part by part, within limits; they are never
// spooled to disk. (The standard library's ParseMultipartForm writes files
// over its memory budget to $TMPDIR/multipart-*; a probe image must never
// reach the disk, so it is not used: ServeHTTP marks each request's form as
// handled so that no handler can call it by accident through FormValue.)
const (
	maxFormParts       = 256       // parts of one form, files and fields
	maxFormValueBytes  = 64 << 10  // one field that is not a file
	maxFormValuesBytes = 256 << 10 // all fields that are not files
)

// formFile is one uploaded file of a multipart form.
type formFile struct {
	name string // the client's file name, base name only
	data []byte
}

// memForm is a multipart form held in memory.
type memForm struct {
	values url.Values
	files  map[string][]formFile
}

// formState is a request's form: its byte limit, and once read, the form
// (so that several fields of one request are read from one parse).
type formState struct {
	limit int64
	form  *memForm
	err   error
}

type formKey struct{}

// withFormState prepares r's context for formFiles and marks r's
// multipart form as handled, so that the standard library never parses
// (and spools) it.
func withFormState(ctx context.Context, r *http.Request, limit int64) *http.Request {
	r = r.WithContext(context.WithValue(ctx, formKey{}, &formState{limit: limit}))
	r.MultipartForm = &multipart.Form{Value: map[string][]string{}, File: map[string][]*multipart.FileHeader{}}
	return r
}

// readForm reads r's multipart form into memory, once per request; the
// form's fields then answer r.FormValue.
func readForm(r *http.Request) (*memForm, error) {
	st, _ := r.Context().Value(formKey{}).(*formState)
	if st == nil {
		st = &formState{limit: 20 << 20}
	}
	if st.form == nil && st.err == nil {
		st.form, st.err = parseForm(r, st.limit)
	}
	if st.err != nil {
		return nil, st.err
	}
	r.PostForm = st.form.values
	r.Form = url.Values{}
	for k, v := range st.form.values {
		r.Form[k] = append(r.Form[k], v...)
	}
	for k, v := range r.URL.Query() {
		r.Form[k] = append(r.Form[k], v...)
	}
	return st.form, nil
}

// parseForm reads every part of r's multipart body into memory: files up
// to limit bytes in all, at most maxFormParts parts, fields within
// maxFormValueBytes each and maxFormValuesBytes together.
func parseForm(r *http.Request, limit int64) (*memForm, error) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return nil, errNotMultipart
	}
	mr := multipart.NewReader(r.Body, params["boundary"])
	f := &memForm{values: url.Values{}, files: map[string][]formFile{}}
	var fileBytes, valueBytes int64
	for parts := 0; ; parts++ {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return f, nil
		}
		if err != nil {
			return nil, formErr(err)
		}
		if parts >= maxFormParts {
			return nil, badRequest(fmt.Sprintf("a form may hold at most %d parts", maxFormParts))
		}
		name := p.FormName()
		if name == "" {
			continue
		}
		if p.FileName() == "" {
			b, err := readPart(p, min(maxFormValueBytes, maxFormValuesBytes-valueBytes))
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) && mbe.Limit < maxFormValuesBytes {
				return nil, badRequest(fmt.Sprintf("the form field %q is too long (fields: %d bytes each, %d together)", name, maxFormValueBytes, maxFormValuesBytes))
			} else if err != nil {
				return nil, formErr(err)
			}
			valueBytes += int64(len(b))
			f.values[name] = append(f.values[name], string(b))
			continue
		}
		b, err := readPart(p, limit-fileBytes)
		if err != nil {
			return nil, formErr(err)
		}
		fileBytes += int64(len(b))
		f.files[name] = append(f.files[name], formFile{name: filepath.Base(p.FileName()), data: b})
	}
}

var errNotMultipart = errors.New("the body is not multipart/form-data")

// readPart reads one part of at most n bytes, or fails with a
// *http.MaxBytesError (413).
func readPart(p *multipart.Part, n int64) ([]byte, error) {
	var buf bytes.Buffer
	got, err := io.Copy(&buf, io.LimitReader(p, n+1))
	if err != nil {
		return nil, err
	}
	if got > n {
		return nil, &http.MaxBytesError{Limit: n}
	}
	return buf.Bytes(), nil
}

// formErr keeps the body limit's error (413) and words the rest as a 400.
func formErr(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return err
	}
	return badRequest(fmt.Sprintf("the multipart form could not be read: %v", err))
}

// formFiles reads the uploaded files of a multipart field (1 to maxFiles).
func formFiles(r *http.Request, field string, maxFiles int) ([]formFile, error) {
	f, err := readForm(r)
	if errors.Is(err, errNotMultipart) {
		return nil, badRequest(fmt.Sprintf("send images as multipart/form-data in the field %q", field))
	} else if err != nil {
		return nil, err
	}
	files := f.files[field]
	if len(files) == 0 {
		return nil, badRequest(fmt.Sprintf("no image in the form field %q", field))
	}
	if len(files) > maxFiles {
		return nil, badRequest(fmt.Sprintf("at most %d images in %q", maxFiles, field))
	}
	return files, nil
}

// formOf gives a multipart route the list of the fields it reads: a form
// holding any other field (a typo such as "fpri" for "fpir", or "images"
// where "image" is read) is a 400 that names it, rather than a request
// decided with that field's default. Bodies that are not multipart go to
// the handler as they came, whose own errors say what to send.
func formOf(h handler, fields ...string) handler {
	known := make(map[string]bool, len(fields))
	for _, f := range fields {
		known[f] = true
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		f, err := readForm(r)
		if err == nil {
			var unknown []string
			for name := range f.values {
				if !known[name] {
					unknown = append(unknown, name)
				}
			}
			for name := range f.files {
				if !known[name] {
					unknown = append(unknown, name)
				}
			}
			if len(unknown) > 0 {
				sort.Strings(unknown)
				return badRequest(fmt.Sprintf("unknown form field %s: this request reads %s", quoteList(unknown), quoteList(fields)))
			}
		}
		return h(w, r)
	}
}

// quoteList is `"a", "b" and "c"`.
func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " and " + q[len(q)-1]
}
