package mien

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/mienhq/mien/detect"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/liveness/challenge"
	"github.com/mienhq/mien/mesh"
)

// measure runs the per-frame stages on one frame: detection (the face
// count), the mesh tracker (pose, eyes, mouth, landmarks) and, every
// EmbedEvery face frames, the embedding. meas.Faces is 0 when there is
// nothing to check (no face, or the mesh lost it).
func (ls *LivenessSession) measure(ctx context.Context, img *face.Image, at time.Time) (challenge.Frame, LivenessMeasure, bestFrame, error) {
	f := challenge.Frame{At: at, Passive: -1}
	var meas LivenessMeasure
	dets, err := ls.detectAll(ctx, img)
	if err != nil {
		return f, meas, bestFrame{}, err
	}
	main, n := LivenessFaces(dets)
	if n != 1 {
		f.Faces, meas.Faces = n, n
		return f, meas, bestFrame{}, nil
	}
	refined := false
	lost := ls.tracker.Lost()
	if lost {
		if err := ls.refineMain(ctx, img, &main, &refined); err != nil {
			return f, meas, bestFrame{}, fmt.Errorf("mien: liveness frame: %w", err)
		}
		ls.tracker.Reset(main)
	}
	// The embedding needs only the detection: it runs beside the mesh (on
	// the other core) when the frame is known to need it; a track that
	// drifts off in this frame's step needs it too, after the step.
	// Between the last action and the face's return to rest every frame is
	// embedded: the session ends on a rest frame of the first face
	// (challenge's identity rule), seen on the first frame it happens.
	embed := ls.checker.Frames() == 0 || lost || ls.faced%ls.opts.EmbedEvery == 0 || ls.checker.Returning()
	var pending <-chan embedded
	if embed {
		if err := ls.refineMain(ctx, img, &main, &refined); err != nil {
			return f, meas, bestFrame{}, fmt.Errorf("mien: liveness frame: %w", err)
		}
		pending = ls.embedAsync(ctx, img, main)
	}
	mf, ok, lost, err := ls.step(ctx, img, at, &main, &refined, lost)
	var em embedded
	if pending != nil {
		em = ls.collect(pending)
	}
	if err != nil {
		return f, meas, bestFrame{}, fmt.Errorf("mien: liveness frame: %w", err)
	}
	if !ok {
		return f, meas, bestFrame{}, nil // the mesh saw no face: like a frame without one
	}
	ls.frameSignals(&f, &meas, mf)
	// a face found again by detection is not followed from the frame before:
	// the frames before do not vouch for its identity
	f.Reacquired = lost && ls.checker.Frames() > 0
	meas.Reacquired = f.Reacquired
	best := bestFrame{det: main}
	if !embed && lost { // the track drifted off: embed the frame as well
		if err := ls.refineMain(ctx, img, &main, &refined); err != nil {
			return f, meas, bestFrame{}, fmt.Errorf("mien: liveness frame: %w", err)
		}
		embed, em = true, ls.collect(ls.embedAsync(ctx, img, main))
	}
	if embed {
		if em.err != nil {
			return f, meas, bestFrame{}, fmt.Errorf("mien: liveness frame: %w", em.err)
		}
		f.Embedding, meas.Embedded, best.det, best.emb = em.emb.Vector, true, main, em.emb
		best.score = ls.frontality(f)
	}
	return f, meas, best, nil
}

// frameSignals fills a face frame's pose, eyes, mouth and landmarks from
// the mesh, relative to the session's pose reference (poseBase) and its rest.
func (ls *LivenessSession) frameSignals(f *challenge.Frame, meas *LivenessMeasure, mf mesh.Frame) {
	ls.base.add(mf.Pose.Yaw, mf.Pose.Pitch, ls.cfg.Neutral)
	yaw0, pitch0 := ls.base.ref()
	f.Faces, meas.Faces = 1, 1
	f.Yaw, f.Pitch = mf.Pose.Yaw-yaw0, mf.Pose.Pitch-pitch0
	ls.notePeak(f.Yaw, f.Pitch)
	// eyes and mouth relative to the session's own rest (restBaseline); the
	// more open eye counts, since a wink is not a blink
	ls.rest.add(f.Yaw, f.Pitch, ls.cfg.Neutral, mf.Signals.EyeOpen, mf.Signals.MouthOpen)
	f.EyeOpen = ls.rest.eyeOpen(mf.Signals.EyeOpen)
	f.Mouth = ls.rest.mouthOpen(mf.Signals.MouthOpen)
	f.Landmarks = make([]face.Point, mesh.NumPoints)
	for i, p := range mf.Mesh.Points {
		f.Landmarks[i] = p.XY()
	}
	meas.Yaw, meas.Pitch, meas.EyeOpen, meas.MouthOpen = f.Yaw, f.Pitch, mf.Signals.EyeOpen, mf.Signals.MouthOpen
}

