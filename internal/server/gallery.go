package server

// The /v1 gallery endpoints: transport only. Each decodes the request,
// runs the engine on the photos, asks internal/gallery (which decides every
// match, for /v1 and the Rekognition endpoint alike) and encodes its answer.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/detect"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/internal/gallery"
	"github.com/mienhq/mien/internal/store"
)

func actorOf(k store.Key) gallery.Actor { return gallery.Actor{Tenant: k.TenantID, ID: k.ID} }

// galleryErr turns a refused decision setting into a 400.
func galleryErr(err error) error {
	if errors.Is(err, gallery.ErrPolicy) {
		return badRequest(err.Error())
	}
	return err
}

// enrolmentTemplates analyses enrolment photos: every one must hold exactly
// one face that passes the quality gate, or none is used.
func (s *Server) enrolmentTemplates(ctx context.Context, imgs [][]byte) ([]gallery.Template, error) {
	var tpls []gallery.Template
	for i, data := range imgs {
		a, err := s.analyze(ctx, data, detect.Options{})
		if err != nil {
			return nil, fmt.Errorf("image %d: %w", i+1, err)
		}
		if len(a.Faces) != 1 {
			return nil, &apiError{http.StatusUnprocessableEntity, "face_count", fmt.Sprintf("image %d: enrolment needs exactly one face, found %d", i+1, len(a.Faces))}
		}
		f := a.Faces[0]
		if err := s.opts.Gate.Check(f.Quality); err != nil {
			return nil, &apiError{http.StatusUnprocessableEntity, "quality", fmt.Sprintf("image %d refused: %v", i+1, err)}
		}
		tpls = append(tpls, gallery.Template{Embedding: f.Embedding, Quality: f.Quality})
	}
	return tpls, nil
}

