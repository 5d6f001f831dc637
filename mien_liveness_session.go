package mien

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/liveness/challenge"
	"github.com/mienhq/mien/mesh"
)

// ErrSessionClosed is returned by a LivenessSession after Close.
var ErrSessionClosed = errors.New("mien: the liveness session is closed")

// ErrTooManyFrames is returned by AddFrame past LivenessSessionOptions.MaxFrames.
var ErrTooManyFrames = errors.New("mien: the liveness session has taken its maximum number of frames")

// LivenessSessionOptions configure a LivenessSession. Zero fields take the
// defaults given beside them.
type LivenessSessionOptions struct {
	// Config overrides the challenge thresholds; its zero fields take
	// MeshChallengeConfig's values (thresholds for the mesh's signals), and
	// SameFace, when zero, the recognizer's threshold at SameFaceFAR, and
	// SameTrack at SameTrackFAR.
	Config challenge.Config
	// SameFaceFAR is the false-match rate of the same-face threshold
	// (default 1e-3).
	SameFaceFAR float64
	// SameTrackFAR is the false-match rate of the threshold a frame away
	// from rest must reach against the previous embedded frame when it does
	// not match the first frame (challenge.Config.SameTrack; default 1e-5,
	// 0.487 for the standard pack: on the dev split a switch between two
	// synthetic heads raised 25 degrees reached 0.436, a rate of 6e-5 on
	// frontal pairs, while the same person's links were at least 0.506;
	// docs/liveness.md).
	SameTrackFAR float64
	// PassiveThreshold is the least passive (MiniFASNet) score of the
	// session, the upper quartile of its scored frames' scores: 0 takes the
	// pack's calibrated threshold, a negative value scores the frames
	// without deciding on them. Without an
	// anti-spoof ensemble in the pack the passive score is not measured
	// and the verdict says so (PassiveScore < 0) without failing on it.
	PassiveThreshold float32
	// MaxFrames is the most frames a session takes (default 300).
	MaxFrames int
	// EmbedEvery embeds every n-th face frame for the same-face check
	// (default 2); the first face frame and every frame where the tracker
	// had lost the face are always embedded.
	EmbedEvery int
	// BestFrames is how many of the most frontal, open-eyed frames are kept
	// (in memory, until Close) for the match (default 3).
	BestFrames int
	// PassiveFrames is the most frames the anti-spoof ensemble scores
	// (default 150, every embedded frame of a session of MaxFrames at
	// EmbedEvery 2): every embedded face frame is scored as it comes, until
	// then, and only its score is kept. The session's passive score is the
	// upper quartile of those scores: a live face scores as live at more
	// than one pose, an attack at almost none, and one frame's score moves
	// with the camera's noise and shake by up to 0.2 (docs/liveness.md).
	PassiveFrames int
	// Focal is the camera's focal length in pixels for the head pose
	// (0 = the image's longer side).
	Focal float32
}

// MeshChallengeConfig is the challenge configuration for the mesh's
// signals as a session passes them on: eye openness and mouth opening
// relative to the session's own rest (restBaseline, learnt from its
// frontal frames). The eyes are closed when the more open eye is at most
// 0.6 of its rest openness and open again at 0.8 or more (the mesh's eye
// aspect is 0.30-0.42 open and 0.09-0.19 closed on the fixtures and
// synthetic blinks, so fixed values missed closures of wide eyes); the
// mouth is open when the lips' gap exceeds its rest gap by 0.15 and closed
// within 0.08 of it (a smile showing teeth reads 0.28, as much as some
// open-mouth photos; at 0.2, synthetic heads whose open mouth read
// 0.15-0.19 over rest failed 5 to 8 sessions a dev block, while 5,153
// frontal rest frames of bona fide sessions read at most 0.118 over rest,
// 0.058 at the 99th percentile: docs/benchmarks.md, "Liveness: the passive
// score over the session's frames; the open mouth at 0.15"). Head angles are relative to the session's pose
// reference, the median pose of its first 5 rest frames (poseBase; the pose model reads frontal faces at 10-20 degrees of negative
// pitch; docs/mesh.md); within 10 degrees the head is frontal.
//
// MaxJump is 1.0 (challenge.Config's unit is the landmarks' RMS distance from
// their centre, which for the 468 mesh points is about a third of the face
// width, so 1.0 is a move of about a third of a face between two frames; the
// default 0.5, about a sixth of a face, rejected 4 of 18 bona fide LFW
// sequences whose head turns happen from one frame to the next).
func MeshChallengeConfig() challenge.Config {
	return challenge.Config{Neutral: 10, EyesClosed: 0.6, EyesOpen: 0.8, MouthOpen: 0.15, MouthClosed: 0.08, MaxJump: 1.0}
}

