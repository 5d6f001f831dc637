package server

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/detect"
	"github.com/mienhq/mien/internal/store"
)

// enroll stores a subject with consent and one or more images; every image
// must hold exactly one face that passes the quality gate, or nothing is stored.
func (s *Server) enroll(w http.ResponseWriter, r *http.Request) error {
	k := keyOf(r)
	col, err := s.opts.Store.Collection(r.Context(), k.TenantID, r.PathValue("id"))
	if err != nil {
		return err
	}
	if col.Model != s.opts.Engine.ModelID() {
		return fmt.Errorf("collection %s holds templates of model %s, this server runs %s", col.ID, col.Model, s.opts.Engine.ModelID())
	}
	imgs, err := images(r, "images", 10)
	if err != nil {
		return err
	}
	consent := store.Consent{Purpose: r.FormValue("consent_purpose"), Evidence: r.FormValue("consent_evidence")}
	if consent.ConsentedAt, err = parseTime("consented_at", r.FormValue("consented_at")); err != nil {
		return err
	}
	if consent.ExpiresAt, err = parseTime("expires_at", r.FormValue("expires_at")); err != nil {
		return err
	}
	var tpls []store.Template
	for i, data := range imgs {
		a, err := s.analyze(r.Context(), data, detect.Options{})
		if err != nil {
			return fmt.Errorf("image %d: %w", i+1, err)
		}
		if len(a.Faces) != 1 {
			return &apiError{http.StatusUnprocessableEntity, "face_count", fmt.Sprintf("image %d: enrolment needs exactly one face, found %d", i+1, len(a.Faces))}
		}
		f := a.Faces[0]
		if err := s.opts.Gate.Check(f.Quality); err != nil {
			return &apiError{http.StatusUnprocessableEntity, "quality", fmt.Sprintf("image %d refused: %v", i+1, err)}
		}
		tpls = append(tpls, store.Template{Vector: f.Embedding.Vector, Quality: f.Quality})
	}
	sub, err := s.opts.Store.Enroll(r.Context(), k.TenantID, col.ID,
		store.Subject{ExternalID: r.FormValue("external_id"), Name: r.FormValue("name"), Consent: consent}, tpls, k.ID)
	if err != nil {
		return err
	}
	g, err := s.galleryFor(col.ID)
	if err != nil {
		return err
	}
	for i, t := range sub.Templates {
		g.idx.Add(t.ID, tpls[i].Vector)
		s.mu.Lock()
		g.subject[t.ID] = sub.ID
		s.mu.Unlock()
	}
	writeJSON(w, http.StatusCreated, sub)
	return nil
}

func (s *Server) listSubjects(w http.ResponseWriter, r *http.Request) error {
	subs, err := s.opts.Store.Subjects(r.Context(), keyOf(r).TenantID, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"subjects": subs})
	return nil
}

