package challenge

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/mienhq/mien/face"
)

// Frame is what the engine measured on one frame; the frame itself is never
// passed in or kept.
type Frame struct {
	At    time.Time
	Faces int // faces found in the frame; exactly one is expected
	// Yaw and Pitch are the head pose in degrees: Yaw > 0 when the subject
	// turns to their own left, Pitch > 0 when they look up.
	Yaw, Pitch float32
	// EyeOpen is the probability that the eyes are open, in [0, 1].
	EyeOpen float32
	// Mouth is the mouth opening: inner-lip gap over mouth width.
	Mouth float32
	// Embedding is the face's unit embedding. The first frame with a face
	// must carry one; later frames may leave it empty (embedding every frame
	// is the costliest measurement): the next embedded frame is then
	// compared with the last embedded one (identity.go).
	Embedding []float32
	// Reacquired is set when the face was found again by detection instead
	// of followed from the frame before (the track was lost): an earlier
	// frame then does not vouch for this one's identity.
	Reacquired bool
	// Landmarks are the face's points in image pixels, in the same layout in
	// every frame (at least 4; 68 points show depth best).
	Landmarks []face.Point
	// Passive is the passive liveness score in [0, 1]; negative when not measured.
	Passive float32
}

// Config holds the decision thresholds; zero fields take the defaults.
type Config struct {
	Turn        float32 // |yaw| of a turn, degrees (default 20)
	Up          float32 // pitch of looking up, degrees (default 15)
	Neutral     float32 // |yaw| and |pitch| of a frontal head, degrees (default 10)
	EyesClosed  float32 // EyeOpen at or below which the eyes are closed (default 0.3)
	EyesOpen    float32 // EyeOpen at or above which they are open (default 0.6)
	MouthOpen   float32 // Mouth at or above which it is open (default 0.35)
	MouthClosed float32 // Mouth at or below which it is closed (default 0.15)
	// SameFace is the least cosine between a frame's embedding and the
	// first frame's (at rest) or, away from rest, the first frame's or the
	// previous embedded frame's along an unbroken track (identity.go;
	// required: the recognizer's calibrated threshold).
	SameFace float32
	// SameTrack is the least cosine between a frame away from rest and the
	// previous embedded frame for that frame to be vouched for along the
	// track (default SameFace; never below it). A link may pair any two
	// poses, and two people in the same strong pose can look more alike
	// than two frontal faces do, so the engine holds it to a rarer
	// false-match rate (mien.LivenessSessionOptions.SameTrackFAR).
	SameTrack float32
	// MaxJump is the largest move of the landmarks' centre between two
	// frames, in face scales (default 0.5).
	MaxJump float64
	// MaxGap is the longest time between two frames (default 2 s).
	MaxGap time.Duration
	// MinMotion is the least landmark motion relative to the first frame,
	// in face scales, for a turned frame to count in the plane test
	// (default 0.04).
	MinMotion float64
	// PlanarResidual and PlanarRatio decide the plane test: the face moved
	// as a plane when the upper-quartile homography residual of the turned
	// frames (in face scales) is below PlanarResidual (default 0.05: above
	// the 95th percentile, 0.044, of LFW photos tilted as prints through
	// YuNet and the 68-point model; TestPlaneResidualOnRealLandmarks) or below
	// PlanarRatio (default 1.8) times the median residual of the frontal
	// frames, which is the landmark model's own noise.
	PlanarResidual float64
	PlanarRatio    float64
	// PassiveThreshold, when > 0, is the least median passive score.
	PassiveThreshold float32
	// FacesFrames is how many consecutive frames must show more than one
	// face for the session to fail (default 2): a second face in one frame
	// is a false detection in sensor noise as often as a person, and such a
	// frame is skipped; a person who stays in view is seen again.
	FacesFrames int
}

func (c Config) withDefaults() Config {
	def := func(v *float32, d float32) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.Turn, 20)
	def(&c.Up, 15)
	def(&c.Neutral, 10)
	def(&c.EyesClosed, 0.3)
	def(&c.EyesOpen, 0.6)
	def(&c.MouthOpen, 0.35)
	def(&c.MouthClosed, 0.15)
	if c.MaxJump == 0 {
		c.MaxJump = 0.5
	}
	if c.MaxGap == 0 {
		c.MaxGap = 2 * time.Second
	}
	if c.MinMotion == 0 {
		c.MinMotion = 0.04
	}
	if c.PlanarResidual == 0 {
		c.PlanarResidual = 0.05
	}
	if c.PlanarRatio == 0 {
		c.PlanarRatio = 1.8
	}
	if c.FacesFrames == 0 {
		c.FacesFrames = 2
	}
	return c
}

