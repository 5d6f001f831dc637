package server

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mienhq/mien/internal/store"
	"github.com/mienhq/mien/library"
)

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
	// GroupingPending: faces uploaded but not placed into people yet.
	GroupingPending bool `json:"grouping_pending"`
}

func (ol *openLibrary) view() libraryView {
	sm := ol.lib.Summary()
	return libraryView{libMeta: ol.meta, Model: sm.Model, Photos: sm.Photos, Faces: sm.Faces, People: sm.People,
		NamedPeople: sm.NamedPeople, Ignored: sm.Ignored, ExpireAfter: int64(ol.lib.Expiry() / time.Second),
		GroupingPending: sm.Ungrouped > 0}
}

// maxPage is the most items one page of a library listing holds.
const maxPage = 10000

// pageParams reads a listing's limit (1 to maxPage; absent: everything,
// as before paging) and after (the previous page's next).
func pageParams(r *http.Request) (library.Page, error) {
	limit, err := intParam(r, "limit", 0, 1, maxPage)
	if err != nil {
		return library.Page{}, err
	}
	return library.Page{Limit: limit, After: r.URL.Query().Get("after")}, nil
}

// writePage answers one page of a listing under key, with next when more
// items follow.
func writePage(w http.ResponseWriter, key string, items any, next string, err error) error {
	if errors.Is(err, library.ErrBadCursor) {
		return badRequest("after must be the next value of the previous page")
	}
	if err != nil {
		return err
	}
	out := map[string]any{key: items}
	if next != "" {
		out["next"] = next
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// withLibrary runs fn on the request's library ({lib}) with it locked for
// reading, or for writing when write is set.
func (s *Server) withLibrary(r *http.Request, write bool, fn func(ol *openLibrary) error) error {
	ol, unlock, err := s.libs.acquire(keyOf(r).TenantID, r.PathValue("lib"), write)
	if err != nil {
		return err
	}
	defer unlock()
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
	id := r.PathValue("lib")
	if err := s.libs.forget(k.TenantID, id); err != nil {
		return err
	}
	s.auditLibrary(r.Context(), k, "library.forget", id, nil)
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

// ExpireLibraries applies every library's expiry (unnamed, unconfirmed
// people erased after their newest photo is older than the setting). A
// library that is not open is opened only when its stored setting asks for
// expiry; libraries opened so are closed again by CloseIdleLibraries.
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
		if !t.IsDir() || !tenantIDPattern.MatchString(t.Name()) {
			continue
		}
		libs, err := os.ReadDir(filepath.Join(s.libs.root, t.Name()))
		errs = errors.Join(errs, err)
		for _, l := range libs {
			if ctx.Err() != nil {
				return total, errs
			}
			if !l.IsDir() || !libIDPattern.MatchString(l.Name()) {
				continue
			}
			if !s.libs.isOpen(t.Name(), l.Name()) {
				d, err := s.libs.storedExpiry(t.Name(), l.Name())
				if err != nil || d == 0 {
					continue // nothing to expire, or nothing readable yet: leave it closed
				}
			}
			rep, err := s.expire(ctx, t.Name(), l.Name(), now, 0, store.Key{TenantID: t.Name(), ID: "system"})
			total += rep.Faces
			if !errors.Is(err, errNoLibrary) {
				errs = errors.Join(errs, err)
			}
		}
	}
	return total, errs
}

// CloseIdleLibraries closes the libraries no request has used for idle,
// freeing their memory (a later request opens them again), and returns how
// many it closed.
func (s *Server) CloseIdleLibraries(idle time.Duration) (int, error) {
	return s.libs.closeIdle(time.Now().Add(-idle))
}

// groupLibrary places a library's new faces into people (after a burst of
// uploads; see Options.GroupDelay).
func (s *Server) groupLibrary(tenant, id string) {
	// A read lock: Group is safe beside the library's readers, and clusters
	// without the library's own lock, so requests go on meanwhile.
	ol, unlock, err := s.libs.acquire(tenant, id, false)
	if err != nil {
		return // forgotten meanwhile
	}
	defer unlock()
	start := time.Now()
	n, err := ol.lib.Group(ol.ctx, false)
	if errors.Is(err, context.Canceled) {
		return // forgotten or closed meanwhile
	}
	if err != nil {
		s.opts.Logger.Error("library grouping", "library", id, "err", err)
		return
	}
	s.opts.Logger.Info("library grouping", "library", id, "faces_placed", n, "seconds", time.Since(start).Seconds())
}

// expire applies a library's expiry (ttl 0: the library's setting) and
// audits what it erased.
func (s *Server) expire(ctx context.Context, tenant, id string, now time.Time, ttl time.Duration, k store.Key) (library.ExpireReport, error) {
	ol, unlock, err := s.libs.acquire(tenant, id, true)
	if err != nil {
		return library.ExpireReport{}, err
	}
	defer unlock()
	rep, err := ol.lib.Expire(now, ttl)
	if rep.Faces > 0 {
		s.auditLibrary(ctx, k, "library.expire", ol.meta.ID, map[string]any{"people": rep.People, "faces": rep.Faces})
	}
	return rep, err
}

// libraryRoutes registers the photo library endpoints.
func (s *Server) libraryRoutes() {
	s.libs = newLibraries(s.opts.LibraryDir, s.opts.Workers, s.opts.GroupDelay, s.groupLibrary, s.opts.Store)
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
		{"POST /v1/libraries/{lib}/photos", store.RoleReadWrite, formOf(s.uploadPhotos, "photos")},
		{"GET /v1/libraries/{lib}/photos", store.RoleRead, s.listPhotos},
		{"GET /v1/libraries/{lib}/photos/{photo}", store.RoleRead, s.getPhoto},
		{"DELETE /v1/libraries/{lib}/photos/{photo}", store.RoleReadWrite, s.deletePhoto},
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
