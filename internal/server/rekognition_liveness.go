package server

import (
	"context"
	"errors"
	"strings"

	"github.com/mienhq/mien/internal/rekognition"
	"github.com/mienhq/mien/internal/store"
)

// Face Liveness for the Rekognition endpoint: its sessions are /v1 liveness
// sessions of the access key's tenant, fed through /v1 (the stream or frame
// uploads, with an API key of the same tenant: GET /v1/liveness/sessions/ID
// gives the nonce and the challenges).

func (b rekBackend) CreateLivenessSession(ctx context.Context, tenant string) (string, error) {
	eng, err := b.s.liveEngine()
	if err != nil {
		return "", rekognition.Denied("%s", err.Error())
	}
	ls, err := b.s.live.create(eng, store.Key{TenantID: tenant, ID: actor(ctx)}, 3, b.s.live.opts.TTL)
	if errors.Is(err, errLiveTooMany) {
		return "", rekognition.LimitExceeded("%s", err.Error())
	}
	if err != nil {
		return "", err
	}
	return ls.id, nil
}

// LivenessResult maps a session's state: open without frames is CREATED,
// open with frames IN_PROGRESS; a decided session SUCCEEDED, with a
// Confidence of 100 x the passive score held to 50-100 when live and to
// 0-49.9 when not; a session the deadline ended without a frame EXPIRED; one
// the engine could not decide FAILED.
func (b rekBackend) LivenessResult(ctx context.Context, tenant, id string) (rekognition.LivenessResult, error) {
	ls, err := b.s.live.get(tenant, id)
	if err != nil {
		return rekognition.LivenessResult{}, rekognition.NotFound("The liveness session %s does not exist", id)
	}
	w := b.s.sessionWire(ls)
	v := w.Verdict
	switch {
	case v == nil && w.Frames == 0:
		return rekognition.LivenessResult{Status: "CREATED"}, nil
	case v == nil:
		return rekognition.LivenessResult{Status: "IN_PROGRESS"}, nil
	case v.Frames == 0 && !v.Live:
		return rekognition.LivenessResult{Status: "EXPIRED"}, nil
	case len(v.Reasons) > 0 && strings.HasPrefix(v.Reasons[0], "the session could not be decided"):
		return rekognition.LivenessResult{Status: "FAILED"}, nil
	}
	var conf float32
	if v.PassiveScore != nil {
		conf = 100 * *v.PassiveScore
	}
	if v.Live {
		conf = min(max(conf, 50), 100)
	} else {
		conf = min(max(conf, 0), 49.9)
	}
	return rekognition.LivenessResult{Status: "SUCCEEDED", Confidence: &conf}, nil
}