// embedded is an embedding run's outcome and its wall time.
type embedded struct {
	emb  face.Embedding
	err  error
	took time.Duration
}

// embedAsync aligns and embeds the face d on its own goroutine.
func (ls *LivenessSession) embedAsync(ctx context.Context, img *face.Image, d face.Detection) <-chan embedded {
	ch := make(chan embedded, 1)
	go func() {
		t0 := time.Now()
		emb, err := ls.e.Embed(ctx, img, d)
		ch <- embedded{emb: emb, err: err, took: time.Since(t0)}
	}()
	return ch
}

// collect waits for an embedding and counts it in the session's timings.
func (ls *LivenessSession) collect(ch <-chan embedded) embedded {
	em := <-ch
	ls.timings.Embed += em.took
	ls.timings.Embeds++
	return em
}

// detectAll finds every face (for the count) with the engine's defaults:
// boxes and scores, the detector's own five points; refineMain gives the
// followed face the engine's refined points when they are needed.
func (ls *LivenessSession) detectAll(ctx context.Context, img *face.Image) ([]face.Detection, error) {
	t0 := time.Now()
	dets, err := ls.e.detector.Detect(ctx, img, ls.e.mergeDetect(detect.Options{}))
	ls.timings.Detect += time.Since(t0)
	return dets, err
}

// refineMain gives d the five points Engine.Detect would have given it (the
// pack's landmark model, when the engine refines them), once: only the
// followed face's points are used (to start a mesh track and to align its
// embedding), so the other faces of a frame and frames that need neither
// skip the landmark model. Its time counts as detection.
func (ls *LivenessSession) refineMain(ctx context.Context, img *face.Image, d *face.Detection, done *bool) error {
	if *done {
		return nil
	}
	t0 := time.Now()
	err := ls.e.refine(ctx, img, d)
	ls.timings.Detect += time.Since(t0)
	if ls.e.RefinesLandmarks() {
		ls.timings.Refines++
	}
	*done = err == nil
	return err
}

// step runs the mesh tracker on the frame; when a running track drifts off
// the face, it starts again from the detection d (refined first) and says
// so (lost). A frame coming back from a turn is meshed again from d too
// (reseed): the crop carried from the turned frames holds the mesh's
// reading off by 10-17 degrees for as long as the head then stays still (a
// rest read as a turn the other way, so the next action never starts from
// rest), and so is a frame whose tracked pose would fail the session as
// another head action (confirm). The face is then the one the track
// followed (exactly one face is in the frame), so that is not a
// reacquisition.
func (ls *LivenessSession) step(ctx context.Context, img *face.Image, at time.Time, d *face.Detection, refined *bool, lost bool) (mesh.Frame, bool, bool, error) {
	t0 := time.Now()
	ts := at.Sub(ls.s.Created).Seconds()
	mf, ok, err := ls.tracker.Step(ctx, img, ts)
	fromDetection := func() {
		t1 := time.Now()
		err = ls.refineMain(ctx, img, d, refined)
		t0 = t0.Add(time.Since(t1)) // the refinement counts as detection
		if err == nil {
			ls.tracker.Reset(*d)
			mf, ok, err = ls.tracker.Step(ctx, img, ts)
		}
	}
	switch {
	case err == nil && !ok && !lost:
		lost = true // the track drifted off: start again from the detection
		fromDetection()
	case err == nil && ok && ls.reseed(mf):
		ls.timings.Reseeds++
		ls.turned, ls.raised = 0, 0
		fromDetection()
	case err == nil && ok && !mf.Redetected && ls.confirm(mf):
		ls.timings.Confirms++
		fromDetection()
	}
	ls.timings.Mesh += time.Since(t0)
	ls.timings.Frames++
	return mf, ok, lost, err
}

