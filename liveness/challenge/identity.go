package challenge

import (
	"math"

	"github.com/mienhq/mien/face"
)

// identity is the same-face rule's state: one person throughout, followed
// along the track.
//
// A recognizer is reliable on frontal faces and much less so far from
// frontal: the similarity between a frontal frame and a strongly turned,
// raised or open-mouthed frame of the same person can fall under the
// threshold that separates people. So the rule is pose-aware:
//
//   - a frame at rest (frontal, mouth closed, eyes not closed) must match
//     the anchor, the session's first frame, at SameFace;
//   - any other frame (turned, raised, mouth open, eyes closed) must match
//     the anchor at SameFace or the previous embedded frame at SameTrack
//     (at least SameFace), and the
//     previous embedded frame can vouch for it only when the face was
//     followed between the two (no frame without a face, no frame where
//     the track was lost and the face found again, no jump, no gap: those
//     fail the session or break the chain);
//   - after the last action, the face must come back to rest and match the
//     anchor (a head that left as one person and came back as another
//     fails; so does a session that ends before it is back).
//
// A switch between two people is then caught wherever it happens: at rest
// (the rest frame does not match the anchor), at the peak of a movement
// (the first frame of the second person must match the previous embedded
// frame, the first person's, at SameTrack), on a frame that was not embedded
// (the next embedded frame is compared with the last embedded one, not with
// the frame before it), and just before the end (the frames after the last
// action are all embedded, and the session ends only on a rest frame that
// matches the anchor). Every crossing from one person to another has to
// pass one comparison of two people at SameTrack, and the second person
// must be gone by the next rest frame;
// what the chain gives up is a slow morph, each frame a little further from
// the first person (out of scope: it needs the frames to be synthesised,
// and every rest frame still has to be the first person's).
type identity struct {
	anchor   []float32 // the first frame's embedding
	last     []float32 // the previous embedded frame's, once it was accepted
	broken   bool      // the track broke since last
	anchored bool      // the frame last added was embedded and matched the anchor
	returned bool      // a rest frame matched the anchor after the last challenge was done
	// simAnchor and simPrev are the last frame's similarities to the anchor
	// and to the previous embedded frame; NaN when not measured.
	simAnchor, simPrev float32
}

// atRest reports whether a frame is one the recognizer reads reliably:
// frontal, mouth closed, eyes not closed.
func (c *Checker) atRest(f Frame) bool {
	return abs(f.Yaw) < c.cfg.Neutral && abs(f.Pitch) < c.cfg.Neutral && f.Mouth <= c.cfg.MouthClosed && f.EyeOpen > c.cfg.EyesClosed
}

// observe measures a one-face frame's similarities to the anchor and to
// the previous embedded frame (for the verdict's trace), without deciding.
func (c *Checker) observe(f Frame) {
	id := &c.id
	id.anchored, id.simAnchor, id.simPrev = false, nan32, nan32
	if f.Reacquired {
		id.broken = true
	}
	if len(f.Embedding) == 0 {
		return
	}
	if id.anchor == nil {
		id.anchor, id.simAnchor = f.Embedding, 1
		return
	}
	id.simAnchor = face.Dot(f.Embedding, id.anchor)
	if id.last != nil && !id.broken {
		id.simPrev = face.Dot(f.Embedding, id.last)
	}
}

// sameFace decides an observed frame by the rule above.
func (c *Checker) sameFace(f Frame) {
	id := &c.id
	if len(f.Embedding) == 0 {
		return // not embedded: the next embedded frame is compared with the last one
	}
	rest := c.atRest(f)
	thr, link := c.cfg.SameFace, max(c.cfg.SameFace, c.cfg.SameTrack)
	switch {
	case id.simAnchor >= thr:
		id.anchored = true
	case rest:
		c.fail("frame %d shows another face at rest (similarity %.3f to the first frame, at least %.3f)", c.frames, id.simAnchor, thr)
	case id.simPrev >= link: // vouched for by the previous embedded frame, along the track
	case math.IsNaN(float64(id.simPrev)):
		c.fail("frame %d shows another face (similarity %.3f to the first frame, at least %.3f; the track broke before it, so no earlier frame vouches for it)", c.frames, id.simAnchor, thr)
	default:
		c.fail("frame %d shows another face (similarity %.3f to the first frame, at least %.3f, and %.3f to the previous embedded frame, at least %.3f)", c.frames, id.simAnchor, thr, id.simPrev, link)
	}
	id.last, id.broken = f.Embedding, false
	if id.anchored && rest && c.step == len(c.s.Challenges) {
		id.returned = true
	}
}

var nan32 = float32(math.NaN())

// Anchored reports whether the frame last added was embedded and matched
// the session's first frame at SameFace: only such a frame may stand for
// the session's face (the best frame a face login is matched with).
func (c *Checker) Anchored() bool { return c.id.anchored && len(c.reasons) == 0 }

// Similarity returns the last frame's cosine similarities to the session's
// first frame and to the previous embedded frame; ok is false for each one
// not measured (the frame was not embedded, or for prev, the track broke).
func (c *Checker) Similarity() (anchor, prev float32, anchorOK, prevOK bool) {
	a, p := c.id.simAnchor, c.id.simPrev
	return a, p, !math.IsNaN(float64(a)), !math.IsNaN(float64(p))
}

// AllDone reports whether every challenge is done.
func (c *Checker) AllDone() bool { return c.step == len(c.s.Challenges) }

// Returning reports whether every challenge is done and the face is not
// yet back at rest as the first frame's (Progress.Returning): a caller
// should embed every frame meanwhile, so that the return is seen on the
// first frame it happens and a switch on the way back is never between two
// embeddings.
func (c *Checker) Returning() bool {
	return c.AllDone() && !c.id.returned && len(c.reasons) == 0
}

// Lost records that a frame showed no face: the track is broken, so the
// next frame is not vouched for by the frames before.
func (c *Checker) Lost() { c.id.broken = true }