// Verdict is a session's outcome.
type Verdict struct {
	Live      bool     `json:"live"`
	Reasons   []string `json:"reasons,omitempty"`
	Completed []Kind   `json:"completed"`
	Frames    int      `json:"frames"`
	// Residual is the upper-quartile homography residual of the turned
	// frames in face scales (the most turned frames show depth best; a plane
	// gives about the landmark noise); NaN when none turned.
	Residual float64 `json:"residual"`
	// Noise is the median residual of the still frames (the landmark
	// noise); NaN when there were none.
	Noise float64 `json:"noise"`
	// Passive is the median passive score; negative when none was measured.
	Passive float32 `json:"passive"`
}

// ErrDecided is returned when a session is decided a second time (a replay).
var ErrDecided = errors.New("challenge: the session was already decided")

// Checker follows one session's frames. It keeps measurements, not frames.
type Checker struct {
	s        *Session
	cfg      Config
	step     int // index of the challenge being waited for
	phase    int // 0: waiting for the starting state, 1: for the action, 2: blink's reopening
	frames   int
	first    Frame
	prev     Frame
	refScale float64
	residual []float64 // of frames that moved from the first
	still    []float64 // of frames that did not
	passive  []float32
	multi    int // consecutive frames with more than one face
	id       identity
	reasons  []string
	late     bool
	decided  bool
}

// NewChecker starts checking frames of s.
func (s *Session) NewChecker(cfg Config) (*Checker, error) {
	if !(cfg.SameFace > 0 && cfg.SameFace < 1) {
		return nil, fmt.Errorf("challenge: SameFace threshold %g must be in (0, 1)", cfg.SameFace)
	}
	if !(cfg.SameTrack >= 0 && cfg.SameTrack < 1) {
		return nil, fmt.Errorf("challenge: SameTrack threshold %g must be in [0, 1)", cfg.SameTrack)
	}
	return &Checker{s: s, cfg: cfg.withDefaults()}, nil
}

// Add takes the next frame's measurements. It returns an error for input
// that cannot be a frame of this session (out of order, malformed); a
// failed check is not an error: it is a reason in the verdict.
func (c *Checker) Add(f Frame) error {
	if c.decided {
		return ErrDecided
	}
	if c.frames > 0 && !f.At.After(c.prev.At) || f.At.Before(c.s.Created) {
		return fmt.Errorf("challenge: frame at %v is out of order", f.At)
	}
	if f.At.After(c.s.Deadline) {
		c.late = true
		return ErrExpired
	}
	bad := f.Faces == 1 && (len(f.Landmarks) < 4 || c.frames == 0 && len(f.Embedding) == 0 ||
		c.frames > 0 && (len(f.Landmarks) != len(c.first.Landmarks) || len(f.Embedding) > 0 && len(f.Embedding) != len(c.first.Embedding)))
	switch {
	case f.Faces != 1:
		c.id.broken, c.id.anchored = true, false
	case !bad:
		c.observe(f)
	}
	if len(c.reasons) > 0 {
		if f.Faces == 1 && !bad && len(f.Embedding) > 0 {
			c.id.last = f.Embedding // similarities are still measured, for the trace
		}
		return nil // already failed; the verdict will say why
	}
	if bad {
		return fmt.Errorf("challenge: frame has %d landmarks and a %d-value embedding, want the first frame's layout (at least 4)", len(f.Landmarks), len(f.Embedding))
	}
	if f.Faces != 1 {
		if c.multi++; c.multi >= c.cfg.FacesFrames || f.Faces < 1 {
			c.fail("frame %d shows %d faces, want exactly one (%d frames in a row)", c.frames, f.Faces, c.multi)
		}
		return nil
	}
	c.multi = 0
	c.continuity(f)
	c.motion(f)
	c.challenge(f)
	if f.Passive >= 0 {
		c.passive = append(c.passive, f.Passive)
	}
	if c.frames == 0 {
		c.first, c.refScale = f, scale(f.Landmarks)
	}
	c.prev = f
	c.frames++
	return nil
}

// Frames returns how many frames were checked (frames after a failure are not).
func (c *Checker) Frames() int { return c.frames }

// Config returns the thresholds the checker decides by, defaults filled in.
func (c *Checker) Config() Config { return c.cfg }

// Progress is where a session stands after the frames added so far.
type Progress struct {
	Done    []Kind `json:"done"`
	Current Kind   `json:"current,omitempty"` // the action awaited; empty when all are done
	// Returning is set once every action is done until the face is back at
	// rest and matches the first frame's: the session should not be
	// decided before (it would fail).
	Returning bool     `json:"returning,omitempty"`
	Frames    int      `json:"frames"`
	Reasons   []string `json:"reasons,omitempty"` // failures so far (the session cannot pass once one is given)
}

