package rekognition

import (
	"context"
	"net/http"
)

// Face Liveness: CreateFaceLivenessSession and GetFaceLivenessSessionResults
// over mien's challenge sessions. AWS feeds a session's video through its
// own streaming API (StartFaceLivenessSession, in the Amplify UI
// component); mien's clients feed frames through /v1 instead (the session's
// WebSocket or frame uploads, docs/rekognition.md). No image is ever
// returned or kept: ReferenceImage and AuditImages are left out.

// LivenessBackend is the Face Liveness side of a Backend. A Backend without
// it answers these operations as unsupported.
type LivenessBackend interface {
	// CreateLivenessSession starts a session for the tenant and returns its id.
	CreateLivenessSession(ctx context.Context, tenant string) (string, error)
	// LivenessResult returns a session's state; NotFound for an unknown
	// id or another tenant's.
	LivenessResult(ctx context.Context, tenant, id string) (LivenessResult, error)
}

// LivenessResult is a session's state in Rekognition's terms.
type LivenessResult struct {
	// Status is CREATED, IN_PROGRESS, SUCCEEDED, FAILED or EXPIRED.
	Status string
	// Confidence (0-100) once SUCCEEDED: 50 or more when mien decided the
	// session live, under 50 when not.
	Confidence *float32
}

// livenessChallenge names mien's challenge (head movements, blinks and
// mouth opening) in the Challenge field.
var livenessChallenge = map[string]string{"Type": "FaceMovementChallenge", "Version": "mien-1"}

type createLivenessInput struct {
	KmsKeyId           *string
	ClientRequestToken *string
	Settings           *struct {
		OutputConfig         *struct{ S3Bucket, S3KeyPrefix string }
		AuditImagesLimit     *int
		ChallengePreferences []struct{ Type, Versions any }
	}
}

func (h *Handler) livenessBackend() (LivenessBackend, error) {
	lb, ok := h.backend.(LivenessBackend)
	if !ok {
		return nil, newError(http.StatusBadRequest, "UnknownOperationException", "this mien has no Face Liveness")
	}
	return lb, nil
}

func (h *Handler) createFaceLivenessSession(ctx context.Context, c *call) (any, error) {
	var in createLivenessInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if st := in.Settings; st != nil {
		if st.OutputConfig != nil {
			return nil, Invalid("Settings.OutputConfig: mien never writes a session's images anywhere (no S3 output)")
		}
		if st.AuditImagesLimit != nil && (*st.AuditImagesLimit < 0 || *st.AuditImagesLimit > 4) {
			return nil, Invalid("Settings.AuditImagesLimit must be 0 to 4 (mien returns no audit images)")
		}
		for _, p := range st.ChallengePreferences {
			if p.Type != "FaceMovementChallenge" && p.Type != "FaceMovementAndLightChallenge" {
				return nil, Invalid("Settings.ChallengePreferences: unknown challenge type %v", p.Type)
			}
		}
	}
	lb, err := h.livenessBackend()
	if err != nil {
		return nil, err
	}
	id, err := lb.CreateLivenessSession(ctx, c.tenant)
	if err != nil {
		return nil, err
	}
	return map[string]string{"SessionId": id}, nil
}

func (h *Handler) getFaceLivenessSessionResults(ctx context.Context, c *call) (any, error) {
	var in struct{ SessionId string }
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if in.SessionId == "" || len(in.SessionId) > 64 {
		return nil, Invalid("SessionId is required (at most 64 characters)")
	}
	lb, err := h.livenessBackend()
	if err != nil {
		return nil, err
	}
	res, err := lb.LivenessResult(ctx, c.tenant, in.SessionId)
	if err != nil {
		return nil, err
	}
	out := map[string]any{"SessionId": in.SessionId, "Status": res.Status, "Challenge": livenessChallenge}
	if res.Confidence != nil {
		out["Confidence"] = *res.Confidence
	}
	return out, nil
}

// LimitExceeded is LimitExceededException (too many open sessions).
func LimitExceeded(format string, args ...any) *Error {
	return newError(http.StatusBadRequest, "LimitExceededException", format, args...)
}