// LivenessSession decides one challenge session from its frames: each frame
// is detected, meshed (head pose, eye openness, mouth opening, landmarks)
// and, every few frames, embedded; the measurements feed a
// challenge.Checker. Frames are not kept except the few best ones, in
// memory, until Close; nothing is written anywhere. A LivenessSession is
// safe for concurrent use (calls are serialised).
type LivenessSession struct {
	mu      sync.Mutex
	e       *Engine
	s       *challenge.Session
	opts    LivenessSessionOptions
	cfg     challenge.Config
	checker *challenge.Checker
	tracker *mesh.Tracker
	base    poseBase // the pose reference: angles are relative to it
	// turned and raised are the farthest yaw (either way) and pitch (up)
	// from the reference read since the head was last at rest or meshed
	// afresh, when they reached the checker's Turn and Up, else 0: a frame
	// coming back ReseedDrop degrees from either is meshed afresh (reseed)
	turned, raised float32
	// rest is the session's neutral eyes and mouth: they are measured from it
	rest       restBaseline
	passiveThr float32 // the ensemble's calibrated threshold
	best       []bestFrame
	scored     []passiveScore // the passive scores of the frames scored so far
	frames     int            // frames given
	faced      int            // frames with one face, fed to the checker
	timings    LivenessTimings
	verdict    *LivenessVerdict
	closed     bool
}

// bestFrame is a frame kept for the match.
type bestFrame struct {
	img   *face.Image
	det   face.Detection
	emb   face.Embedding // may be empty
	score float32        // higher is better
}

// passiveScore is one scored frame's passive score and estimated JPEG
// quality (quality.JPEGQuality of the face's box; 0 when not known).
type passiveScore struct {
	passive float32
	jpegQ   int
	grey    bool // quality.Greyscale: no colour
}

// LivenessMeasure is what one frame showed.
type LivenessMeasure struct {
	Faces int     `json:"faces"`
	Yaw   float32 `json:"yaw"`   // degrees from the session's pose reference, > 0: turned to the subject's left
	Pitch float32 `json:"pitch"` // degrees from the session's pose reference, > 0: up
	// EyeOpen is each eye's aspect ratio (index 0: the image-left eye).
	EyeOpen   [2]float32 `json:"eye_open"`
	MouthOpen float32    `json:"mouth_open"`
	Embedded  bool       `json:"embedded"`
	// Reacquired is set when the face was found again by detection, not
	// followed from the frame before.
	Reacquired bool `json:"reacquired,omitempty"`
	// Similarity and PrevSimilarity are an embedded frame's cosine
	// similarities to the session's first face frame and to the previous
	// embedded frame along the track (absent when not measured); Anchored
	// is set when the frame matched the first one at the same-face threshold.
	Similarity     *float32 `json:"similarity,omitempty"`
	PrevSimilarity *float32 `json:"prev_similarity,omitempty"`
	Anchored       bool     `json:"anchored,omitempty"`
	// Passive is the anti-spoof ensemble's score of this frame and
	// PassiveModels each model's live probability, in the ensemble's order
	// (absent when the frame was not scored: only embedded frames are, up
	// to PassiveFrames). The session's score is their upper quartile.
	Passive       *float32  `json:"passive,omitempty"`
	PassiveModels []float32 `json:"passive_models,omitempty"`
}

// LivenessProgress is a session's state after a frame.
type LivenessProgress struct {
	challenge.Progress
	// Measure is what this frame showed (zero when no face was found).
	Measure LivenessMeasure `json:"measure"`
	// Effort is how far this frame goes towards the action awaited after
	// it, 0 to 1 (challenge.Checker.Effort): for a client's guidance.
	Effort float32 `json:"effort"`
}

