package track

import (
	"cmp"
	"slices"

	"github.com/mienhq/mien/face"
)

// Tracker links detections of one camera. It is not safe for concurrent use.
type Tracker struct {
	opts   Options
	frame  uint64
	nextID uint64
	tracks []*state
	res    Result
	// scratch reused across frames
	pairs              []pair
	high, low, pending []int
	usedDet            []bool
}

// Result is what one Update returns. Its slices belong to the Tracker and
// are valid until the next Update or Flush.
type Result struct {
	Frame  uint64  // 1, 2, ... counting Updates
	Tracks []Track // tentative, confirmed and lost tracks
	Ended  []Track // confirmed tracks that ended in this frame
}

// state is a track's filter and bookkeeping.
type state struct {
	Track
	cx, cy, w, h float32 // filtered centre and size
	vx, vy       float32
	run          int // consecutive matches while tentative
}

type pair struct {
	t, d int
	iou  float32
}

// New returns a Tracker for one camera.
func New(opts Options) (*Tracker, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Tracker{opts: o}, nil
}

// Update advances one frame: it predicts every track, matches the frame's
// detections (ByteTrack's two passes), starts tracks for unmatched
// confident detections and ages the rest.
func (tr *Tracker) Update(dets []Detection) *Result {
	tr.frame++
	tr.res.Frame, tr.res.Tracks, tr.res.Ended = tr.frame, tr.res.Tracks[:0], tr.res.Ended[:0]
	tr.usedDet = slices.Grow(tr.usedDet[:0], len(dets))[:len(dets)]
	clear(tr.usedDet)
	tr.high, tr.low = tr.high[:0], tr.low[:0]
	for i, d := range dets {
		switch {
		case d.Score >= tr.opts.HighScore:
			tr.high = append(tr.high, i)
		case d.Score >= tr.opts.LowScore:
			tr.low = append(tr.low, i)
		}
	}
	for _, s := range tr.tracks {
		s.predict(tr.opts.Beta >= 0)
		s.Det, s.BestImproved = -1, false
	}
	// 1: confident detections against confirmed and lost tracks
	buf := 1 + 2*max(0, tr.opts.Buffer)
	tr.match(dets, tr.high, func(s *state) bool { return s.State != Tentative }, tr.opts.MatchIoU, buf)
	// 2: weak detections rescue confirmed tracks still unmatched (not lost ones)
	tr.match(dets, tr.low, func(s *state) bool { return s.State == Confirmed && s.Det < 0 }, tr.opts.LowMatchIoU, 1)
	// 3: confident detections left over against tentative tracks
	// (tentative tracks with a velocity first, then those seen once, with a
	// wider buffer but only on faces of about their size)
	tr.match(dets, tr.high, func(s *state) bool { return s.State == Tentative && s.Hits > 1 }, tr.opts.MatchIoU, buf)
	tbuf := 1 + 2*max(0, tr.opts.TentativeBuffer)
	tr.match(dets, tr.high, func(s *state) bool { return s.State == Tentative && s.Hits == 1 }, tr.opts.MatchIoU, tbuf)
	tr.age()
	for _, i := range tr.high {
		if !tr.usedDet[i] {
			tr.start(dets[i], i)
		}
	}
	for _, s := range tr.tracks {
		tr.res.Tracks = append(tr.res.Tracks, s.Track)
	}
	return &tr.res
}

// Flush ends every confirmed track (the stream ended) and returns them.
func (tr *Tracker) Flush() []Track {
	tr.res.Ended = tr.res.Ended[:0]
	for _, s := range tr.tracks {
		if s.State != Tentative {
			s.State = Ended
			tr.res.Ended = append(tr.res.Ended, s.Track)
		}
	}
	tr.tracks = tr.tracks[:0]
	return tr.res.Ended
}

// match assigns detections (indices into dets, unused so far) to the tracks
// that eligible accepts and that are still unmatched, greedily by the IoU
// of the boxes scaled by buf about their centres.
func (tr *Tracker) match(dets []Detection, idx []int, eligible func(*state) bool, minIoU, buf float32) {
	tr.pairs = tr.pairs[:0]
	for ti, s := range tr.tracks {
		if s.Det >= 0 || !eligible(s) {
			continue
		}
		box := s.predicted().Scale(buf)
		for _, di := range idx {
			if tr.usedDet[di] || (s.State == Tentative && s.Hits == 1 && !similarSize(s.Box, dets[di].Box)) {
				continue
			}
			if iou := box.IoU(dets[di].Box.Scale(buf)); iou >= minIoU {
				tr.pairs = append(tr.pairs, pair{ti, di, iou})
			}
		}
	}
	slices.SortFunc(tr.pairs, func(a, b pair) int {
		return cmp.Or(cmp.Compare(b.iou, a.iou), cmp.Compare(a.t, b.t), cmp.Compare(a.d, b.d))
	})
	for _, p := range tr.pairs {
		s := tr.tracks[p.t]
		if s.Det >= 0 || tr.usedDet[p.d] {
			continue
		}
		tr.usedDet[p.d] = true
		tr.hit(s, dets[p.d], p.d)
	}
}

