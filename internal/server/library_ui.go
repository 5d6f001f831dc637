package server

import (
	"net/http"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/mienhq/mien/internal/store"
	"github.com/mienhq/mien/library"
)

// The endpoints the web app's photo library pages need beyond curation:
// how people are shown (cover face, hidden), merge suggestions, and the
// names the uploaded files had on the user's machine.

// uploadsDir prefixes the paths under which uploaded files' own names are
// recorded: uploads/HASH12/NAME (labels only; the photo is read by hash).
const uploadsDir = "uploads"

// libraryUIRoutes registers them.
func (s *Server) libraryUIRoutes() {
	for _, rt := range s.libraryUIRouteTable() {
		s.handle(rt.pattern, rt.role, rt.h)
	}
}

func (s *Server) libraryUIRouteTable() []route {
	return []route{
		{"GET /v1/libraries/{lib}/people-meta", store.RoleRead, s.listPeopleMeta},
		{"PUT /v1/libraries/{lib}/people/{person}/cover", store.RoleReadWrite, s.setCover},
		{"PUT /v1/libraries/{lib}/people/{person}/hidden", store.RoleReadWrite, s.setHidden},
		{"GET /v1/libraries/{lib}/suggestions", store.RoleRead, s.suggestions},
		{"GET /v1/libraries/{lib}/file-names", store.RoleRead, s.fileNames},
		{"POST /v1/libraries/{lib}/file-names", store.RoleReadWrite, s.recordFileNames},
	}
}

// personMeta is one person's display settings on the wire.
type personMeta struct {
	Person int    `json:"person"`
	Cover  string `json:"cover,omitempty"`
	Hidden bool   `json:"hidden"`
}

func (s *Server) listPeopleMeta(w http.ResponseWriter, r *http.Request) error {
	return s.withLibrary(r, false, func(ol *openLibrary) error {
		m, err := ol.lib.PeopleMeta()
		if err != nil {
			return err
		}
		out := []personMeta{}
		for pid, pm := range m {
			out = append(out, personMeta{Person: pid, Cover: pm.Cover, Hidden: pm.Hidden})
		}
		sort.Slice(out, func(i, j int) bool { return out[i].Person < out[j].Person })
		writeJSON(w, http.StatusOK, map[string]any{"people": out})
		return nil
	})
}

// metaOp changes one person's settings under the library's write lock.
func (s *Server) metaOp(w http.ResponseWriter, r *http.Request, req any, fn func(ol *openLibrary, pid int) (library.PersonMeta, error)) error {
	pid, err := personParam(r)
	if err != nil {
		return err
	}
	if err := decodeJSON(r, req); err != nil {
		return err
	}
	return s.withLibrary(r, true, func(ol *openLibrary) error {
		pm, err := fn(ol, pid)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, personMeta{Person: pid, Cover: pm.Cover, Hidden: pm.Hidden})
		return nil
	})
}

func (s *Server) setCover(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Face *string `json:"face"`
	}
	return s.metaOp(w, r, &req, func(ol *openLibrary, pid int) (library.PersonMeta, error) {
		if req.Face == nil || (*req.Face != "" && !faceIDPattern.MatchString(*req.Face)) {
			return library.PersonMeta{}, badRequest(`send {"face": "3f2a9c1b04de-0"}, a face of this person ("" returns to the default)`)
		}
		return ol.lib.SetCover(pid, *req.Face)
	})
}

func (s *Server) setHidden(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Hidden *bool `json:"hidden"`
	}
	return s.metaOp(w, r, &req, func(ol *openLibrary, pid int) (library.PersonMeta, error) {
		if req.Hidden == nil {
			return library.PersonMeta{}, badRequest(`send {"hidden": true} or {"hidden": false}`)
		}
		return ol.lib.SetHidden(pid, *req.Hidden)
	})
}

// suggestions proposes people to merge: the same name, or an average
// similarity of at least min_similarity (default 0.35) between their faces.
func (s *Server) suggestions(w http.ResponseWriter, r *http.Request) error {
	minSim := 0.35
	if v := r.URL.Query().Get("min_similarity"); v != "" {
		f, err := strconv.ParseFloat(v, 32)
		if err != nil || f < -1 || f > 1 {
			return badRequest("min_similarity is a number from -1 to 1")
		}
		minSim = f
	}
	limit, err := intParam(r, "limit", 20, 1, 200)
	if err != nil {
		return err
	}
	return s.withLibrary(r, false, func(ol *openLibrary) error {
		out, err := ol.lib.Suggestions(float32(minSim), limit)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"suggestions": out})
		return nil
	})
}

// fileNames answers the names uploaded files had, by photo.
func (s *Server) fileNames(w http.ResponseWriter, r *http.Request) error {
	return s.withLibrary(r, false, func(ol *openLibrary) error {
		out := map[string][]string{}
		for h, paths := range ol.lib.PhotoPaths() {
			prefix := uploadsDir + "/" + h[:12] + "/"
			for _, p := range paths {
				if name, ok := strings.CutPrefix(p, prefix); ok {
					out[h] = append(out[h], name)
				}
			}
		}
		writeJSON(w, http.StatusOK, map[string]any{"names": out})
		return nil
	})
}

// recordFileNames records the names files had when uploaded, {"names":
// {"PHOTO": "Holiday/IMG_1.jpg"}}: every photo must be in the library, and
// nothing is recorded when one is not.
func (s *Server) recordFileNames(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Names map[string]string `json:"names"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if len(req.Names) == 0 || len(req.Names) > maxUploads {
		return badRequest(`send {"names": {"PHOTO": "file name", ...}} (1-100 photos)`)
	}
	return s.withLibrary(r, true, func(ol *openLibrary) error {
		var items []library.Analysed
		for h, name := range req.Names {
			if !photoIDPattern.MatchString(h) || !ol.lib.Has(h) {
				return &apiError{http.StatusNotFound, "not_found", "no photo " + h + " in this library"}
			}
			p, err := uploadPath(h, name)
			if err != nil {
				return err
			}
			items = append(items, library.Analysed{Path: p, Hash: h, MTime: time.Now().UnixNano()})
		}
		if _, err := ol.lib.RecordUngrouped(ol.lib.Model(), items); err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"recorded": len(items)})
		return nil
	})
}

// uploadPath is where a file's own name is recorded: a relative path
// (folders kept, "..", leading slashes and backslashes resolved away) under
// uploads/HASH12/, so no name reaches outside the library.
func uploadPath(hash, name string) (string, error) {
	bad := badRequest("a file name is 1-255 bytes of text without control characters")
	if name == "" || len(name) > 255 || !utf8.ValidString(name) || strings.ContainsFunc(name, unicode.IsControl) {
		return "", bad
	}
	clean := strings.TrimPrefix(path.Clean("/"+strings.ReplaceAll(name, `\`, "/")), "/")
	if clean == "" {
		return "", bad
	}
	return uploadsDir + "/" + hash[:12] + "/" + clean, nil
}
