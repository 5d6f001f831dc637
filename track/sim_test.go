package track

import (
	"math/rand/v2"

	"github.com/mienhq/mien/face"
)

// walker is a synthetic face moving at constant velocity.
type walker struct {
	x, y, vx, vy, size float32
	from, to           int      // frames visible (inclusive, 1-based)
	hidden             [][2]int // frame ranges with no detection (occlusion)
	weak               [][2]int // frame ranges detected with a low score
}

func inRanges(f int, rs [][2]int) bool {
	for _, r := range rs {
		if f >= r[0] && f <= r[1] {
			return true
		}
	}
	return false
}

// sequence is frames of detections with, per detection, the walker it
// came from (-1 for a false positive).
type sequence struct {
	dets  [][]Detection
	truth [][]int
}

// simulate renders walkers into detections with a pixel of jitter, plus
// fps one-frame false positives per frame at random places.
func simulate(frames int, ws []walker, fps int, seed uint64) sequence {
	rng := rand.New(rand.NewPCG(seed, 7))
	var s sequence
	for f := 1; f <= frames; f++ {
		var ds []Detection
		var tr []int
		for i, w := range ws {
			if f < w.from || f > w.to || inRanges(f, w.hidden) {
				continue
			}
			t := float32(f - w.from)
			cx := w.x + w.vx*t + (rng.Float32()-0.5)*2
			cy := w.y + w.vy*t + (rng.Float32()-0.5)*2
			score := float32(0.9)
			if inRanges(f, w.weak) {
				score = 0.3
			}
			ds = append(ds, det(cx, cy, w.size, score))
			tr = append(tr, i)
		}
		for k := 0; k < fps; k++ {
			ds = append(ds, det(rng.Float32()*1200, rng.Float32()*700, 20+rng.Float32()*60, 0.65+rng.Float32()*0.3))
			tr = append(tr, -1)
		}
		s.dets = append(s.dets, ds)
		s.truth = append(s.truth, tr)
	}
	return s
}

func det(cx, cy, size, score float32) Detection {
	return Detection{Detection: face.Detection{Box: face.R(cx-size/2, cy-size/2, cx+size/2, cy+size/2), Score: score}}
}

// metrics of a tracker over a sequence.
type metrics struct {
	switches int           // changes of track id along a walker's detections
	ids      map[int][]int // walker -> distinct ids it was given, in order
	falseIDs int           // confirmed ids whose matches are all false positives
	ended    int           // tracks reported ended (Update and Flush)
	shared   int           // ids that followed more than one walker
}

func evaluate(tr *Tracker, s sequence) metrics {
	m := metrics{ids: map[int][]int{}}
	last := map[int]uint64{}
	real := map[uint64]bool{}
	seen := map[uint64]bool{}
	for f, ds := range s.dets {
		res := tr.Update(ds)
		m.ended += len(res.Ended)
		for _, t := range res.Tracks {
			if t.ID == 0 {
				continue
			}
			seen[t.ID] = true
			if t.Det < 0 {
				continue
			}
			w := s.truth[f][t.Det]
			if w < 0 {
				continue
			}
			real[t.ID] = true
			if prev, ok := last[w]; ok && prev != t.ID {
				m.switches++
			}
			if last[w] != t.ID {
				m.ids[w] = append(m.ids[w], int(t.ID))
			}
			last[w] = t.ID
		}
	}
	m.ended += len(tr.Flush())
	for id := range seen {
		if !real[id] {
			m.falseIDs++
		}
	}
	owners := map[int]int{}
	for _, ids := range m.ids {
		for _, id := range ids {
			if owners[id]++; owners[id] == 2 {
				m.shared++
			}
		}
	}
	return m
}