// similarSize says two boxes' sides are within a quarter of each other
// (a face does not change size that much between two frames).
func similarSize(a, b face.Rect) bool {
	r := (a.Dx() + a.Dy()) / max(b.Dx()+b.Dy(), 1e-6)
	return r > 0.8 && r < 1.25
}

// hit updates a matched track with its detection.
func (tr *Tracker) hit(s *state, d Detection, di int) {
	s.correct(d.Box, tr.opts.Alpha, tr.opts.Beta)
	s.Det, s.Hits, s.Last, s.Lost = di, s.Hits+1, tr.frame, 0
	s.run++
	switch {
	case s.State == Tentative && s.run >= tr.opts.ConfirmHits:
		tr.nextID++
		s.ID, s.State = tr.nextID, Confirmed
	case s.State == Lost:
		s.State = Confirmed
	}
	if q := shotQuality(d, tr.opts.ShotSide); q > s.Best.Quality {
		s.Best = Shot{Frame: tr.frame, Box: d.Box, Score: d.Score, Quality: q}
		s.BestImproved = true
	}
}

// age handles the unmatched: tentative tracks die, confirmed ones coast,
// long-lost ones end.
func (tr *Tracker) age() {
	keep := tr.tracks[:0]
	for _, s := range tr.tracks {
		if s.Det >= 0 {
			keep = append(keep, s)
			continue
		}
		if s.State == Tentative {
			continue
		}
		s.State, s.Lost = Lost, s.Lost+1
		if s.Lost > tr.opts.MaxLost || tr.left(s.Box) {
			s.State = Ended
			tr.res.Ended = append(tr.res.Ended, s.Track)
			continue
		}
		keep = append(keep, s)
	}
	clear(tr.tracks[len(keep):])
	tr.tracks = keep
}

// left reports whether box's centre is outside the frame bounds, if set:
// the face is at least half gone and coasting on would only let the track
// capture someone entering there.
func (tr *Tracker) left(box face.Rect) bool {
	b, c := tr.opts.Bounds, box.Center()
	return !b.Empty() && (c.X < b.Min.X || c.Y < b.Min.Y || c.X > b.Max.X || c.Y > b.Max.Y)
}

// start opens a tentative track on detection d.
func (tr *Tracker) start(d Detection, di int) {
	c := d.Box.Center()
	s := &state{cx: c.X, cy: c.Y, w: d.Box.Dx(), h: d.Box.Dy(), run: 1}
	s.Track = Track{State: Tentative, Box: d.Box, Hits: 1, First: tr.frame, Last: tr.frame, Det: di,
		Best: Shot{Frame: tr.frame, Box: d.Box, Score: d.Score, Quality: shotQuality(d, tr.opts.ShotSide)}, BestImproved: true}
	if tr.opts.ConfirmHits <= 1 {
		tr.nextID++
		s.ID, s.State = tr.nextID, Confirmed
	}
	tr.tracks = append(tr.tracks, s)
}

// shotQuality ranks a detection as a best shot: its size up to side,
// times the caller's quality (or the detector score when none is given).
func shotQuality(d Detection, side float32) float32 {
	q := d.Quality
	if q <= 0 {
		q = d.Score
	}
	return min(1, min(d.Box.Dx(), d.Box.Dy())/side) * q
}

// predict moves the filter one frame ahead.
func (s *state) predict(motion bool) {
	if motion {
		s.cx += s.vx
		s.cy += s.vy
	}
	s.Box = s.predicted()
}

func (s *state) predicted() face.Rect {
	return face.R(s.cx-s.w/2, s.cy-s.h/2, s.cx+s.w/2, s.cy+s.h/2)
}

// correct blends a measurement into the filter. The residual accumulated
// over the frames the track was lost is spread over them for the velocity.
func (s *state) correct(b face.Rect, alpha, beta float32) {
	c := b.Center()
	rx, ry := c.X-s.cx, c.Y-s.cy
	if s.Hits == 1 && beta > 0 {
		// the second sighting: the displacement is the velocity
		s.cx, s.cy, s.vx, s.vy = c.X, c.Y, rx, ry
		s.w, s.h = b.Dx(), b.Dy()
		s.Box = b
		s.Velocity = face.Point{X: s.vx, Y: s.vy}
		return
	}
	s.cx += alpha * rx
	s.cy += alpha * ry
	if beta > 0 {
		n := float32(s.Lost + 1)
		s.vx += beta * rx / n
		s.vy += beta * ry / n
	}
	s.w += alpha * (b.Dx() - s.w)
	s.h += alpha * (b.Dy() - s.h)
	s.Box = b
	s.Velocity = face.Point{X: s.vx, Y: s.vy}
}
