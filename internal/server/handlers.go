package server

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/detect"
)

// images reads the uploaded images of a multipart field.
func images(r *http.Request, field string, maxFiles int) ([][]byte, error) {
	files, err := formFiles(r, field, maxFiles)
	if err != nil {
		return nil, err
	}
	out := make([][]byte, len(files))
	for i, f := range files {
		out[i] = f.data
	}
	return out, nil
}

// farParam reads the false-match rate (default 1e-3).
func (s *Server) farParam(r *http.Request) (float64, float32, error) {
	far := 1e-3
	if v := r.FormValue("far"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return 0, 0, badRequest("far must be a number such as 0.001")
		}
		far = f
	}
	thr, err := s.opts.Engine.Threshold(far)
	if err != nil {
		return 0, 0, badRequest(err.Error())
	}
	return far, thr, nil
}

func (s *Server) detect(w http.ResponseWriter, r *http.Request) error {
	imgs, err := images(r, "image", 1)
	if err != nil {
		return err
	}
	a, err := s.analyze(r.Context(), imgs[0], detect.Options{})
	if err != nil {
		return err
	}
	for i := range a.Faces {
		a.Faces[i].Embedding.Vector = nil // templates of probes never leave the engine
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

func (s *Server) compare(w http.ResponseWriter, r *http.Request) error {
	a, err := images(r, "image_a", 1)
	if err != nil {
		return err
	}
	b, err := images(r, "image_b", 1)
	if err != nil {
		return err
	}
	far, thr, err := s.farParam(r)
	if err != nil {
		return err
	}
	var faces [2]mien.Face
	for i, data := range [][]byte{a[0], b[0]} {
		an, err := s.analyze(r.Context(), data, detect.Options{MaxFaces: 1})
		if err != nil {
			return err
		}
		if len(an.Faces) == 0 {
			return fmt.Errorf("image %c: %w", 'a'+i, mien.ErrNoFace)
		}
		faces[i] = an.Faces[0]
	}
	sim, err := s.opts.Engine.Compare(faces[0].Embedding, faces[1].Embedding)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"similarity": sim, "threshold": thr, "far": far, "same_person": sim >= thr,
		"box_a": faces[0].Box, "box_b": faces[1].Box})
	return nil
}

func (s *Server) createCollection(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Name string `json:"name"`
	}
	if err := decodeJSONOr(r, &req, `{"name": "..."}`); err != nil {
		return err
	}
	if strings.TrimSpace(req.Name) == "" {
		return badRequest(`send {"name": "..."}: the name is empty`)
	}
	k := keyOf(r)
	c, err := s.opts.Store.CreateCollection(r.Context(), k.TenantID, req.Name, s.opts.Engine.ModelID(), k.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, c)
	return nil
}

func (s *Server) listCollections(w http.ResponseWriter, r *http.Request) error {
	cs, err := s.opts.Store.Collections(r.Context(), keyOf(r).TenantID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"collections": cs})
	return nil
}

func (s *Server) getCollection(w http.ResponseWriter, r *http.Request) error {
	c, err := s.opts.Store.Collection(r.Context(), keyOf(r).TenantID, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) deleteCollection(w http.ResponseWriter, r *http.Request) error {
	if err := s.eraseCollection(r.Context(), actorOf(keyOf(r)), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func parseTime(field, v string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return t, badRequest(fmt.Sprintf("%s must be an RFC 3339 time such as 2027-01-31T00:00:00Z", field))
	}
	return t, nil
}