// Progress returns the challenges done, the one awaited and the failures so far.
func (c *Checker) Progress() Progress {
	p := Progress{Done: append([]Kind(nil), c.s.Challenges[:c.step]...), Frames: c.frames, Reasons: append([]string(nil), c.reasons...)}
	if c.step < len(c.s.Challenges) {
		p.Current = c.s.Challenges[c.step]
	}
	p.Returning = c.Returning()
	return p
}

func (c *Checker) fail(format string, args ...any) {
	c.reasons = append(c.reasons, fmt.Sprintf(format, args...))
}

// continuity checks that the frame shows the first frame's face, close to
// where the previous frame left it, without a pause.
func (c *Checker) continuity(f Frame) {
	if c.frames == 0 {
		c.id.anchored = true
		return
	}
	if gap := f.At.Sub(c.prev.At); gap > c.cfg.MaxGap {
		c.fail("no frame for %v (at most %v)", gap.Round(time.Millisecond), c.cfg.MaxGap)
	}
	c.sameFace(f)
	a, b := centroid(c.prev.Landmarks), centroid(f.Landmarks)
	if jump := math.Hypot(b[0]-a[0], b[1]-a[1]) / c.refScale; jump > c.cfg.MaxJump {
		c.fail("face jumped %.2f face sizes between frames %d and %d (at most %.2f)", jump, c.frames-1, c.frames, c.cfg.MaxJump)
	}
}

// motion records how well one homography explains the landmarks' motion
// from the first frame: for frames where the head is turned (by the pose
// measurement) and the landmarks moved, and, as the noise reference, for
// frames where it is frontal.
func (c *Checker) motion(f Frame) {
	if c.frames == 0 {
		return
	}
	_, res, err := FitHomography(c.first.Landmarks, f.Landmarks)
	if err != nil {
		return
	}
	turned := max(abs(f.Yaw), abs(f.Pitch))
	switch {
	case turned >= c.cfg.Neutral && motionOf(c.first.Landmarks, f.Landmarks)/c.refScale >= c.cfg.MinMotion:
		c.residual = append(c.residual, res/c.refScale)
	case turned < c.cfg.Neutral/2:
		c.still = append(c.still, res/c.refScale)
	}
}

// Decide ends the session and returns its verdict; nonce must be the
// session's. A session is decided once: a second call returns ErrDecided.
func (c *Checker) Decide(nonce string, now time.Time) (Verdict, error) {
	if nonce != c.s.Nonce {
		return Verdict{}, ErrNonce
	}
	if c.decided {
		return Verdict{}, ErrDecided
	}
	c.decided = true
	v := Verdict{Completed: c.s.Challenges[:c.step], Frames: c.frames, Residual: quantile(c.residual, 0.75), Noise: quantile(c.still, 0.5), Passive: -1}
	v.Reasons = append(v.Reasons, c.reasons...)
	if c.step < len(c.s.Challenges) {
		if c.late || now.After(c.s.Deadline) {
			v.Reasons = append(v.Reasons, "the deadline passed before every challenge was done")
		}
		v.Reasons = append(v.Reasons, fmt.Sprintf("challenge %s was not done (%d of %d done)", c.s.Challenges[c.step], c.step, len(c.s.Challenges)))
	} else if len(c.reasons) == 0 && !c.id.returned {
		v.Reasons = append(v.Reasons, "the face did not come back to rest as the first frame's face after the last action")
	}
	switch {
	case len(c.residual) == 0:
		v.Reasons = append(v.Reasons, "the head never moved enough to show depth")
	case v.Residual < c.cfg.PlanarResidual || len(c.still) >= 3 && v.Residual < c.cfg.PlanarRatio*v.Noise:
		v.Reasons = append(v.Reasons, fmt.Sprintf("the face moved as a flat surface (homography residual %.4f face sizes while moving, %.4f still; a head shows at least %.4f and %.1fx the still residual)",
			v.Residual, v.Noise, c.cfg.PlanarResidual, c.cfg.PlanarRatio))
	}
	if len(c.passive) > 0 {
		v.Passive = median32(c.passive)
		if c.cfg.PassiveThreshold > 0 && v.Passive < c.cfg.PassiveThreshold {
			v.Reasons = append(v.Reasons, fmt.Sprintf("passive liveness score %.3f is below %.3f", v.Passive, c.cfg.PassiveThreshold))
		}
	}
	v.Live = len(v.Reasons) == 0
	return v, nil
}

// quantile returns the q-quantile of v (nearest rank); NaN when v is empty.
func quantile(v []float64, q float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

func median32(v []float32) float32 {
	s := make([]float64, len(v))
	for i, x := range v {
		s[i] = float64(x)
	}
	return float32(quantile(s, 0.5))
}