// ReseedDrop is how far (degrees) a frame's yaw or pitch must have come
// back from the farthest turn or look-up before it for the frame to be
// meshed again from its detection (LivenessSession.reseed).
const ReseedDrop = 10

// notePeak keeps the farthest turn and look-up read since the head was
// last at rest (yaw and pitch from the reference): a head at rest clears
// them, a frame turned or raised past the checker's Turn or Up and further
// than before replaces them.
func (ls *LivenessSession) notePeak(yaw, pitch float32) {
	cfg := ls.checker.Config()
	if abs32(yaw) < cfg.Neutral && abs32(pitch) < cfg.Neutral {
		ls.turned, ls.raised = 0, 0
		return
	}
	if abs32(yaw) >= cfg.Turn && abs32(yaw) > abs32(ls.turned) {
		ls.turned = yaw
	}
	if pitch >= cfg.Up && pitch > ls.raised {
		ls.raised = pitch
	}
}

// reseed says whether tracked frame mf comes back from a turn or a
// look-up: the head was turned or raised at least the checker's Turn or Up
// from the pose reference since it was last at rest, and this frame has
// come back by ReseedDrop degrees or more from the farthest of it. A
// look-up leaves the carried crop off as a turn does: a rest after one
// read 11-17 degrees of yaw on a head that had not turned.
func (ls *LivenessSession) reseed(mf mesh.Frame) bool {
	yaw0, pitch0 := ls.base.ref()
	back := ls.turned != 0 && abs32(mf.Pose.Yaw-yaw0) <= abs32(ls.turned)-ReseedDrop
	return back || (ls.raised != 0 && mf.Pose.Pitch-pitch0 <= ls.raised-ReseedDrop)
}

// confirm says whether tracked frame mf must be meshed afresh from its
// detection before it is read: its pose, from the crop carried from the
// frames before, would fail the session as a head action other than the
// one asked (challenge.Checker.Unexpected). The carried crop can hold the
// mesh's reading off: on a still rest photo (John Kerry's, in the
// 90-person real-photo set) every tracked frame read 14-17 degrees of yaw
// against the first frame's 8, while meshes started from each frame's
// detection read -6 to 8, so the rest read as a right turn while a left
// turn was asked. The fresh mesh's reading is then the frame's, and the
// track goes on from it; a head that really turned reads the turn again.
// Only a failure is confirmed, not an action completed: meshes started
// from a detection read turns and look-ups a few degrees smaller than the
// track does, and confirming every action read failed synthetic heads
// whose turn the track read at 21-25 degrees (docs/benchmarks.md). It
// costs a mesh from the detection on such frames only.
func (ls *LivenessSession) confirm(mf mesh.Frame) bool {
	yaw0, pitch0 := ls.base.ref()
	f := challenge.Frame{Yaw: mf.Pose.Yaw - yaw0, Pitch: mf.Pose.Pitch - pitch0, Mouth: ls.rest.mouthOpen(mf.Signals.MouthOpen)}
	switch ls.checker.Unexpected(f) {
	case challenge.TurnLeft, challenge.TurnRight, challenge.LookUp:
		return true
	}
	return false
}

// SecondFaceScore is the least detection score at which another face
// counts as a second presenter in a liveness session (a false detection in
// carved wood behind an LFW subject scored 0.66).
const SecondFaceScore = 0.85

// LivenessFaces returns the face a liveness session follows (the largest)
// and how many faces the frame shows for the "exactly one face" rule: the
// largest, and every other at least a third as wide detected at
// SecondFaceScore or more (smaller or weaker ones are background faces or
// false detections, not a second presenter).
func LivenessFaces(dets []face.Detection) (face.Detection, int) {
	if len(dets) == 0 {
		return face.Detection{}, 0
	}
	main := dets[0]
	for _, d := range dets[1:] {
		if d.Box.Area() > main.Box.Area() {
			main = d
		}
	}
	n := 1
	for _, d := range dets {
		if d != main && 3*d.Box.Dx() >= main.Box.Dx() && d.Score >= SecondFaceScore {
			n++
		}
	}
	return main, n
}

// frontality ranks frames for the match: frontal,
// eyes open, mouth closed (higher is better; only embedded frames rank).
func (ls *LivenessSession) frontality(f challenge.Frame) float32 {
	s := -abs32(f.Yaw) - abs32(f.Pitch)
	if f.EyeOpen < ls.cfg.EyesOpen {
		s -= 100
	}
	if f.Mouth > ls.cfg.MouthClosed {
		s -= 50
	}
	return s
}