// LivenessTimings are a session's costs per stage: totals over its frames.
type LivenessTimings struct {
	Frames int           `json:"frames"`
	Detect time.Duration `json:"detect_ns"` // detection, and the refinements
	// Refines counts the landmark model's runs on the followed face (its five
	// points, for a new mesh track or an embedding), in Detect's time.
	Refines int           `json:"refines"`
	Mesh    time.Duration `json:"mesh_ns"` // mesh, iris and pose
	// Reseeds counts the frames meshed again from their detection on the
	// way back from a turn (in Mesh's time; ReseedDrop).
	Reseeds int `json:"reseeds"`
	// Confirms counts the frames meshed again from their detection to
	// confirm a head action the carried crop read (in Mesh's time;
	// LivenessSession.confirm).
	Confirms int           `json:"confirms"`
	Embeds   int           `json:"embeds"`
	Embed    time.Duration `json:"embed_ns"` // alignment and embedding of Embeds frames
	Check    time.Duration `json:"check_ns"` // challenge.Checker.Add
	// Passive is the anti-spoof ensemble's time on PassiveFrames frames:
	// each embedded face frame is scored as it comes.
	Passive       time.Duration `json:"passive_ns"`
	PassiveFrames int           `json:"passive_frames"`
	// Decide is Finish's wall time, i.e. from the last frame to the verdict.
	Decide time.Duration `json:"decide_ns"`
}

// LivenessVerdict is a session's outcome.
type LivenessVerdict struct {
	Live    bool     `json:"live"`
	Reasons []string `json:"reasons,omitempty"`
	// Challenges are the actions asked for, in order, and which were done.
	Challenges []ChallengeResult `json:"challenges"`
	Frames     int               `json:"frames"`
	FaceFrames int               `json:"face_frames"`
	// PassiveScore is the upper quartile of the scored frames' passive
	// scores; negative when not measured. PassiveThreshold is what it was held to (0: not decided on).
	PassiveScore     float32 `json:"passive_score"`
	PassiveThreshold float32 `json:"passive_threshold"`
	// JPEGQuality is the median JPEG quality, estimated from the pixels, of
	// the faces the passive score was measured on (quality.JPEGQuality; 0
	// when not known: no block grid seen). Under the engine's limit
	// (Options.LivenessMinJPEGQuality) the frames were compressed too hard
	// for the passive score to mean anything, and the session is not live.
	JPEGQuality int `json:"jpeg_quality,omitempty"`
	// Residual and Noise are the plane test's homography residuals (face
	// sizes) while turned and while still; negative when not measured.
	Residual float64 `json:"residual"`
	Noise    float64 `json:"noise"`
	// BestFrame, BestDetection and BestEmbedding are the most frontal
	// open-eyed frame, for matching the subject. They are the caller's, in
	// memory only: drop them once matched. BestFrame is nil when no face was seen.
	BestFrame     *face.Image     `json:"-"`
	BestDetection face.Detection  `json:"-"`
	BestEmbedding face.Embedding  `json:"-"`
	Timings       LivenessTimings `json:"timings"`
}

// ChallengeResult is one asked action.
type ChallengeResult struct {
	Kind challenge.Kind `json:"kind"`
	Done bool           `json:"done"`
}

// NewLivenessSession starts deciding session s from frames. The session's
// thresholds come from opts (see LivenessSessionOptions).
func (e *Engine) NewLivenessSession(s *challenge.Session, opts LivenessSessionOptions) (*LivenessSession, error) {
	if s == nil || len(s.Challenges) == 0 {
		return nil, errors.New("mien: a liveness session needs a challenge session with at least one challenge")
	}
	if opts.MaxFrames < 0 || opts.EmbedEvery < 0 || opts.BestFrames < 0 || opts.PassiveFrames < 0 || opts.SameFaceFAR < 0 || opts.SameTrackFAR < 0 || opts.Focal < 0 {
		return nil, errors.New("mien: liveness session options must not be negative (except PassiveThreshold)")
	}
	opts = opts.withDefaults()
	cfg := mergeConfig(opts.Config, MeshChallengeConfig())
	if cfg.SameFace == 0 {
		thr, err := e.Threshold(opts.SameFaceFAR)
		if err != nil {
			return nil, fmt.Errorf("mien: same-face threshold: %w", err)
		}
		cfg.SameFace = thr
	}
	if cfg.SameTrack == 0 {
		thr, err := e.Threshold(opts.SameTrackFAR)
		if err != nil {
			return nil, fmt.Errorf("mien: same-track threshold: %w", err)
		}
		cfg.SameTrack = thr
	}
	m, err := e.livenessMesh()
	if err != nil {
		return nil, err
	}
	if opts.PassiveThreshold >= 0 {
		// open the anti-spoof ensemble now, not in Finish's time budget
		e.spoof.once.Do(func() { e.spoof.ens, e.spoof.err = e.openLiveness() })
	}
	ch, err := s.NewChecker(cfg)
	if err != nil {
		return nil, fmt.Errorf("mien: %w", err)
	}
	return &LivenessSession{e: e, s: s, opts: opts, cfg: cfg, checker: ch,
		tracker: mesh.NewTracker(m, mesh.TrackOptions{Focal: opts.Focal})}, nil
}

