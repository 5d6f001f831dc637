package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/mienhq/mien/internal/store"
	"github.com/mienhq/mien/library"
)

// A tenant's photo libraries live under Options.LibraryDir, one directory
// per tenant and library:
//
//	LibraryDir/TENANT/LIBRARY/meta.json    id, name, creation time
//	                         /index/       the library package's files (faces.jsonl, people.json)
//	                         /photos/HASH  the uploaded photos, named by their SHA-256
//	                         /thumbs/      face thumbnails cut on demand
//
// The directory is derived from the API key's tenant and a validated id,
// so no request reaches another tenant's library or a path outside it. A
// library's templates live only in its index files: no gallery, index or
// identify call ever sees them, and the API never returns them.
const (
	libMetaFile  = "meta.json"
	libIndexDir  = "index"
	libPhotosDir = "photos"
	libThumbsDir = "thumbs"
)

var (
	libIDPattern    = regexp.MustCompile(`^lib_[0-9a-f]{24}$`)
	tenantIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	errNoLibrary    = &apiError{http.StatusNotFound, "not_found", "no such library"}
	errLibrariesOff = &apiError{http.StatusNotFound, "not_found", "photo libraries are off on this server (no data directory)"}
)

// libMeta is a library's meta.json.
type libMeta struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	CreatedAt int64  `json:"created_at"`
}

// libraries is the set of open libraries. Each is opened once per process
// (the library package allows one writer) and stays open.
type libraries struct {
	root   string
	mu     sync.Mutex
	open   map[string]*openLibrary // by directory
	thumbs chan struct{}           // photos decoded for thumbnails at once
}

// openLibrary is one open library. Reads hold mu for reading; uploads,
// curation and deletion hold it for writing, so a deleted library is never
// written again.
type openLibrary struct {
	mu   sync.RWMutex
	dir  string
	meta libMeta
	lib  *library.Library
	gone bool
}

func newLibraries(root string, workers int) *libraries {
	return &libraries{root: root, open: map[string]*openLibrary{}, thumbs: make(chan struct{}, max(1, workers))}
}

// tenantDir is the directory of a tenant's libraries.
func (ls *libraries) tenantDir(tenant string) (string, error) {
	if ls == nil || ls.root == "" {
		return "", errLibrariesOff
	}
	if !tenantIDPattern.MatchString(tenant) {
		return "", fmt.Errorf("server: tenant id %q is not safe as a directory name", tenant)
	}
	return filepath.Join(ls.root, tenant), nil
}

// get opens (once) a tenant's library; an id that is malformed, unknown or
// another tenant's is not found.
func (ls *libraries) get(tenant, id string) (*openLibrary, error) {
	td, err := ls.tenantDir(tenant)
	if err != nil {
		return nil, err
	}
	if !libIDPattern.MatchString(id) {
		return nil, errNoLibrary
	}
	dir := filepath.Join(td, id)
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if ol, ok := ls.open[dir]; ok {
		return ol, nil
	}
	b, err := os.ReadFile(filepath.Join(dir, libMetaFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, errNoLibrary
	}
	if err != nil {
		return nil, err
	}
	var m libMeta
	if err := json.Unmarshal(b, &m); err != nil || m.ID != id {
		return nil, fmt.Errorf("server: library %s: bad %s", id, libMetaFile)
	}
	lib, err := library.Open(filepath.Join(dir, libIndexDir), library.Options{})
	if err != nil {
		return nil, err
	}
	ol := &openLibrary{dir: dir, meta: m, lib: lib}
	ls.open[dir] = ol
	return ol, nil
}

// create makes a new, empty library for a tenant.
func (ls *libraries) create(tenant, name string) (*openLibrary, error) {
	td, err := ls.tenantDir(tenant)
	if err != nil {
		return nil, err
	}
	b := make([]byte, 12)
	rand.Read(b)
	m := libMeta{ID: "lib_" + hex.EncodeToString(b), Name: name, CreatedAt: time.Now().Unix()}
	dir := filepath.Join(td, m.ID)
	for _, d := range []string{libIndexDir, libPhotosDir, libThumbsDir} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			return nil, err
		}
	}
	data, _ := json.Marshal(m)
	if err := writeFileSync(filepath.Join(dir, libMetaFile), data); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return ls.get(tenant, m.ID)
}