// getSubject returns everything held about a subject: identity fields,
// consent record and template metadata (the sealed vectors stay sealed).
func (s *Server) getSubject(w http.ResponseWriter, r *http.Request) error {
	sub, err := s.opts.Store.Subject(r.Context(), keyOf(r).TenantID, r.PathValue("id"), r.PathValue("sid"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, sub)
	return nil
}

func (s *Server) deleteSubject(w http.ResponseWriter, r *http.Request) error {
	k := keyOf(r)
	col, sid := r.PathValue("id"), r.PathValue("sid")
	sub, err := s.opts.Store.Subject(r.Context(), k.TenantID, col, sid)
	if err != nil {
		return err
	}
	if _, err := s.opts.Store.DeleteSubject(r.Context(), k.TenantID, col, sid, k.ID); err != nil {
		return err
	}
	if g, err := s.galleryFor(col); err == nil {
		for _, t := range sub.Templates {
			g.idx.Remove(t.ID)
			s.mu.Lock()
			delete(g.subject, t.ID)
			s.mu.Unlock()
		}
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// verify compares the probe's face (the largest) with one enrolled subject's
// templates: 1:1, as for face login. The probe is never stored.
func (s *Server) verify(w http.ResponseWriter, r *http.Request) error {
	k := keyOf(r)
	col, sid := r.PathValue("id"), r.PathValue("sid")
	sub, err := s.opts.Store.Subject(r.Context(), k.TenantID, col, sid)
	if err != nil {
		return err
	}
	if now := s.opts.Store.Now(); !sub.Consent.ExpiresAt.After(now) {
		return fmt.Errorf("%w: subject %s's consent expired on %s; they cannot be verified until they consent again",
			store.ErrConsent, sub.ID, sub.Consent.ExpiresAt.Format(time.RFC3339))
	}
	img, far, thr, err := s.probeForm(r)
	if err != nil {
		return err
	}
	a, err := s.analyze(r.Context(), img, detect.Options{MaxFaces: 1})
	if err != nil {
		return err
	}
	if len(a.Faces) == 0 {
		return mien.ErrNoFace
	}
	g, err := s.galleryFor(col)
	if err != nil {
		return err
	}
	best := float32(-1)
	for _, t := range sub.Templates {
		sc, ok, err := g.idx.Score(a.Faces[0].Embedding.Vector, t.ID)
		if err != nil {
			return err
		}
		if ok && sc > best {
			best = sc
		}
	}
	decision := "no_match"
	if best >= thr {
		decision = "match"
	}
	s.opts.Store.Audit(r.Context(), store.Entry{TenantID: k.TenantID, Actor: k.ID, Action: "verify", Object: sub.ID,
		Detail: map[string]any{"collection": col, "decision": decision, "far": far}})
	writeJSON(w, http.StatusOK, map[string]any{"subject_id": sub.ID, "decision": decision, "similarity": best,
		"threshold": thr, "far": far, "box": a.Faces[0].Box})
	return nil
}

// Candidate is one identification result.
type Candidate struct {
	SubjectID  string  `json:"subject_id"`
	Similarity float32 `json:"similarity"`
}

// identify answers, for every face in the probe, the best enrolled subjects
// or "unknown"; the probe and its templates are never stored.
func (s *Server) identify(w http.ResponseWriter, r *http.Request) error {
	k := keyOf(r)
	col, err := s.opts.Store.Collection(r.Context(), k.TenantID, r.PathValue("id"))
	if err != nil {
		return err
	}
	img, far, thr, err := s.probeForm(r)
	if err != nil {
		return err
	}
	topK := 3
	if v := r.FormValue("top_k"); v != "" {
		if topK, err = strconv.Atoi(v); err != nil || topK < 1 || topK > 50 {
			return badRequest("top_k must be 1..50")
		}
	}
	a, err := s.analyze(r.Context(), img, detect.Options{})
	if err != nil {
		return err
	}
	g, err := s.galleryFor(col.ID)
	if err != nil {
		return err
	}
	type result struct {
		Box        any         `json:"box"`
		Decision   string      `json:"decision"` // "match" or "unknown"
		Candidates []Candidate `json:"candidates"`
	}
	out := []result{}
	var matched []string
	for _, f := range a.Faces {
		cands, err := s.candidates(r.Context(), g, col.ID, f.Embedding.Vector, thr, topK)
		if err != nil {
			return err
		}
		res := result{Box: f.Box, Decision: "unknown", Candidates: cands}
		if len(res.Candidates) > 0 {
			res.Decision = "match"
			matched = append(matched, res.Candidates[0].SubjectID)
		}
		out = append(out, res)
	}
	s.opts.Store.Audit(r.Context(), store.Entry{TenantID: k.TenantID, Actor: k.ID, Action: "identify", Object: col.ID,
		Detail: map[string]any{"faces": len(a.Faces), "matched_subjects": matched, "far": far}})
	writeJSON(w, http.StatusOK, map[string]any{"faces": out, "far": far, "threshold": thr})
	return nil
}

// probeForm reads a probe request's image and false-match rate.
func (s *Server) probeForm(r *http.Request) ([]byte, float64, float32, error) {
	imgs, err := images(r, "image", 1)
	if err != nil {
		return nil, 0, 0, err
	}
	far, thr, err := s.farParam(r)
	if err != nil {
		return nil, 0, 0, err
	}
	return imgs[0], far, thr, nil
}

// candidates ranks the distinct subjects whose templates score at least thr
// against a probe vector, best first, at most topK; subjects whose consent
// has expired are left out.
func (s *Server) candidates(ctx context.Context, g *gallery, collectionID string, v []float32, thr float32, topK int) ([]Candidate, error) {
	ms, err := g.idx.Search(v, topK*4)
	if err != nil {
		return nil, err
	}
	var over []int64
	for _, m := range ms {
		if m.Score >= thr {
			over = append(over, m.ID)
		}
	}
	live, err := s.opts.Store.LiveTemplates(ctx, collectionID, over)
	if err != nil {
		return nil, err
	}
	out := []Candidate{}
	seen := map[string]bool{}
	for _, m := range ms {
		sid, ok := live[m.ID]
		if !ok || m.Score < thr || seen[sid] || len(out) == topK {
			continue
		}
		seen[sid] = true
		out = append(out, Candidate{SubjectID: sid, Similarity: m.Score})
	}
	return out, nil
}