func (o LivenessSessionOptions) withDefaults() LivenessSessionOptions {
	if o.SameFaceFAR == 0 {
		o.SameFaceFAR = 1e-3
	}
	if o.SameTrackFAR == 0 {
		o.SameTrackFAR = 1e-5
	}
	if o.MaxFrames == 0 {
		o.MaxFrames = 300
	}
	if o.EmbedEvery == 0 {
		o.EmbedEvery = 2
	}
	if o.BestFrames == 0 {
		o.BestFrames = 3
	}
	if o.PassiveFrames == 0 {
		o.PassiveFrames = 150
	}
	return o
}

// mergeConfig fills the zero fields of c from d.
func mergeConfig(c, d challenge.Config) challenge.Config {
	f32 := func(v *float32, w float32) {
		if *v == 0 {
			*v = w
		}
	}
	f32(&c.Turn, d.Turn)
	f32(&c.Up, d.Up)
	f32(&c.Neutral, d.Neutral)
	f32(&c.EyesClosed, d.EyesClosed)
	f32(&c.EyesOpen, d.EyesOpen)
	f32(&c.MouthOpen, d.MouthOpen)
	f32(&c.MouthClosed, d.MouthClosed)
	if c.MaxJump == 0 {
		c.MaxJump = d.MaxJump
	}
	return c
}

// livenessMeshState holds the engine's shared mesh model for sessions,
// opened on first use.
type livenessMeshState struct {
	once  sync.Once
	model *mesh.Model
	err   error
}

func (e *Engine) livenessMesh() (*mesh.Model, error) {
	e.lmesh.once.Do(func() {
		// the iris model with its PRelu rewritten: its float noise stays in
		// the frame's eye signals (mesh.Options.FastIris); the face mesh,
		// whose points the track follows, runs as shipped
		e.lmesh.model, e.lmesh.err = e.OpenMesh(mesh.Options{Sessions: e.opts.Workers, FastIris: true})
	})
	return e.lmesh.model, e.lmesh.err
}

func (e *Engine) closeLivenessMesh() error {
	if e.lmesh.model == nil {
		return nil
	}
	return e.lmesh.model.Close()
}

// AddFrame measures one frame taken at time at and feeds the checker. A
// frame past the deadline returns challenge.ErrExpired (the verdict will
// say so); frames must come in increasing time. img is not kept unless it
// is one of the best frames (then a copy is, until Close).
func (ls *LivenessSession) AddFrame(ctx context.Context, img *face.Image, at time.Time) (LivenessProgress, error) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if ls.closed {
		return LivenessProgress{}, ErrSessionClosed
	}
	if ls.verdict != nil {
		return LivenessProgress{}, challenge.ErrDecided
	}
	if ls.frames >= ls.opts.MaxFrames {
		return LivenessProgress{}, fmt.Errorf("%w (%d)", ErrTooManyFrames, ls.opts.MaxFrames)
	}
	if err := img.Valid(); err != nil {
		return LivenessProgress{}, fmt.Errorf("mien: %w", err)
	}
	if at.After(ls.s.Deadline) {
		err := ls.checker.Add(challenge.Frame{At: at}) // records the late frame
		return LivenessProgress{Progress: ls.checker.Progress()}, err
	}
	ls.frames++
	f, meas, best, err := ls.measure(ctx, img, at)
	if err != nil {
		return LivenessProgress{}, err
	}
	if meas.Faces == 0 {
		// No face: not a frame of the checker (a long absence shows as a
		// gap), but the track is broken.
		ls.checker.Lost()
		return LivenessProgress{Progress: ls.checker.Progress(), Measure: meas}, nil
	}
	t0 := time.Now()
	err = ls.checker.Add(f)
	ls.timings.Check += time.Since(t0)
	if a, p, aok, pok := ls.checker.Similarity(); meas.Faces == 1 && err == nil {
		if aok {
			meas.Similarity = &a
		}
		if pok {
			meas.PrevSimilarity = &p
		}
		meas.Anchored = ls.checker.Anchored()
	}
	if err != nil {
		return LivenessProgress{Progress: ls.checker.Progress(), Measure: meas}, fmt.Errorf("mien: %w", err)
	}
	if meas.Faces != 1 {
		return LivenessProgress{Progress: ls.checker.Progress(), Measure: meas}, nil
	}
	ls.faced++
	// only a frame that matched the first face stands for the session's
	// face (the best frame a face login matches)
	if !ls.checker.Anchored() {
		best.emb = face.Embedding{}
	}
	if err := ls.keepBest(ctx, img, best, &meas); err != nil {
		return LivenessProgress{}, err
	}
	return LivenessProgress{Progress: ls.checker.Progress(), Measure: meas, Effort: ls.checker.Effort(f)}, nil
}

