package server

import (
	"context"
	"errors"
	"math"
	"time"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/detect"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/liveness/challenge"
)

// engineLiveness runs sessions on a mien.Engine.
type engineLiveness struct {
	e    *mien.Engine
	opts mien.LivenessSessionOptions
}

func (l engineLiveness) StartLiveness(ch *challenge.Session) (LiveSession, error) {
	ls, err := l.e.NewLivenessSession(ch, l.opts)
	if err != nil {
		return nil, err
	}
	return liveAdapter{ls}, nil
}

func (l engineLiveness) Decode(data []byte) (*face.Image, error) { return l.e.Decode(data) }

func (l engineLiveness) AnalyzeImage(ctx context.Context, img *face.Image, opts detect.Options) (*mien.Analysis, error) {
	return l.e.AnalyzeImage(ctx, img, opts)
}

// progressOf is the server's progress of an engine's: its numbers finite
// (a pose or signal the engine could not read is 0), so that a progress
// message is always valid JSON.
func progressOf(p mien.LivenessProgress) LiveProgress {
	return LiveProgress{Faces: p.Measure.Faces, Completed: len(p.Done), Challenge: string(p.Current), Failed: len(p.Reasons) > 0,
		Returning: p.Returning, Yaw: finite32(p.Measure.Yaw), Pitch: finite32(p.Measure.Pitch), Effort: finite32(p.Effort)}
}

func finite32(v float32) float32 {
	if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
		return 0
	}
	return v
}

// liveAdapter turns the engine's progress and verdict into the server's.
type liveAdapter struct{ s *mien.LivenessSession }

func (a liveAdapter) AddFrame(ctx context.Context, img *face.Image, at time.Time) (LiveProgress, error) {
	p, err := a.s.AddFrame(ctx, img, at)
	out := progressOf(p)
	switch {
	case errors.Is(err, challenge.ErrExpired):
		return out, &apiError{409, "session_expired", "server: the session's deadline has passed"}
	case errors.Is(err, mien.ErrTooManyFrames):
		return out, &apiError{413, "too_many_frames", err.Error()}
	case errors.Is(err, mien.ErrSessionClosed), errors.Is(err, challenge.ErrDecided):
		return out, errLiveEnded
	}
	return out, err
}

func (a liveAdapter) Finish(ctx context.Context, now time.Time) (LiveVerdict, error) {
	v, err := a.s.Finish(ctx, now)
	if err != nil {
		return LiveVerdict{}, err
	}
	out := LiveVerdict{Live: v.Live, Reasons: v.Reasons, Passive: v.PassiveScore, Frames: v.Frames, Best: v.BestFrame}
	for _, c := range v.Challenges {
		if c.Done {
			out.Completed = append(out.Completed, string(c.Kind))
		}
	}
	return out, nil
}

func (a liveAdapter) Close() { a.s.Close() }
