package server

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/mienhq/mien/library"
)

// personParam reads the request's {person}.
func personParam(r *http.Request) (int, error) {
	id, err := strconv.Atoi(r.PathValue("person"))
	if err != nil || id <= 0 {
		return 0, &apiError{http.StatusNotFound, "not_found", "a person id is a positive integer"}
	}
	return id, nil
}

// person finds a person of the library (counts included).
func person(ol *openLibrary, id int) (library.Person, error) {
	for _, p := range ol.lib.People() {
		if p.ID == id {
			return p, nil
		}
	}
	return library.Person{}, fmt.Errorf("%w: person %d", library.ErrNotFound, id)
}

// libFace looks up the request's {face}.
func libFace(r *http.Request, ol *openLibrary) (library.Face, error) {
	id := r.PathValue("face")
	if !faceIDPattern.MatchString(id) {
		return library.Face{}, &apiError{http.StatusNotFound, "not_found", "a face id is 12 hex digits, a dash and a number (3f2a9c1b04de-0)"}
	}
	return ol.lib.Face(id)
}

// listPeople answers the people, most faces first, in pages when asked
// (limit, after).
func (s *Server) listPeople(w http.ResponseWriter, r *http.Request) error {
	pg, err := pageParams(r)
	if err != nil {
		return err
	}
	return s.withLibrary(r, false, func(ol *openLibrary) error {
		ps, next, err := ol.lib.PeoplePage(pg)
		return writePage(w, "people", append([]library.Person{}, ps...), next, err)
	})
}

// getPerson answers a person and its faces.
func (s *Server) getPerson(w http.ResponseWriter, r *http.Request) error {
	id, err := personParam(r)
	if err != nil {
		return err
	}
	return s.withLibrary(r, false, func(ol *openLibrary) error {
		p, err := person(ol, id)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"person": p, "faces": ol.lib.Faces(id)})
		return nil
	})
}

// curate runs a curation step on the request's person with the library
// locked for writing, then answers the person.
func (s *Server) curate(w http.ResponseWriter, r *http.Request, req any, fn func(ol *openLibrary, id int) error) error {
	id, err := personParam(r)
	if err != nil {
		return err
	}
	if err := decodeJSON(r, req); err != nil {
		return err
	}
	return s.withLibrary(r, true, func(ol *openLibrary) error {
		if _, err := person(ol, id); err != nil {
			return err
		}
		if err := fn(ol, id); err != nil {
			return err
		}
		p, err := person(ol, id)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, p)
		return nil
	})
}

func (s *Server) namePerson(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Name *string `json:"name"`
	}
	return s.curate(w, r, &req, func(ol *openLibrary, id int) error {
		if req.Name == nil || len(*req.Name) > 200 {
			return badRequest(`send {"name": "..."} (at most 200 characters; "" removes the name)`)
		}
		return ol.lib.Name(id, *req.Name)
	})
}

func (s *Server) mergePeople(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		From []int `json:"from"`
	}
	return s.curate(w, r, &req, func(ol *openLibrary, id int) error {
		if len(req.From) == 0 {
			return badRequest(`send {"from": [person ids to merge into this one]}`)
		}
		for _, p := range req.From {
			if _, err := person(ol, p); err != nil {
				return err
			}
		}
		return ol.lib.Merge(id, req.From...)
	})
}

