package gate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/mienhq/mien/face"
)

// Gate decides the tracks of one camera. It is not safe for concurrent use.
type Gate struct {
	opts   Options
	m      Matcher
	tracks map[uint64]*trackState
	now    time.Time
}

// kept is one frame's template waiting to be fused.
type kept struct {
	quality float32
	live    float32
	vec     []float32
}

type trackState struct {
	kept      []kept // best frames, highest quality first; only while undecided
	model     string
	firstGood time.Time // first kept frame of the current identification
	outcome   Outcome   // 0 while undecided
	decidedAt time.Time
	sampledAt time.Time       // last drift sample of a granted track
	ref       []float32       // the fused template a granted track was granted with
	reported  map[string]bool // outcome + subject already reported
	lastSeen  time.Time
	fresh     bool // a template was kept in this frame
}

// New returns a gate deciding through m.
func New(opts Options, m Matcher) (*Gate, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if m == nil {
		return nil, errors.New("gate: a matcher is required")
	}
	return &Gate{opts: o, m: m, tracks: map[uint64]*trackState{}}, nil
}

// good says whether a face is big and good enough to be identified from.
func (g *Gate) good(box face.Rect, quality float32) bool {
	return max(box.Dx(), box.Dy()) >= g.opts.MinFace && quality >= g.opts.MinQuality
}

// Wants says whether a template of this face, seen at now, would be used:
// the track is waiting for frames and this one is good and better than the
// worst kept, or it is due for a drift sample or a re-check. Call it before
// computing a template; a template passed for a face it refused is ignored.
func (g *Gate) Wants(trackID uint64, box face.Rect, quality float32, now time.Time) bool {
	if trackID == 0 || !g.good(box, quality) {
		return false
	}
	s := g.tracks[trackID]
	switch {
	case s == nil:
		return true
	case s.outcome == 0:
		return len(s.kept) < g.opts.Frames || quality > s.kept[len(s.kept)-1].quality
	case s.outcome == Granted:
		return g.opts.DriftEvery >= 0 && now.Sub(s.sampledAt) >= g.opts.DriftEvery
	default:
		return g.opts.Recheck >= 0 && now.Sub(s.decidedAt) >= g.opts.Recheck
	}
}

// Update takes one frame's faces, with templates where Wants asked for
// them, and returns the decisions made in this frame. On a Matcher error
// the track stays undecided and is tried again on a later frame.
func (g *Gate) Update(ctx context.Context, f Frame) ([]Decision, error) {
	if f.Time.Before(g.now) {
		return nil, fmt.Errorf("gate: frame time %s is before the last one, %s", f.Time, g.now)
	}
	g.now = f.Time
	for _, fc := range f.Faces {
		if err := g.observe(fc); err != nil {
			return nil, err
		}
	}
	var out []Decision
	var errs []error
	decide := func(id uint64, s *trackState, early bool) {
		d, ok, err := g.decide(ctx, id, s, early)
		if err != nil {
			errs = append(errs, err)
		} else if ok {
			out = append(out, d)
		}
	}
	for _, id := range f.Ended {
		if s := g.tracks[id]; s != nil {
			if s.outcome == 0 && len(s.kept) > 0 {
				decide(id, s, false)
			}
			g.forget(id)
		}
	}
	for _, id := range g.order() {
		s := g.tracks[id]
		switch {
		case s.outcome == 0 && len(s.kept) > 0 && (f.Time.Sub(s.firstGood) >= g.opts.MaxWait ||
			len(s.kept) >= g.opts.Frames && g.opts.EarlyFrames < 0):
			decide(id, s, false)
		case s.outcome == 0 && s.fresh && g.opts.EarlyFrames > 0 && len(s.kept) >= g.opts.EarlyFrames:
			decide(id, s, true)
		case f.Time.Sub(s.lastSeen) > g.opts.Idle:
			g.forget(id)
		}
	}
	return out, errors.Join(errs...)
}

