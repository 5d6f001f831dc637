package server

import (
	"bytes"
	"context"
	"errors"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/internal/store"
)

// TestKYCLivenessTokenHook: a liveness_token is answered 501 until the hook
// is set; once set, the hook gets the caller's tenant and the token, its
// frame is the selfie, and its refusal is the answer.
func TestKYCLivenessTokenHook(t *testing.T) {
	request := func(tok string) *http.Request {
		var body bytes.Buffer
		w := multipart.NewWriter(&body)
		w.WriteField("liveness_token", tok)
		w.Close()
		hr := httptest.NewRequest("POST", "/v1/kyc/match", &body)
		hr.Header.Set("Content-Type", w.FormDataContentType())
		hr = hr.WithContext(context.WithValue(hr.Context(), ctxKey{}, store.Key{TenantID: "tenant-1", ID: "key-1"}))
		return hr
	}
	s := &Server{}
	if _, _, _, err := s.kycSelfie(request("lvt_abc")); !errors.Is(err, errTokensMissing) {
		t.Fatalf("token without the hook: %v, want errTokensMissing", err)
	}
	frame := face.NewImage(8, 8)
	var gotTenant, gotToken string
	s.livenessFrame = func(_ context.Context, tenant, token string) (*face.Image, error) {
		gotTenant, gotToken = tenant, token
		if token == "lvt_used" {
			return nil, errors.New("refused")
		}
		return frame, nil
	}
	data, img, source, err := s.kycSelfie(request("lvt_abc"))
	if err != nil || img != frame || data != nil || source != "liveness_token" || gotTenant != "tenant-1" || gotToken != "lvt_abc" {
		t.Fatalf("token with the hook: %v %v %q %v (tenant %q token %q)", data, img, source, err, gotTenant, gotToken)
	}
	if _, _, _, err := s.kycSelfie(request("lvt_used")); err == nil || err.Error() != "refused" {
		t.Fatalf("a refused token: %v", err)
	}
}
