package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/internal/store"
	"github.com/mienhq/mien/liveness/challenge"
)

// liveSessions holds the open and recently ended sessions and the tokens of
// live ones, in memory. Safe for concurrent use. A session is reaped by
// timers, with no goroutine of its own: at its deadline it is decided (if it
// was not), and TokenGrace later its record and token are dropped.
type liveSessions struct {
	opts  LivenessOptions
	audit func(context.Context, store.Entry)

	mu       sync.Mutex
	sessions map[string]*liveSession
	open     map[string]int // open sessions per tenant
	tokens   map[[32]byte]*liveToken
}

// liveSession is one session. mu serialises its frames and its end.
type liveSession struct {
	id, tenant, actor string
	ch                *challenge.Session

	mu      sync.Mutex
	eng     LiveSession // nil once ended: its measurements are gone
	frames  int
	last    time.Time    // the last frame's time
	feeding bool         // an upload or stream holds the session
	verdict *liveVerdict // set when ended
	timers  [2]*time.Timer

	// camera, when set, is the camera the server reads the session's
	// frames from itself (feedFromCamera); clients send none.
	camera     string
	feedCancel context.CancelFunc
	feedDone   chan struct{}
	progress   *LiveProgress // the last camera frame's
}

// liveVerdict is a session's outcome on the wire; Token is set only in the
// answer that ended a live session.
type liveVerdict struct {
	Session      string   `json:"session_id"`
	Result       string   `json:"result"` // "live" or "not_live"
	Live         bool     `json:"live"`
	Reasons      []string `json:"reasons"`
	PassiveScore *float32 `json:"passive_score"` // null when not measured
	Completed    []string `json:"completed"`
	Frames       int      `json:"frames"`
	Token        string   `json:"token,omitempty"`
	TokenExpires string   `json:"token_expires_at,omitempty"`
	DecidedAt    string   `json:"decided_at"`
}

func newLiveSessions(opts LivenessOptions, audit func(context.Context, store.Entry)) *liveSessions {
	return &liveSessions{opts: opts, audit: audit, sessions: map[string]*liveSession{}, open: map[string]int{},
		tokens: map[[32]byte]*liveToken{}}
}

// newSessionID is a random (version 4) UUID, the form Rekognition's
// SessionId takes.
func newSessionID() string {
	b := make([]byte, 16)
	rand.Read(b)
	b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// create starts a session for a tenant within its cap.
func (m *liveSessions) create(eng LiveEngine, k store.Key, count int, ttl time.Duration) (*liveSession, error) {
	now := m.opts.Now()
	if len(m.opts.Challenges) > 0 {
		count = len(m.opts.Challenges)
	}
	ch, err := challenge.New(now, challenge.Options{Count: count, TTL: ttl})
	if err != nil {
		return nil, badRequest(err.Error())
	}
	if len(m.opts.Challenges) > 0 {
		ch.Challenges = append([]challenge.Kind(nil), m.opts.Challenges...)
	}
	m.mu.Lock()
	if m.open[k.TenantID] >= m.opts.PerTenant {
		m.mu.Unlock()
		return nil, errLiveTooMany
	}
	m.open[k.TenantID]++
	m.mu.Unlock()
	es, err := eng.StartLiveness(ch)
	if err != nil {
		m.release(k.TenantID)
		return nil, fmt.Errorf("server: liveness session: %w", err)
	}
	ls := &liveSession{id: newSessionID(), tenant: k.TenantID, actor: k.ID, ch: ch, eng: es}
	m.mu.Lock()
	m.sessions[ls.id] = ls
	m.mu.Unlock()
	ls.timers[0] = time.AfterFunc(ch.Deadline.Sub(now), func() {
		m.end(context.Background(), ls, "the deadline passed")
	})
	ls.timers[1] = time.AfterFunc(ch.Deadline.Sub(now)+m.opts.TokenGrace, func() { m.drop(ls) })
	return ls, nil
}

func (m *liveSessions) release(tenant string) {
	m.mu.Lock()
	if m.open[tenant]--; m.open[tenant] <= 0 {
		delete(m.open, tenant)
	}
	m.mu.Unlock()
}

// get returns a tenant's session; another tenant's is not found.
func (m *liveSessions) get(tenant, id string) (*liveSession, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ls, ok := m.sessions[id]
	if !ok || ls.tenant != tenant {
		return nil, errLiveSession
	}
	return ls, nil
}

// acquire takes the session for one feeder (an upload or a stream) after
// checking its nonce; release with ls.unfeed.
func (ls *liveSession) acquire(nonce string) error {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	switch {
	case ls.eng == nil:
		return errLiveEnded
	case nonce != ls.ch.Nonce:
		return errLiveNonce
	case ls.feeding:
		return errLiveBusy
	}
	ls.feeding = true
	return nil
}

func (ls *liveSession) frameCount() int {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	return ls.frames
}

func (ls *liveSession) unfeed() {
	ls.mu.Lock()
	ls.feeding = false
	ls.mu.Unlock()
}

// add gives the engine one decoded frame.
func (m *liveSessions) add(ctx context.Context, ls *liveSession, img *face.Image, at time.Time) (LiveProgress, error) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if ls.eng == nil {
		return LiveProgress{}, errLiveEnded
	}
	if ls.frames >= m.opts.MaxFrames {
		return LiveProgress{}, &apiError{413, "too_many_frames", fmt.Sprintf("server: a session takes at most %d frames", m.opts.MaxFrames)}
	}
	if at.After(ls.ch.Deadline) {
		return LiveProgress{}, &apiError{409, "session_expired", "server: the session's deadline has passed"}
	}
	if !at.After(ls.last) || at.Before(ls.ch.Created) {
		return LiveProgress{}, badRequest("server: a frame's time must follow the session's start and the frame before (across uploads too)")
	}
	ls.frames++
	ls.last = at
	p, err := ls.eng.AddFrame(ctx, img, at)
	if err != nil {
		return p, fmt.Errorf("server: frame %d: %w", ls.frames, err)
	}
	return p, nil
}

