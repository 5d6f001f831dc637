package server

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/document"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/internal/store"
)

// kycEngine is what POST /v1/kyc/match needs beyond Engine. *mien.Engine
// has it; an engine without it answers 501.
type kycEngine interface {
	Decode(data []byte) (*face.Image, error)
	MatchDocument(ctx context.Context, doc, selfie *face.Image, opts mien.DocumentOptions) (*mien.DocumentMatch, error)
}

// LivenessFrame redeems a tenant's one-time liveness token (it is used up,
// whatever the outcome) and returns the best frame of its live session.
type LivenessFrame func(ctx context.Context, tenant, token string) (*face.Image, error)

// livenessFrameHook is how /v1/kyc/match redeems a liveness_token; nil until
// the liveness API is wired in (one call: s.livenessFrame = <its redeem>),
// and until then a token is answered 501.
func (s *Server) livenessFrameHook() LivenessFrame { return s.livenessFrame }

var (
	errKYCUnavailable  = &apiError{http.StatusNotImplemented, "not_implemented", "server: this engine cannot match documents"}
	errTokensMissing   = &apiError{http.StatusNotImplemented, "liveness_unavailable", "server: liveness tokens are not available on this server; send a selfie image"}
	errKYCSelfieSource = badRequest(`send exactly one of a "selfie" image and a "liveness_token"`)
)

// kycMatch answers whether the portrait on a photo of an identity document
// and a selfie (or a liveness token's best frame) show the same person:
// match, no_match or cannot_decide, with reasons. The images and their
// templates are never stored; only the decision and its reason codes are
// audited. Keeping the person takes a separate, consented enrolment.
func (s *Server) kycMatch(w http.ResponseWriter, r *http.Request) error {
	eng, ok := s.opts.Engine.(kycEngine)
	if !ok {
		return errKYCUnavailable
	}
	doc, err := images(r, "document", 1)
	if err != nil {
		return err
	}
	opts, err := kycOptions(r)
	if err != nil {
		return err
	}
	selfie, frame, source, err := s.kycSelfie(r)
	if err != nil {
		return err
	}
	m, err := s.kycRun(r.Context(), eng, doc[0], selfie, frame, opts)
	if err != nil {
		return err
	}
	k := keyOf(r)
	var codes []string
	for _, rs := range m.Reasons {
		codes = append(codes, rs.Code)
	}
	s.opts.Store.Audit(r.Context(), store.Entry{TenantID: k.TenantID, Actor: k.ID, Action: "kyc.match",
		Detail: map[string]any{"decision": m.Result, "reasons": codes, "selfie": source, "far": opts.FAR}})
	writeJSON(w, http.StatusOK, kycWire(m, source))
	return nil
}

// kycSelfie returns the selfie's bytes, or the frame a liveness token
// stands for.
func (s *Server) kycSelfie(r *http.Request) ([]byte, *face.Image, string, error) {
	form, err := readForm(r)
	if err != nil {
		return nil, nil, "", err
	}
	tok := r.FormValue("liveness_token")
	files := form.files["selfie"]
	if (tok == "") == (len(files) == 0) || len(files) > 1 {
		return nil, nil, "", errKYCSelfieSource
	}
	if tok == "" {
		return files[0].data, nil, "image", nil
	}
	redeem := s.livenessFrameHook()
	if redeem == nil {
		return nil, nil, "", errTokensMissing
	}
	img, err := redeem(r.Context(), keyOf(r).TenantID, tok)
	return nil, img, "liveness_token", err
}

// kycRun decodes the document and the selfie (unless it is a liveness
// frame) and matches them, in one of the engine's slots.
func (s *Server) kycRun(ctx context.Context, eng kycEngine, doc, selfie []byte, frame *face.Image, opts mien.DocumentOptions) (*mien.DocumentMatch, error) {
	release, err := s.slot(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	img, err := eng.Decode(doc)
	if err != nil {
		return nil, fmt.Errorf("document: %w", err)
	}
	if frame == nil {
		if frame, err = eng.Decode(selfie); err != nil {
			return nil, fmt.Errorf("selfie: %w", err)
		}
	}
	return eng.MatchDocument(ctx, img, frame, opts)
}

// kycOptions reads far and no_match_far.
func kycOptions(r *http.Request) (mien.DocumentOptions, error) {
	o := mien.DocumentOptions{FAR: 1e-3, NoMatchFAR: 1e-2}
	for _, f := range []struct {
		name string
		v    *float64
	}{{"far", &o.FAR}, {"no_match_far", &o.NoMatchFAR}} {
		if v := r.FormValue(f.name); v != "" {
			x, err := strconv.ParseFloat(v, 64)
			if err != nil || !(x > 0 && x < 1) {
				return o, badRequest(f.name + " must be a number in (0, 1) such as 0.001")
			}
			*f.v = x
		}
	}
	if o.NoMatchFAR < o.FAR {
		return o, badRequest("no_match_far must be at least far")
	}
	return o, nil
}

// kycWire is the JSON answer: no templates, only boxes, measures and scores.
func kycWire(m *mien.DocumentMatch, source string) map[string]any {
	out := map[string]any{"decision": m.Result, "reasons": m.Reasons, "similarity": m.Similarity,
		"thresholds": map[string]any{"match": m.Thresholds.Match, "no_match": m.Thresholds.NoMatch, "far": m.Thresholds.MatchFAR,
			"no_match_far": m.Thresholds.NoMatchFAR, "document_calibrated": m.Thresholds.Calibrated},
		"selfie": map[string]any{"source": source, "faces": m.Selfie.Count}}
	if m.Selfie.Face != nil {
		out["selfie"].(map[string]any)["box"] = m.Selfie.Face.Box
	}
	if p := m.Portrait; p != nil {
		out["portrait"] = map[string]any{"box": p.Box, "landmarks": p.Landmarks, "score": p.Score, "pass": p.Pass,
			"quality": document.Portrait{EyeDistance: p.Quality.EyeDistance, Sharpness: p.Quality.Sharpness, Glare: p.Glare, Yaw: p.Quality.Yaw}}
	}
	if m.Ghost != nil {
		out["ghost"] = map[string]any{"box": m.Ghost.Box}
	}
	return out
}