// splitPerson moves the given faces of a person into a new person and
// answers both.
func (s *Server) splitPerson(w http.ResponseWriter, r *http.Request) error {
	id, err := personParam(r)
	if err != nil {
		return err
	}
	var req struct {
		Faces []string `json:"faces"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	faces, err := uniqueFaces(req.Faces)
	if err != nil {
		return err
	}
	return s.withLibrary(r, true, func(ol *openLibrary) error {
		if _, err := person(ol, id); err != nil {
			return err
		}
		nid, err := ol.lib.Split(id, faces)
		if err != nil {
			return err
		}
		np, err := person(ol, nid)
		if err != nil {
			return err
		}
		out := map[string]any{"person": np}
		if rest, err := person(ol, id); err == nil {
			out["rest"] = rest
		}
		writeJSON(w, http.StatusOK, out)
		return nil
	})
}

func uniqueFaces(ids []string) ([]string, error) {
	if len(ids) == 0 {
		return nil, badRequest(`send {"faces": ["3f2a9c1b04de-0", ...]}: the faces to move into a new person`)
	}
	seen := map[string]bool{}
	var out []string
	for _, f := range ids {
		if !faceIDPattern.MatchString(f) {
			return nil, badRequest(fmt.Sprintf("%q is not a face id (12 hex digits, a dash and a number)", f))
		}
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out, nil
}

func (s *Server) listFaces(w http.ResponseWriter, r *http.Request) error {
	pid := 0
	if v := r.URL.Query().Get("person"); v != "" {
		var err error
		if pid, err = strconv.Atoi(v); err != nil || pid <= 0 {
			return badRequest("person must be a positive integer")
		}
	}
	pg, err := pageParams(r)
	if err != nil {
		return err
	}
	return s.withLibrary(r, false, func(ol *openLibrary) error {
		fs, next, err := ol.lib.FacesPage(pid, pg)
		return writePage(w, "faces", fs, next, err)
	})
}

func (s *Server) getFace(w http.ResponseWriter, r *http.Request) error {
	return s.withLibrary(r, false, func(ol *openLibrary) error {
		f, err := libFace(r, ol)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, f)
		return nil
	})
}

// faceOp runs a step on the request's face with the library locked for
// writing, then answers the face.
func (s *Server) faceOp(w http.ResponseWriter, r *http.Request, req any, fn func(ol *openLibrary, f library.Face) error) error {
	if req != nil {
		if err := decodeJSON(r, req); err != nil {
			return err
		}
	}
	return s.withLibrary(r, true, func(ol *openLibrary) error {
		f, err := libFace(r, ol)
		if err != nil {
			return err
		}
		if err := fn(ol, f); err != nil {
			return err
		}
		if f, err = ol.lib.Face(f.ID); err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, f)
		return nil
	})
}

var errIgnoredFace = &apiError{http.StatusConflict, "ignored", "the face is ignored; unignore it first"}

func (s *Server) moveFace(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Person *int `json:"person"`
	}
	return s.faceOp(w, r, &req, func(ol *openLibrary, f library.Face) error {
		if req.Person == nil || *req.Person <= 0 {
			return badRequest(`send {"person": ID} (a face goes into a new person of its own with POST .../not)`)
		}
		if f.Ignored != "" {
			return errIgnoredFace
		}
		if _, err := person(ol, *req.Person); err != nil {
			return err
		}
		_, err := ol.lib.Move(f.ID, *req.Person)
		return err
	})
}

// notPerson takes a face out of its person into a new one of its own.
func (s *Server) notPerson(w http.ResponseWriter, r *http.Request) error {
	return s.faceOp(w, r, nil, func(ol *openLibrary, f library.Face) error {
		if f.Ignored != "" {
			return errIgnoredFace
		}
		_, err := ol.lib.NotPerson(f.ID)
		return err
	})
}

// ignoreFace leaves a face out of every person; the body is optional.
func (s *Server) ignoreFace(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Reason string `json:"reason"`
	}
	if err := decodeOptional(r, &req); err != nil {
		return err
	}
	if req.Reason == "" {
		req.Reason = "ignore"
	}
	if req.Reason != "ignore" && req.Reason != "not-a-face" {
		return badRequest(`reason is "ignore" (default) or "not-a-face"`)
	}
	return s.faceOp(w, r, nil, func(ol *openLibrary, f library.Face) error {
		if f.Ignored == "expired" {
			return &apiError{http.StatusConflict, "expired", "the face expired and its template was erased"}
		}
		return ol.lib.Ignore(f.ID, req.Reason)
	})
}

// unignoreFace returns an ignored face to grouping and places it at once.
func (s *Server) unignoreFace(w http.ResponseWriter, r *http.Request) error {
	return s.faceOp(w, r, nil, func(ol *openLibrary, f library.Face) error {
		if f.Ignored == "" {
			return nil
		}
		if f.Ignored == "expired" {
			return &apiError{http.StatusConflict, "expired", "the face expired and its template was erased; upload the photo to a new library to index it again"}
		}
		if err := ol.lib.Unignore(f.ID); err != nil {
			return err
		}
		_, err := ol.lib.Group(r.Context(), false)
		return err
	})
}

// exportLibrary answers the JSON export, as `mien library export --format json`.
func (s *Server) exportLibrary(w http.ResponseWriter, r *http.Request) error {
	return s.withLibrary(r, false, func(ol *openLibrary) error {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.json"`, ol.meta.ID))
		return ol.lib.WriteJSON(w)
	})
}

// regroup re-clusters every face from scratch, keeping the curation.
func (s *Server) regroup(w http.ResponseWriter, r *http.Request) error {
	return s.withLibrary(r, true, func(ol *openLibrary) error {
		n, err := ol.lib.Group(r.Context(), true)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"changed": n, "people": len(ol.lib.People())})
		return nil
	})
}

func (s *Server) getExpiry(w http.ResponseWriter, r *http.Request) error {
	return s.withLibrary(r, false, func(ol *openLibrary) error {
		writeJSON(w, http.StatusOK, map[string]any{"expire_after_seconds": int64(ol.lib.Expiry() / time.Second)})
		return nil
	})
}

// maxExpiry bounds the expiry setting (100 years) so it cannot overflow.
const maxExpiry = 100 * 365 * 24 * 3600

func (s *Server) setExpiry(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Seconds *int64 `json:"expire_after_seconds"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.Seconds == nil || *req.Seconds < 0 || *req.Seconds > maxExpiry {
		return badRequest(`send {"expire_after_seconds": N} (0 keeps unnamed people forever; 2592000 is 30 days)`)
	}
	return s.withLibrary(r, true, func(ol *openLibrary) error {
		if err := ol.lib.SetExpiry(time.Duration(*req.Seconds) * time.Second); err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"expire_after_seconds": *req.Seconds})
		return nil
	})
}

// expireNow applies the expiry at once, or with a one-off age.
func (s *Server) expireNow(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Seconds int64 `json:"older_than_seconds"`
	}
	if err := decodeOptional(r, &req); err != nil {
		return err
	}
	if req.Seconds < 0 || req.Seconds > maxExpiry {
		return badRequest(`older_than_seconds must be from 0 (the library's expiry) to 3153600000`)
	}
	rep, err := s.expire(r.Context(), keyOf(r).TenantID, r.PathValue("lib"), time.Now(), time.Duration(req.Seconds)*time.Second, keyOf(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}
