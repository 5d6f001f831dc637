package server

import (
	"context"
	"net/http"
	"strings"

	"github.com/mienhq/mien/internal/store"
	"github.com/mienhq/mien/web"
)

type ctxKey struct{}

// routes registers every endpoint.
func (s *Server) routes() {
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, map[string]string{"status": "ok"}) })
	s.mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		body := map[string]any{"status": "ready", "model": s.opts.Engine.ModelID()}
		if s.cams != nil {
			body["cameras"] = s.cameraStates() // counts by state only: /readyz needs no key
		}
		writeJSON(w, 200, body)
	})
	ui := http.FileServerFS(web.FS())
	s.mux.Handle("GET /{$}", ui)
	s.mux.Handle("GET /ui/", http.StripPrefix("/ui", ui))
	metrics := func(w http.ResponseWriter, r *http.Request) error {
		running := len(s.slots)
		s.metrics.write(w, max(0, len(s.queue)-running), running, s.writeCameraMetrics)
		return nil
	}
	if s.opts.MetricsPublic {
		s.mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) { metrics(w, r) })
	} else {
		s.handle("GET /metrics", store.RoleAdmin, metrics)
	}
	s.mux.HandleFunc("GET /v1/openapi.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(openAPI)
	})
	s.handle("POST /v1/detect", store.RoleRead, formOf(s.detect, "image"))
	s.handle("POST /v1/compare", store.RoleRead, formOf(s.compare, "image_a", "image_b", "far"))
	s.handle("POST /v1/kyc/match", store.RoleRead, formOf(s.kycMatch, "document", "selfie", "liveness_token", "far", "no_match_far"))
	s.handle("POST /v1/collections", store.RoleAdmin, s.createCollection)
	s.handle("GET /v1/collections", store.RoleRead, s.listCollections)
	s.handle("GET /v1/collections/{id}", store.RoleRead, s.getCollection)
	s.handle("DELETE /v1/collections/{id}", store.RoleAdmin, s.deleteCollection)
	s.handle("POST /v1/collections/{id}/subjects", store.RoleReadWrite, formOf(s.enroll, "images", "liveness_token",
		"external_id", "name", "consent_purpose", "consent_evidence", "consented_at", "expires_at"))
	s.handle("GET /v1/collections/{id}/subjects", store.RoleRead, s.listSubjects)
	s.handle("GET /v1/collections/{id}/subjects/{sid}", store.RoleRead, s.getSubject)
	s.handle("GET /v1/collections/{id}/subjects/{sid}/export", store.RoleRead, s.getSubject)
	s.handle("DELETE /v1/collections/{id}/subjects/{sid}", store.RoleReadWrite, s.deleteSubject)
	s.handle("POST /v1/collections/{id}/subjects/{sid}/images", store.RoleReadWrite, formOf(s.addPhotos, "images", "liveness_token"))
	s.handle("POST /v1/collections/{id}/subjects/{sid}/verify", store.RoleRead, formOf(s.verify, "image", "liveness_token", "far"))
	s.handle("POST /v1/collections/{id}/identify", store.RoleRead, formOf(s.identify, "image", "fpir", "far", "top_k"))
	s.handle("GET /v1/collections/{id}/settings", store.RoleRead, s.collectionSettings)
	s.handle("PUT /v1/collections/{id}/settings", store.RoleAdmin, s.putCollectionSettings)
	s.handle("PUT /v1/collections/{id}/consent-policy", store.RoleAdmin, s.putConsentPolicy)
	s.handle("GET /v1/collections/{id}/consent-policy", store.RoleRead, s.getConsentPolicy)
	s.handle("GET /v1/keys", store.RoleAdmin, s.listKeys)
	s.handle("POST /v1/keys", store.RoleAdmin, s.createKey)
	s.handle("DELETE /v1/keys/{kid}", store.RoleAdmin, s.revokeKey)
	s.handle("GET /v1/audit", store.RoleAdmin, s.listAudit)
	s.handle("POST /v1/rekognition/keys", store.RoleAdmin, s.createAWSKey)
	s.handle("GET /v1/rekognition/keys", store.RoleAdmin, s.listAWSKeys)
	s.handle("DELETE /v1/rekognition/keys/{kid}", store.RoleAdmin, s.revokeAWSKey)
	// The AWS Rekognition protocol (SigV4, not bearer keys): at the root, for
	// SDKs whose endpoint is the server, and under /rekognition.
	rek := s.rekognitionHandler()
	s.mux.Handle("POST /{$}", rek)
	s.mux.Handle("POST /rekognition", rek)
	s.mux.Handle("POST /rekognition/", rek)
	s.livenessRoutes()
	s.libraryRoutes()
	s.libraryUIRoutes()
	s.cameraRoutes()
	s.meshRoutes()
}

var rank = map[string]int{store.RoleRead: 1, store.RoleReadWrite: 2, store.RoleAdmin: 3}

// handle wraps a handler with authentication, the role check and the
// error mapping.
func (s *Server) handle(pattern, role string, h handler) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			token = ""
		}
		r, err := s.authorize(r, token, role)
		if err == nil {
			err = h(w, r)
		}
		if err != nil {
			writeError(w, r, err)
		}
	})
}

// authorize checks an API key and its role, and returns r carrying the key.
func (s *Server) authorize(r *http.Request, token, role string) (*http.Request, error) {
	if token == "" {
		return r, store.ErrUnauthorized
	}
	key, err := s.opts.Store.Authenticate(r.Context(), token)
	if err != nil {
		return r, err
	}
	if rank[key.Role] < rank[role] {
		return r, errForbidden
	}
	return r.WithContext(context.WithValue(r.Context(), ctxKey{}, key)), nil
}

func keyOf(r *http.Request) store.Key { return r.Context().Value(ctxKey{}).(store.Key) }
