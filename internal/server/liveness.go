package server

// Active liveness over HTTP: challenge sessions held in memory, fed frames by
// a WebSocket (liveness_stream.go) or by HTTP uploads (liveness_frames.go),
// decided by the engine, and answered with a one-time token
// (liveness_token.go) that verify and enrolment accept in place of a photo.
// Frames are never stored: a session holds only the engine's measurements,
// and a live session's best frame stays in memory, bound to its token, until
// the token is used or expires. The audit log gets the verdict and reasons.

import (
	"context"
	"errors"
	"time"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/detect"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/liveness/challenge"
)

// LiveEngine is what active liveness needs of the engine: mien.Engine
// through engineLiveness, or a fake in unit tests. It must be safe for
// concurrent use.
type LiveEngine interface {
	// StartLiveness begins checking frames against a challenge.
	StartLiveness(ch *challenge.Session) (LiveSession, error)
	// Decode turns untrusted frame bytes into an upright image within the
	// engine's limits.
	Decode(data []byte) (*face.Image, error)
	// AnalyzeImage detects and embeds the faces of a decoded image (a
	// token's best frame, at verify or enrolment).
	AnalyzeImage(ctx context.Context, img *face.Image, opts detect.Options) (*mien.Analysis, error)
}

// LiveSession is the engine's side of one session. The server calls its
// methods one at a time and Close exactly once.
type LiveSession interface {
	AddFrame(ctx context.Context, img *face.Image, at time.Time) (LiveProgress, error)
	Finish(ctx context.Context, now time.Time) (LiveVerdict, error)
	Close()
}

// LiveProgress is what one frame changed.
type LiveProgress struct {
	Faces     int    `json:"faces"`               // faces found in the frame (one is wanted)
	Completed int    `json:"completed"`           // challenges done so far
	Challenge string `json:"challenge,omitempty"` // the one waited for; "" once all are done
	Failed    bool   `json:"failed"`              // a check already failed: the verdict will be not_live
	// Returning is set once every challenge is done, until the face is back
	// at rest and matches the first frame's: the session is decided after.
	Returning bool `json:"returning,omitempty"`
	// Yaw and Pitch are the head's pose in degrees relative to the
	// session's pose reference (its first rest frames; > 0: turned to the subject's left, looking up), for a
	// client's guidance; 0 without a face.
	Yaw   float32 `json:"yaw"`
	Pitch float32 `json:"pitch"`
	// Effort is how far the frame goes towards the challenge awaited after
	// it, 0 to 1 (1: far enough), for a client's guidance ("a little
	// further", "wider"); 0 without a face or once every challenge is done.
	Effort float32 `json:"effort"`
}

// LiveVerdict is the engine's decision on a session.
type LiveVerdict struct {
	Live      bool
	Reasons   []string
	Passive   float32 // median passive anti-spoof score; negative when not measured
	Completed []string
	Frames    int
	// Best is the best frame, for the token; nil when there is none. It is
	// held in memory only.
	Best *face.Image
}

// LivenessOptions configure active liveness. Zero values take the defaults.
type LivenessOptions struct {
	// Engine runs the sessions; nil: Options.Engine when it can (a
	// *mien.Engine), else the liveness endpoints answer 501.
	Engine LiveEngine
	// PerTenant is how many sessions a tenant may have open (default 8).
	PerTenant int
	// MaxFrames is how many frames one session takes (default 600).
	MaxFrames int
	// MaxFrameBytes bounds one frame's encoded size (default 2 MiB).
	MaxFrameBytes int
	// TTL is a session's default time to its deadline (default 30 s);
	// clients may ask for 5 s to 2 min.
	TTL time.Duration
	// TokenGrace is how long after the deadline a token can still be used
	// (default 60 s).
	TokenGrace time.Duration
	// FFmpeg is the ffmpeg binary that decodes video uploads ("": video
	// uploads are refused).
	FFmpeg string
	// MaxVideoBytes and MaxVideoSeconds bound a video upload (defaults
	// 16 MiB, 20 s).
	MaxVideoBytes   int
	MaxVideoSeconds float64
	// Now is the clock (default time.Now); tests move it.
	Now func() time.Time
	// Challenges, when set, are asked in every session instead of a random
	// sequence: for tests and demonstrations with recorded clips only (a
	// known sequence can be replayed); never set by configuration.
	Challenges []challenge.Kind
}

func (o LivenessOptions) withDefaults() LivenessOptions {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.PerTenant, 8)
	def(&o.MaxFrames, 600)
	def(&o.MaxFrameBytes, 2<<20)
	def(&o.MaxVideoBytes, 16<<20)
	if o.MaxVideoSeconds <= 0 {
		o.MaxVideoSeconds = 20
	}
	if o.TTL <= 0 {
		o.TTL = 30 * time.Second
	}
	if o.TokenGrace <= 0 {
		o.TokenGrace = time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Errors of the liveness endpoints.
var (
	errNoLiveness    = &apiError{501, "liveness_unavailable", "server: active liveness needs a model pack with head-pose, eye-state and anti-spoof models"}
	errLiveSession   = &apiError{404, "not_found", "server: no such liveness session (sessions live in memory only: they end with a restart of the server)"}
	errLiveEnded     = &apiError{409, "session_ended", "server: the liveness session has ended; start a new one"}
	errLiveBusy      = &apiError{409, "session_busy", "server: another upload or stream is feeding this session"}
	errLiveNonce     = &apiError{409, "nonce_mismatch", "server: the nonce does not match the session's"}
	errLiveTooMany   = &apiError{429, "too_many_sessions", "server: this tenant has too many open liveness sessions; finish or delete one"}
	errTokenRefused  = &apiError{403, "liveness_token", "server: the liveness token is unknown, used, expired or not this tenant's (tokens live in memory only: a restart of the server ends them; start a new liveness session)"}
	errTokenRequired = &apiError{422, "liveness_required", "server: this collection requires a liveness token to enrol (liveness_token)"}
)

// prompts are the words the web UI and clients show for each challenge.
var prompts = map[challenge.Kind]string{
	challenge.TurnLeft:  "Turn your head to your left",
	challenge.TurnRight: "Turn your head to your right",
	challenge.LookUp:    "Look up",
	challenge.Blink:     "Blink",
	challenge.OpenMouth: "Open your mouth",
}

// isLiveErr tells the caller's mistakes with a frame (answered, and the
// session goes on) from the engine's failures.
func isLiveErr(err error) bool {
	var ae *apiError
	return errors.As(err, &ae)
}