// list returns a tenant's libraries, oldest first.
func (ls *libraries) list(tenant string) ([]*openLibrary, error) {
	td, err := ls.tenantDir(tenant)
	if err != nil {
		return nil, err
	}
	ents, err := os.ReadDir(td)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []*openLibrary
	for _, e := range ents {
		if !e.IsDir() || !libIDPattern.MatchString(e.Name()) {
			continue
		}
		ol, err := ls.get(tenant, e.Name())
		if errors.Is(err, errNoLibrary) {
			continue // being created (meta.json is written last) or deleted
		}
		if err != nil {
			return nil, err
		}
		out = append(out, ol)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].meta.CreatedAt < out[j].meta.CreatedAt })
	return out, nil
}

// forget deletes everything a library holds: templates, boxes, grouping,
// names, photos, thumbnails and its directory. meta.json goes last, so an
// interrupted deletion leaves a library that can be deleted again.
func (ls *libraries) forget(ol *openLibrary) error {
	ol.mu.Lock()
	defer ol.mu.Unlock()
	if ol.gone {
		return errNoLibrary
	}
	ol.gone = true
	ls.mu.Lock()
	delete(ls.open, ol.dir)
	ls.mu.Unlock()
	err := ol.lib.Close()
	if _, serr := os.Stat(filepath.Join(ol.dir, libIndexDir)); serr == nil {
		err = errors.Join(err, library.Forget(filepath.Join(ol.dir, libIndexDir)))
	}
	for _, d := range []string{libPhotosDir, libThumbsDir} {
		err = errors.Join(err, os.RemoveAll(filepath.Join(ol.dir, d)))
	}
	if err != nil {
		return err
	}
	if err := os.Remove(filepath.Join(ol.dir, libMetaFile)); err != nil {
		return err
	}
	if err := os.Remove(ol.dir); err != nil {
		return err
	}
	os.Remove(filepath.Dir(ol.dir)) // the tenant's directory, when it is empty now
	return nil
}

// libraryView is what the API says of a library.
type libraryView struct {
	libMeta
	Model       string `json:"model,omitempty"`
	Photos      int    `json:"photos"`
	Faces       int    `json:"faces"`
	People      int    `json:"people"`
	NamedPeople int    `json:"named_people"`
	Ignored     int    `json:"ignored_faces"`
	ExpireAfter int64  `json:"expire_after_seconds"`
}

func (ol *openLibrary) view() libraryView {
	ex := ol.lib.Export()
	v := libraryView{libMeta: ol.meta, Model: ex.Model, Photos: len(ex.Photos), People: len(ex.People),
		ExpireAfter: int64(ol.lib.Expiry() / time.Second)}
	for _, p := range ex.People {
		if p.Name != "" {
			v.NamedPeople++
		}
	}
	for _, p := range ex.Photos {
		v.Faces += len(p.Faces)
		for _, f := range p.Faces {
			if f.Ignored != "" {
				v.Ignored++
			}
		}
	}
	return v
}

// withLibrary runs fn on the request's library ({lib}) with it locked for
// reading, or for writing when write is set.
func (s *Server) withLibrary(r *http.Request, write bool, fn func(ol *openLibrary) error) error {
	ol, err := s.libs.get(keyOf(r).TenantID, r.PathValue("lib"))
	if err != nil {
		return err
	}
	if write {
		ol.mu.Lock()
		defer ol.mu.Unlock()
	} else {
		ol.mu.RLock()
		defer ol.mu.RUnlock()
	}
	if ol.gone {
		return errNoLibrary
	}
	return fn(ol)
}