// enroll stores a subject with consent and one or more images; every image
// must hold exactly one face that passes the quality gate, or nothing is stored.
func (s *Server) enroll(w http.ResponseWriter, r *http.Request) error {
	k := keyOf(r)
	col, err := s.opts.Store.Collection(r.Context(), k.TenantID, r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := s.gal.CheckModel(col); err != nil {
		return err
	}
	tpls, session, err := s.enrolmentProbes(r, k, col)
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
	sub, err := s.gal.Enroll(r.Context(), actorOf(k), col,
		store.Subject{ExternalID: r.FormValue("external_id"), Name: r.FormValue("name"), Consent: consent}, tpls)
	if err != nil {
		return err
	}
	s.auditLiveEnrolment(r.Context(), k, sub.ID, session)
	writeJSON(w, http.StatusCreated, sub)
	return nil
}

// addPhotos adds photos to an enrolled subject under its consent record:
// every photo must hold exactly one face that passes the quality gate, or
// none is added.
func (s *Server) addPhotos(w http.ResponseWriter, r *http.Request) error {
	k := keyOf(r)
	col, err := s.opts.Store.Collection(r.Context(), k.TenantID, r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := s.gal.CheckModel(col); err != nil {
		return err
	}
	if _, err := s.opts.Store.Subject(r.Context(), k.TenantID, col.ID, r.PathValue("sid")); err != nil {
		return err
	}
	tpls, session, err := s.enrolmentProbes(r, k, col)
	if err != nil {
		return err
	}
	sub, err := s.gal.AddPhotos(r.Context(), actorOf(k), col, r.PathValue("sid"), tpls)
	if err != nil {
		return err
	}
	s.auditLiveEnrolment(r.Context(), k, sub.ID, session)
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
	if err := s.gal.DeleteSubject(r.Context(), actorOf(keyOf(r)), r.PathValue("id"), r.PathValue("sid")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// verify compares the probe's face (the largest) with one enrolled subject:
// 1:1, as for face login, at a false-match rate. The probe is an image, a
// liveness token (its session's best frame, once), or both (a match needs
// both). The probe is never stored.
func (s *Server) verify(w http.ResponseWriter, r *http.Request) error {
	k := keyOf(r)
	col, err := s.opts.Store.Collection(r.Context(), k.TenantID, r.PathValue("id"))
	if err != nil {
		return err
	}
	sub, err := s.opts.Store.Subject(r.Context(), k.TenantID, col.ID, r.PathValue("sid"))
	if err != nil {
		return err
	}
	imgs, tok, err := loginForm(r, "image", 1)
	if err != nil {
		return err
	}
	far, err := rateParam(r, "far", 1e-3)
	if err != nil {
		return err
	}
	probes, err := s.verifyProbes(r.Context(), k.TenantID, imgs, tok)
	if err != nil {
		return err
	}
	v, results, err := s.verifyAll(r.Context(), col, sub, probes, far)
	if err != nil {
		return err
	}
	decision := decisionOf(v.Match && !slices.ContainsFunc(results, func(p probeResult) bool { return p.Decision != "match" }))
	detail := map[string]any{"collection": col.ID, "decision": decision, "far": far}
	if tok != "" {
		detail["liveness_session"] = probes[0].session
	}
	s.opts.Store.Audit(r.Context(), store.Entry{TenantID: k.TenantID, Actor: k.ID, Action: "verify", Object: sub.ID, Detail: detail})
	writeJSON(w, http.StatusOK, map[string]any{"subject_id": sub.ID, "decision": decision, "similarity": v.Similarity,
		"threshold": v.Threshold, "far": far, "box": results[len(results)-1].Box, "probes": results})
	return nil
}

// Candidate is one identification result.
type Candidate = gallery.Candidate

// identify answers, for every face in the probe, the best enrolled subjects
// or "unknown", at a false-positive identification rate (fpir) for the
// collection's size, or at a per-comparison far; the probe and its
// templates are never stored.
func (s *Server) identify(w http.ResponseWriter, r *http.Request) error {
	k := keyOf(r)
	col, err := s.opts.Store.Collection(r.Context(), k.TenantID, r.PathValue("id"))
	if err != nil {
		return err
	}
	imgs, err := images(r, "image", 1)
	if err != nil {
		return err
	}
	var p gallery.Policy
	if p.FPIR, err = rateParam(r, "fpir", 0); err != nil {
		return err
	}
	if p.FAR, err = rateParam(r, "far", 0); err != nil {
		return err
	}
	topK := 3
	if v := r.FormValue("top_k"); v != "" {
		if topK, err = strconv.Atoi(v); err != nil || topK < 1 || topK > 50 {
			return badRequest("top_k must be 1..50")
		}
	}
	a, err := s.analyze(r.Context(), imgs[0], detect.Options{})
	if err != nil {
		return err
	}
	res, err := s.gal.Identify(r.Context(), col, embeddingsOf(a.Faces), p, topK)
	if err != nil {
		return galleryErr(err)
	}
	return s.writeIdentification(w, r, k, col, a.Faces, res)
}

func embeddingsOf(fs []mien.Face) []face.Embedding {
	out := make([]face.Embedding, len(fs))
	for i, f := range fs {
		out[i] = f.Embedding
	}
	return out
}

// writeIdentification audits an identification and writes its answer.
func (s *Server) writeIdentification(w http.ResponseWriter, r *http.Request, k store.Key, col store.Collection, faces []mien.Face, res gallery.Identification) error {
	type result struct {
		Box        any         `json:"box"`
		Decision   string      `json:"decision"` // "match" or "unknown"
		Candidates []Candidate `json:"candidates"`
	}
	out := []result{}
	var matched []string
	for i, f := range faces {
		rs := result{Box: f.Box, Decision: "unknown", Candidates: res.Faces[i]}
		if len(rs.Candidates) > 0 {
			rs.Decision = "match"
			matched = append(matched, rs.Candidates[0].SubjectID)
		}
		out = append(out, rs)
	}
	s.opts.Store.Audit(r.Context(), store.Entry{TenantID: k.TenantID, Actor: k.ID, Action: "identify", Object: col.ID,
		Detail: map[string]any{"faces": len(faces), "matched_subjects": matched, "fpir": res.FPIR, "far": res.FAR,
			"threshold": res.Threshold, "gallery_size": res.GallerySize}})
	writeJSON(w, http.StatusOK, map[string]any{"faces": out, "fpir": res.FPIR, "far": res.FAR, "threshold": res.Threshold,
		"gallery_size": res.GallerySize})
	return nil
}

// rateParam reads an optional rate form field (def when absent).
func rateParam(r *http.Request, field string, def float64) (float64, error) {
	v := r.FormValue(field)
	if v == "" {
		return def, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return 0, badRequest(field + " must be a number such as 0.001")
	}
	return f, nil
}

// collectionSettings answers a collection's decision settings: its default
// FPIR (0: the server's) and the one identify uses now.
func (s *Server) collectionSettings(w http.ResponseWriter, r *http.Request) error {
	col, err := s.opts.Store.Collection(r.Context(), keyOf(r).TenantID, r.PathValue("id"))
	if err != nil {
		return err
	}
	st, err := s.opts.Store.CollectionSettings(r.Context(), col.ID)
	if err != nil {
		return err
	}
	return s.writeSettings(w, col, st)
}

func (s *Server) writeSettings(w http.ResponseWriter, col store.Collection, st store.Settings) error {
	eff := st.FPIR
	if eff == 0 {
		eff = s.gal.DefaultFPIR()
	}
	tpls, subs := s.gal.Size(col.ID)
	writeJSON(w, http.StatusOK, map[string]any{"fpir": st.FPIR, "effective_fpir": eff, "require_liveness": st.RequireLiveness,
		"updated_at": st.UpdatedAt, "templates": tpls, "subjects": subs})
	return nil
}

// putCollectionSettings sets a collection's default FPIR (a security level;
// 0 returns it to the server's default) and whether enrolment requires a
// liveness token; a field left out keeps its value.
func (s *Server) putCollectionSettings(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		FPIR            *float64 `json:"fpir"`
		RequireLiveness *bool    `json:"require_liveness"`
	}
	if err := decodeOptional(r, &req); err != nil {
		return err
	}
	if req.FPIR == nil && req.RequireLiveness == nil {
		return badRequest(`send {"fpir": 0.001} (0: the server's default) and/or {"require_liveness": true}`)
	}
	if req.FPIR != nil && *req.FPIR != 0 {
		if err := store.CheckFPIR(*req.FPIR); err != nil {
			return badRequest(err.Error())
		}
	}
	k := keyOf(r)
	col, err := s.opts.Store.Collection(r.Context(), k.TenantID, r.PathValue("id"))
	if err != nil {
		return err
	}
	st, err := s.opts.Store.CollectionSettings(r.Context(), col.ID)
	if err != nil {
		return err
	}
	if req.FPIR != nil {
		st.FPIR = *req.FPIR
	}
	if req.RequireLiveness != nil {
		st.RequireLiveness = *req.RequireLiveness
	}
	if st, err = s.opts.Store.SetCollectionSettings(r.Context(), k.TenantID, col.ID, st, k.ID); err != nil {
		return err
	}
	return s.writeSettings(w, col, st)
}