func abs32(v float32) float32 {
	if v < 0 {
		return -v
	}
	return v
}

// keepBest scores the frame with the anti-spoof ensemble while fewer than
// PassiveFrames have been (embedded frames only), and keeps a copy of it
// when it ranks among the BestFrames best, reusing the evicted frame's
// buffer: Finish has nothing left to run. A scored frame's scores go to meas.
func (ls *LivenessSession) keepBest(ctx context.Context, img *face.Image, b bestFrame, meas *LivenessMeasure) error {
	if len(b.emb.Vector) == 0 {
		return nil
	}
	if ls.opts.PassiveThreshold >= 0 && ls.e.spoof.err == nil && len(ls.scored) < ls.opts.PassiveFrames {
		t0 := time.Now()
		r, err := ls.e.Liveness(ctx, img, b.det)
		ls.timings.Passive += time.Since(t0)
		ls.timings.PassiveFrames++
		if err != nil {
			return fmt.Errorf("mien: liveness frame: %w", err)
		}
		ls.passiveThr = r.Threshold
		ls.scored = append(ls.scored, passiveScore{r.Score, r.JPEGQuality, r.Greyscale})
		meas.Passive = &r.Score
		for _, m := range r.Models {
			meas.PassiveModels = append(meas.PassiveModels, m.Live)
		}
	}
	n := ls.opts.BestFrames
	if len(ls.best) == n && b.score <= ls.best[n-1].score {
		return nil
	}
	var buf *face.Image
	if len(ls.best) == n {
		buf = ls.best[n-1].img
		ls.best = ls.best[:n-1]
	}
	if buf == nil || len(buf.Pix) != len(img.Pix) {
		buf = cloneImage(img)
	} else {
		*buf = face.Image{W: img.W, H: img.H, Pix: buf.Pix}
		copy(buf.Pix, img.Pix)
	}
	b.img = buf
	ls.best = append(ls.best, b)
	sort.SliceStable(ls.best, func(i, j int) bool { return ls.best[i].score > ls.best[j].score })
	return nil
}

// greyscale reports whether most of the scored frames have no colour.
func (ls *LivenessSession) greyscale() bool {
	n, grey := 0, 0
	for _, f := range ls.scored {
		if f.passive >= 0 {
			n++
			if f.grey {
				grey++
			}
		}
	}
	return n > 0 && 2*grey > n
}

// jpegQuality returns the median estimated JPEG quality of the scored
// frames, over those where it is known (the lower middle one of an even
// count); 0 when it is known on none.
func (ls *LivenessSession) jpegQuality() int {
	var qs []int
	for _, f := range ls.scored {
		if f.passive >= 0 && f.jpegQ > 0 {
			qs = append(qs, f.jpegQ)
		}
	}
	if len(qs) == 0 {
		return 0
	}
	sort.Ints(qs)
	return qs[(len(qs)-1)/2]
}

// passiveQuantile is the quantile of the scored frames' passive scores
// that is the session's: the upper quartile. A live face scores as live at
// more than one pose; a print or a screen scores low at almost every one,
// and the median of the most frontal frames failed live faces whose rest
// pose happened to read low (docs/benchmarks.md, "Liveness: the passive
// score over the session's frames").
const passiveQuantile = 0.75

// passive returns the upper quartile of the scored frames' passive scores
// (interpolated between the two nearest ranks) and the threshold to hold
// it to (0: not decided on); a negative score when none was measured.
func (ls *LivenessSession) passive() (score, thr float32) {
	var scores []float64
	for _, f := range ls.scored {
		if f.passive >= 0 {
			scores = append(scores, float64(f.passive))
		}
	}
	if len(scores) == 0 {
		return -1, 0
	}
	sort.Float64s(scores)
	pos := passiveQuantile * float64(len(scores)-1)
	i := int(pos)
	q := scores[i]
	if i+1 < len(scores) {
		q += (pos - float64(i)) * (scores[i+1] - scores[i])
	}
	score, thr = float32(q), ls.passiveThr
	switch {
	case ls.opts.PassiveThreshold < 0:
		thr = 0
	case ls.opts.PassiveThreshold > 0:
		thr = ls.opts.PassiveThreshold
	}
	return score, thr
}