// Finish decides the session at time at: the passive score of the best
// frames, then the checker's verdict. A session is decided once.
func (ls *LivenessSession) Finish(ctx context.Context, at time.Time) (LivenessVerdict, error) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if ls.closed {
		return LivenessVerdict{}, ErrSessionClosed
	}
	if ls.verdict != nil {
		return LivenessVerdict{}, challenge.ErrDecided
	}
	t0 := time.Now()
	passive, thr := ls.passive()
	cv, err := ls.checker.Decide(ls.s.Nonce, at)
	if err != nil {
		return LivenessVerdict{}, fmt.Errorf("mien: %w", err)
	}
	v := LivenessVerdict{Reasons: cv.Reasons, Frames: ls.frames, FaceFrames: ls.faced,
		PassiveScore: passive, PassiveThreshold: thr, Residual: orNeg(cv.Residual), Noise: orNeg(cv.Noise)}
	for i, k := range ls.s.Challenges {
		v.Challenges = append(v.Challenges, ChallengeResult{Kind: k, Done: i < len(cv.Completed)})
	}
	if thr > 0 && passive >= 0 && passive < thr {
		v.Reasons = append(v.Reasons, fmt.Sprintf("passive liveness score %.3f (the upper quartile of the session's frames) is below %.3f", passive, thr))
	}
	if thr > 0 && ls.greyscale() {
		v.Reasons = append(v.Reasons, "frames have no colour (a greyscale or infrared camera?): the anti-spoof models need colour frames")
	}
	v.JPEGQuality = ls.jpegQuality()
	if lim := ls.e.minJPEGQuality(); thr > 0 && lim > 0 && v.JPEGQuality > 0 && v.JPEGQuality < lim {
		v.Reasons = append(v.Reasons, fmt.Sprintf("frames too compressed to judge liveness: the scored faces were JPEG-compressed at about quality %d, under %d (send frames at quality 70 or more)", v.JPEGQuality, lim))
	}
	if len(ls.best) > 0 {
		b := ls.best[0]
		v.BestFrame, v.BestDetection, v.BestEmbedding = cloneImage(b.img), b.det, b.emb
		v.BestEmbedding.Vector = append([]float32(nil), b.emb.Vector...) // Close zeroes the session's copy
	}
	v.Live = len(v.Reasons) == 0 && ls.faced > 0
	if ls.faced == 0 && len(v.Reasons) == 0 {
		v.Reasons = []string{"no face was seen"}
	}
	ls.timings.Decide = time.Since(t0)
	v.Timings = ls.timings
	ls.verdict = &v
	return v, nil
}

// Close drops every frame and measurement the session holds (the verdict
// already returned is the caller's). It is safe to call more than once.
func (ls *LivenessSession) Close() {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	for i := range ls.best {
		clear(ls.best[i].img.Pix)
		clear(ls.best[i].emb.Vector)
	}
	ls.best, ls.scored, ls.checker, ls.tracker, ls.verdict = nil, nil, nil, nil, nil
	ls.rest, ls.base = restBaseline{}, poseBase{}
	ls.closed = true
}

// Retained returns how many frames (images) and measurement records
// (checker, tracker) the session holds: zero after Close.
func (ls *LivenessSession) Retained() (frames, records int) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if ls.checker != nil {
		records++
	}
	if ls.tracker != nil {
		records++
	}
	return len(ls.best), records
}

func orNeg(v float64) float64 {
	if math.IsNaN(v) {
		return -1
	}
	return v
}

func cloneImage(m *face.Image) *face.Image {
	c := *m
	c.Pix = append([]uint8(nil), m.Pix...)
	return &c
}