// end decides the session (once), drops the engine's side and audits the
// verdict and reasons. why, when set, is the reason it ended without the
// client asking (the deadline, a deletion): no token is then issued, since
// nobody is waiting for it. It returns the verdict, with a token when the
// session was live and the client asked.
func (m *liveSessions) end(ctx context.Context, ls *liveSession, why string) *liveVerdict {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if ls.eng == nil {
		return ls.verdict
	}
	if ls.feedCancel != nil {
		ls.feedCancel() // a camera feeder stops at its next frame
	}
	now := m.opts.Now()
	v, err := ls.eng.Finish(ctx, now)
	ls.eng.Close()
	ls.eng = nil
	if err != nil {
		v = LiveVerdict{Reasons: []string{"the session could not be decided: " + err.Error()}}
	}
	if why != "" && v.Live {
		v.Live, v.Reasons = false, append(v.Reasons, why)
	}
	out := wireVerdict(ls.id, v, now)
	ls.verdict = out
	m.release(ls.tenant)
	m.audit(ctx, store.Entry{TenantID: ls.tenant, Actor: ls.actor, Action: "liveness.session", Object: ls.id,
		Detail: map[string]any{"verdict": out.Result, "reasons": out.Reasons}})
	if !v.Live || v.Best == nil {
		return out
	}
	answer := *out
	answer.Token, answer.TokenExpires = m.issue(ls, v.Best)
	return &answer
}

func wireVerdict(id string, v LiveVerdict, now time.Time) *liveVerdict {
	out := &liveVerdict{Session: id, Result: "not_live", Live: v.Live, Reasons: v.Reasons, Completed: v.Completed,
		Frames: v.Frames, DecidedAt: now.UTC().Format(time.RFC3339Nano)}
	if v.Live {
		out.Result = "live"
	}
	if out.Reasons == nil {
		out.Reasons = []string{}
	}
	if out.Completed == nil {
		out.Completed = []string{}
	}
	if v.Passive >= 0 {
		p := v.Passive
		out.PassiveScore = &p
	}
	return out
}

// drop forgets an ended session and its token (the reaper's second step).
func (m *liveSessions) drop(ls *liveSession) {
	m.end(context.Background(), ls, "the deadline passed")
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.sessions, ls.id)
	for h, t := range m.tokens {
		if t.session == ls.id {
			delete(m.tokens, h)
		}
	}
}

// remove ends a session at the client's request and forgets it at once.
func (m *liveSessions) remove(ctx context.Context, ls *liveSession) {
	m.end(ctx, ls, "the session was deleted")
	for _, t := range ls.timers {
		t.Stop()
	}
	m.drop(ls)
}
