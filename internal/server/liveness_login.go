package server

// Face login and enrolment with a liveness token: the token's best frame,
// held in memory since its session ended, is analysed once, when the token
// is redeemed, and then dropped with the token.

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/detect"
	"github.com/mienhq/mien/internal/gallery"
	"github.com/mienhq/mien/internal/store"
)

// probe is one face verify matches against the subject.
type probe struct {
	source  string // "image" or "liveness_token"
	session string // the liveness session, for a token
	face    mien.Face
}

// loginForm reads a verify or enrolment form: its files in field and its
// liveness_token (either may be missing, not both).
func loginForm(r *http.Request, field string, maxFiles int) ([][]byte, string, error) {
	f, err := readForm(r)
	if errors.Is(err, errNotMultipart) {
		return nil, "", badRequest(fmt.Sprintf("send multipart/form-data with images in %q and/or a liveness_token", field))
	} else if err != nil {
		return nil, "", err
	}
	tok := r.FormValue("liveness_token")
	files := f.files[field]
	switch {
	case len(files) == 0 && tok == "":
		return nil, "", badRequest(fmt.Sprintf("no image in the form field %q and no liveness_token", field))
	case len(files) > maxFiles:
		return nil, "", badRequest(fmt.Sprintf("at most %d images in %q", maxFiles, field))
	}
	imgs := make([][]byte, len(files))
	for i, ff := range files {
		imgs[i] = ff.data
	}
	return imgs, tok, nil
}

// tokenFace redeems a liveness token (once: it is gone after this) and
// returns the largest face of its best frame.
func (s *Server) tokenFace(ctx context.Context, tenant, tok string) (probe, error) {
	t, err := s.live.redeem(tenant, tok)
	if err != nil {
		return probe{}, err
	}
	eng, err := s.liveEngine()
	if err != nil {
		return probe{}, err
	}
	release, err := s.slot(ctx)
	if err != nil {
		return probe{}, err
	}
	defer release()
	a, err := eng.AnalyzeImage(ctx, t.best, detect.Options{MaxFaces: 1})
	t.best = nil
	if err != nil {
		return probe{}, err
	}
	if len(a.Faces) == 0 {
		return probe{}, fmt.Errorf("liveness token: %w", mien.ErrNoFace)
	}
	return probe{source: "liveness_token", session: t.session, face: a.Faces[0]}, nil
}

// verifyProbes returns the faces verify matches: the image's largest face,
// the token's, or both. The token is redeemed before the image is analysed,
// so a token presented with a bad image is still used up.
func (s *Server) verifyProbes(ctx context.Context, tenant string, imgs [][]byte, tok string) ([]probe, error) {
	var out []probe
	if tok != "" {
		p, err := s.tokenFace(ctx, tenant, tok)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	for _, data := range imgs {
		a, err := s.analyze(ctx, data, detect.Options{MaxFaces: 1})
		if err != nil {
			return nil, err
		}
		if len(a.Faces) == 0 {
			return nil, mien.ErrNoFace
		}
		out = append(out, probe{source: "image", face: a.Faces[0]})
	}
	return out, nil
}

// probeResult is one probe's comparison in verify's answer.
type probeResult struct {
	Source     string  `json:"source"`
	Session    string  `json:"liveness_session_id,omitempty"`
	Decision   string  `json:"decision"`
	Similarity float32 `json:"similarity"`
	Box        any     `json:"box"`
}

// verifyAll matches every probe with the subject: the decision is a match
// only when every probe matches; the answer's similarity is the lowest.
func (s *Server) verifyAll(ctx context.Context, col store.Collection, sub store.Subject, probes []probe, far float64) (gallery.Verdict, []probeResult, error) {
	var worst gallery.Verdict
	var out []probeResult
	for i, p := range probes {
		v, err := s.gal.Verify(ctx, col, sub, p.face.Embedding, far)
		if err != nil {
			return v, nil, galleryErr(err)
		}
		if i == 0 || v.Similarity < worst.Similarity {
			worst = v
		}
		out = append(out, probeResult{Source: p.source, Session: p.session, Decision: decisionOf(v.Match), Similarity: v.Similarity, Box: p.face.Box})
	}
	return worst, out, nil
}

func decisionOf(match bool) string {
	if match {
		return "match"
	}
	return "no_match"
}

// enrolmentProbes reads an enrolment's photos and liveness token under the
// collection's policy: when it requires liveness, a token is needed; with a
// token, its live face is enrolled and every photo must show the same
// person (at a false-match rate of 1e-4), so that a live face cannot vouch
// for another person's photos.
func (s *Server) enrolmentProbes(r *http.Request, k store.Key, col store.Collection) ([]gallery.Template, string, error) {
	imgs, tok, err := loginForm(r, "images", 10)
	if err != nil {
		return nil, "", err
	}
	st, err := s.opts.Store.CollectionSettings(r.Context(), col.ID)
	if err != nil {
		return nil, "", err
	}
	if st.RequireLiveness && tok == "" {
		return nil, "", errTokenRequired
	}
	tpls, err := s.enrolmentTemplates(r.Context(), imgs)
	if err != nil || tok == "" {
		return tpls, "", err
	}
	p, err := s.tokenFace(r.Context(), k.TenantID, tok)
	if err != nil {
		return nil, "", err
	}
	if err := s.opts.Gate.Check(p.face.Quality); err != nil {
		return nil, "", &apiError{http.StatusUnprocessableEntity, "quality", fmt.Sprintf("the liveness token's best frame refused: %v", err)}
	}
	thr, err := s.opts.Engine.Threshold(1e-4)
	if err != nil {
		return nil, "", err
	}
	for i, t := range tpls {
		sim, err := s.opts.Engine.Compare(p.face.Embedding, t.Embedding)
		if err != nil {
			return nil, "", err
		}
		if !gallery.Matched(sim, thr) {
			return nil, "", &apiError{http.StatusUnprocessableEntity, "not_live_person", fmt.Sprintf("image %d does not show the person seen live (similarity %.3f, threshold %.3f)", i+1, sim, thr)}
		}
	}
	return append([]gallery.Template{{Embedding: p.face.Embedding, Quality: p.face.Quality}}, tpls...), p.session, nil
}

// auditLiveEnrolment records that an enrolment used a liveness session.
func (s *Server) auditLiveEnrolment(ctx context.Context, k store.Key, subject, session string) {
	if session == "" {
		return
	}
	s.auditEntry(ctx, store.Entry{TenantID: k.TenantID, Actor: k.ID, Action: "subject.liveness", Object: subject,
		Detail: map[string]any{"liveness_session": session}})
}