func (s *Server) createLibrary(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Name *string `json:"name"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.Name == nil || strings.TrimSpace(*req.Name) == "" || len(*req.Name) > 200 {
		return badRequest(`send {"name": "..."} (1-200 characters)`)
	}
	k := keyOf(r)
	ol, err := s.libs.create(k.TenantID, strings.TrimSpace(*req.Name))
	if err != nil {
		return err
	}
	s.auditLibrary(r.Context(), k, "library.create", ol.meta.ID, nil)
	writeJSON(w, http.StatusCreated, ol.view())
	return nil
}

func (s *Server) listLibraries(w http.ResponseWriter, r *http.Request) error {
	ols, err := s.libs.list(keyOf(r).TenantID)
	if err != nil {
		return err
	}
	out := []libraryView{}
	for _, ol := range ols {
		ol.mu.RLock()
		if !ol.gone {
			out = append(out, ol.view())
		}
		ol.mu.RUnlock()
	}
	writeJSON(w, http.StatusOK, map[string]any{"libraries": out})
	return nil
}

func (s *Server) getLibrary(w http.ResponseWriter, r *http.Request) error {
	return s.withLibrary(r, false, func(ol *openLibrary) error {
		writeJSON(w, http.StatusOK, ol.view())
		return nil
	})
}

// deleteLibrary forgets a library: every file it holds is deleted.
func (s *Server) deleteLibrary(w http.ResponseWriter, r *http.Request) error {
	k := keyOf(r)
	ol, err := s.libs.get(k.TenantID, r.PathValue("lib"))
	if err != nil {
		return err
	}
	if err := s.libs.forget(ol); err != nil {
		return err
	}
	s.auditLibrary(r.Context(), k, "library.forget", ol.meta.ID, nil)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// auditLibrary records a library operation (ids and counts, never images,
// names or templates). A failure to audit is logged, not fatal: the
// library's own files are already written.
func (s *Server) auditLibrary(ctx context.Context, k store.Key, action, id string, detail map[string]any) {
	err := s.opts.Store.Audit(ctx, store.Entry{TenantID: k.TenantID, Actor: k.ID, Action: action, Object: id, Detail: detail})
	if err != nil {
		s.opts.Logger.Error("audit", "action", action, "library", id, "err", err)
	}
}

// ExpireLibraries applies every library's expiry of unnamed, unconfirmed
// people (see library.Expire) and returns the number of faces erased. It
// opens every library under LibraryDir.
func (s *Server) ExpireLibraries(ctx context.Context, now time.Time) (int, error) {
	if s.libs == nil || s.libs.root == "" {
		return 0, nil
	}
	tenants, err := os.ReadDir(s.libs.root)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	total := 0
	var errs error
	for _, t := range tenants {
		if !t.IsDir() || !tenantIDPattern.MatchString(t.Name()) || ctx.Err() != nil {
			continue
		}
		ols, err := s.libs.list(t.Name())
		errs = errors.Join(errs, err)
		for _, ol := range ols {
			rep, err := s.expire(ctx, ol, now, 0, store.Key{TenantID: t.Name(), ID: "system"})
			total += rep.Faces
			if !errors.Is(err, errNoLibrary) {
				errs = errors.Join(errs, err)
			}
		}
	}
	return total, errs
}

// expire applies a library's expiry (ttl 0: the library's setting) and
// audits what it erased.
func (s *Server) expire(ctx context.Context, ol *openLibrary, now time.Time, ttl time.Duration, k store.Key) (library.ExpireReport, error) {
	ol.mu.Lock()
	defer ol.mu.Unlock()
	if ol.gone {
		return library.ExpireReport{}, errNoLibrary
	}
	rep, err := ol.lib.Expire(now, ttl)
	if rep.Faces > 0 {
		s.auditLibrary(ctx, k, "library.expire", ol.meta.ID, map[string]any{"people": rep.People, "faces": rep.Faces})
	}
	return rep, err
}

// decodeJSON reads a JSON request body into v, refusing unknown fields.
func decodeJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return badRequest("send a JSON body: " + err.Error())
	}
	return nil
}

// decodeOptionalJSON is decodeJSON for a body that may be empty.
func decodeOptionalJSON(r *http.Request, v any) error {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	return decodeJSON(r, v)
}

// writeFileSync writes a new file and fsyncs it and its directory.
func writeFileSync(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	err = errors.Join(err, f.Sync(), f.Close())
	if err != nil {
		os.Remove(path)
		return err
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// libraryRoutes registers the photo library endpoints.
func (s *Server) libraryRoutes() {
	s.libs = newLibraries(s.opts.LibraryDir, s.opts.Workers)
	for _, rt := range s.libraryRouteTable() {
		s.handle(rt.pattern, rt.role, rt.h)
	}
}

type route struct {
	pattern, role string
	h             handler
}

// libraryRouteTable lists the photo library endpoints and their roles.
func (s *Server) libraryRouteTable() []route {
	return []route{
		{"POST /v1/libraries", store.RoleAdmin, s.createLibrary},
		{"GET /v1/libraries", store.RoleRead, s.listLibraries},
		{"GET /v1/libraries/{lib}", store.RoleRead, s.getLibrary},
		{"DELETE /v1/libraries/{lib}", store.RoleAdmin, s.deleteLibrary},
		{"POST /v1/libraries/{lib}/photos", store.RoleReadWrite, s.uploadPhotos},
		{"GET /v1/libraries/{lib}/photos", store.RoleRead, s.listPhotos},
		{"GET /v1/libraries/{lib}/photos/{photo}", store.RoleRead, s.getPhoto},
		{"GET /v1/libraries/{lib}/photos/{photo}/image", store.RoleRead, s.photoImage},
		{"GET /v1/libraries/{lib}/photos/{photo}/xmp", store.RoleRead, s.photoXMP},
		{"GET /v1/libraries/{lib}/people", store.RoleRead, s.listPeople},
		{"GET /v1/libraries/{lib}/people/{person}", store.RoleRead, s.getPerson},
		{"POST /v1/libraries/{lib}/people/{person}/name", store.RoleReadWrite, s.namePerson},
		{"POST /v1/libraries/{lib}/people/{person}/merge", store.RoleReadWrite, s.mergePeople},
		{"POST /v1/libraries/{lib}/people/{person}/split", store.RoleReadWrite, s.splitPerson},
		{"GET /v1/libraries/{lib}/faces", store.RoleRead, s.listFaces},
		{"GET /v1/libraries/{lib}/faces/{face}", store.RoleRead, s.getFace},
		{"GET /v1/libraries/{lib}/faces/{face}/thumbnail", store.RoleRead, s.faceThumbnail},
		{"POST /v1/libraries/{lib}/faces/{face}/move", store.RoleReadWrite, s.moveFace},
		{"POST /v1/libraries/{lib}/faces/{face}/not", store.RoleReadWrite, s.notPerson},
		{"POST /v1/libraries/{lib}/faces/{face}/ignore", store.RoleReadWrite, s.ignoreFace},
		{"POST /v1/libraries/{lib}/faces/{face}/unignore", store.RoleReadWrite, s.unignoreFace},
		{"POST /v1/libraries/{lib}/regroup", store.RoleReadWrite, s.regroup},
		{"GET /v1/libraries/{lib}/export", store.RoleRead, s.exportLibrary},
		{"GET /v1/libraries/{lib}/expiry", store.RoleRead, s.getExpiry},
		{"PUT /v1/libraries/{lib}/expiry", store.RoleReadWrite, s.setExpiry},
		{"POST /v1/libraries/{lib}/expire", store.RoleReadWrite, s.expireNow},
	}
}