// order lists tracks by id, so decisions come out in a stable order.
func (g *Gate) order() []uint64 {
	ids := make([]uint64, 0, len(g.tracks))
	for id := range g.tracks {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// observe files one face's template with its track.
func (g *Gate) observe(fc Face) error {
	if fc.Track == 0 {
		return errors.New("gate: a face without a track id (tentative tracks are not identified)")
	}
	s := g.tracks[fc.Track]
	if s == nil {
		s = &trackState{reported: map[string]bool{}}
		g.tracks[fc.Track] = s
	}
	s.lastSeen, s.fresh = g.now, false
	if fc.Template.Vector == nil || !g.good(fc.Box, fc.Quality) {
		return nil
	}
	v := fc.Template.Vector
	if s.model != "" && fc.Template.Model != s.model || (len(s.kept) > 0 && len(v) != len(s.kept[0].vec)) || len(s.ref) > 0 && len(v) != len(s.ref) {
		return fmt.Errorf("%w: track %d mixes templates of %q (%d) and %q (%d)", face.ErrModelMismatch, fc.Track, s.model, len(s.ref), fc.Template.Model, len(v))
	}
	s.model = fc.Template.Model
	switch {
	case s.outcome == Granted:
		if g.opts.DriftEvery < 0 || g.now.Sub(s.sampledAt) < g.opts.DriftEvery {
			return nil
		}
		s.sampledAt = g.now
		if face.Dot(s.ref, v)/norm(v) >= g.opts.DriftCosine {
			return nil
		}
		s.restart()
	case s.outcome != 0:
		if g.opts.Recheck < 0 || g.now.Sub(s.decidedAt) < g.opts.Recheck {
			return nil
		}
		s.restart()
	}
	s.keep(kept{quality: fc.Quality, live: fc.Live, vec: slices.Clone(v)}, g.opts.Frames)
	s.fresh = true
	if len(s.kept) == 1 {
		s.firstGood = g.now
	}
	return nil
}

// keep inserts a frame among the best n, dropping (and zeroing) the worst.
func (s *trackState) keep(k kept, n int) {
	i, _ := slices.BinarySearchFunc(s.kept, k.quality, func(a kept, q float32) int {
		switch {
		case a.quality > q:
			return -1
		case a.quality < q:
			return 1
		}
		return 0
	})
	s.kept = slices.Insert(s.kept, i, k)
	for len(s.kept) > n {
		clear(s.kept[len(s.kept)-1].vec)
		s.kept = s.kept[:len(s.kept)-1]
	}
}

// restart begins a new identification of a decided track.
func (s *trackState) restart() {
	s.outcome = 0
	s.dropRef()
}

func (s *trackState) dropKept() {
	for _, k := range s.kept {
		clear(k.vec)
	}
	s.kept = s.kept[:0]
}

func (s *trackState) dropRef() {
	clear(s.ref)
	s.ref = nil
}

// forget drops a track and zeroes whatever templates it held.
func (g *Gate) forget(id uint64) {
	if s := g.tracks[id]; s != nil {
		s.dropKept()
		s.dropRef()
		delete(g.tracks, id)
	}
}

// decide fuses a track's kept templates, identifies the probe and drops
// the templates. ok is false when the outcome was already reported.
// With early, only a grant is final: any other answer is forgotten and the
// track waits for more frames (ok false).
func (g *Gate) decide(ctx context.Context, id uint64, s *trackState, early bool) (d Decision, ok bool, err error) {
	var live float32
	if g.opts.MinLive > 0 {
		// a single frame is weak evidence of liveness: an early look waits
		// until the track has Frames frames to take the median of
		if early && len(s.kept) < g.opts.Frames {
			return d, false, nil
		}
		if live = medianLive(s.kept); live < g.opts.MinLive {
			if early {
				return d, false, nil
			}
			return g.settle(id, s, Match{Outcome: DeniedNotLive}, live)
		}
	}
	fused := fuse(s.kept)
	m, err := g.m.Identify(ctx, face.Embedding{Model: s.model, Vector: fused})
	if err != nil {
		clear(fused)
		return d, false, fmt.Errorf("gate: track %d: %w", id, err)
	}
	if m.Outcome == 0 || m.Outcome == DeniedNotLive || int(m.Outcome) >= len(outcomeNames) || (m.Outcome != DeniedUnknown) == (m.SubjectID == "") {
		clear(fused)
		return d, false, fmt.Errorf("gate: track %d: the matcher answered outcome %d with subject %q", id, m.Outcome, m.SubjectID)
	}
	if early && m.Outcome != Granted {
		clear(fused)
		return d, false, nil
	}
	if m.Outcome == Granted {
		s.ref = fused
	} else {
		clear(fused)
	}
	return g.settle(id, s, m, live)
}

// settle records a track's outcome and drops its kept templates; ok is
// false when the outcome was already reported.
func (g *Gate) settle(id uint64, s *trackState, m Match, live float32) (d Decision, ok bool, err error) {
	n := len(s.kept)
	s.dropKept()
	s.outcome, s.decidedAt, s.sampledAt = m.Outcome, g.now, g.now
	if m.Outcome != Granted {
		m.Score = 0
	}
	key := m.Outcome.String() + "/" + m.SubjectID
	if s.reported[key] {
		return d, false, nil
	}
	s.reported[key] = true
	return Decision{Outcome: m.Outcome, Camera: g.opts.Camera, Track: id, SubjectID: m.SubjectID,
		Score: m.Score, Live: live, Frames: n, Time: g.now}, true, nil
}

// medianLive is the median passive liveness score of the kept frames.
func medianLive(ks []kept) float32 {
	v := make([]float32, len(ks))
	for i, k := range ks {
		v[i] = k.live
	}
	slices.Sort(v)
	if n := len(v); n%2 == 1 {
		return v[n/2]
	} else if n > 0 {
		return (v[n/2-1] + v[n/2]) / 2
	}
	return 0
}

// Held is how many templates the gate holds in memory now: frames waiting
// to be fused and the fused templates of granted tracks (for tests of the
// rule that unknown faces leave no trace).
func (g *Gate) Held() int {
	n := 0
	for _, s := range g.tracks {
		n += len(s.kept)
		if s.ref != nil {
			n++
		}
	}
	return n
}

// Tracks is how many tracks the gate is following.
func (g *Gate) Tracks() int { return len(g.tracks) }
