package eval

import (
	"fmt"
	"math"
	"sync"

	"github.com/mienhq/mien/face"
)

// Scoring is how a subject with several photos is scored against a probe.
type Scoring string

// The scorings compared by mien eval openset.
const (
	// ScoreMax takes the best of the subject's templates (each template is
	// one comparison, so a search makes photos x subjects comparisons).
	ScoreMax Scoring = "max"
	// ScoreMean compares with the normalised mean of the subject's templates.
	ScoreMean Scoring = "mean"
	// ScoreQuality compares with the normalised mean weighted by each
	// photo's quality (QualityWeight).
	ScoreQuality Scoring = "quality"
)

// Scorings lists them in report order.
var Scorings = []Scoring{ScoreMax, ScoreMean, ScoreQuality}

// QualityWeight is how much a photo counts in a quality-weighted template:
// the detector's confidence, times sharpness s/(s+20) (the Laplacian
// variance; under about 30 is blurred), times 1/(1+(angle/30deg)^2) for
// yaw and for pitch.
func QualityWeight(r Record) float64 {
	pose := func(a float32) float64 { x := float64(a) / 30; return 1 / (1 + x*x) }
	s := math.Max(float64(r.Sharpness), 0)
	return math.Max(float64(r.DetScore), 0.05) * (s + 1) / (s + 21) * pose(r.Yaw) * pose(r.Pitch)
}

// gallery is the templates of a split under one scoring.
type gallery struct {
	vecs    [][]float32
	subject []int // per template
	n       int   // subjects
}

func buildGallery(recs []Record, s *Split, sc Scoring) (*gallery, error) {
	g := &gallery{n: len(s.Subjects)}
	for si, subj := range s.Subjects {
		switch sc {
		case ScoreMax:
			for _, p := range subj.Photos {
				g.vecs = append(g.vecs, recs[p].Vector)
				g.subject = append(g.subject, si)
			}
		case ScoreMean, ScoreQuality:
			m := make([]float32, len(recs[subj.Photos[0]].Vector))
			for _, p := range subj.Photos {
				w := 1.0
				if sc == ScoreQuality {
					w = QualityWeight(recs[p])
				}
				for i, v := range recs[p].Vector {
					m[i] += float32(w) * v
				}
			}
			face.Normalize(m)
			g.vecs = append(g.vecs, m)
			g.subject = append(g.subject, si)
		default:
			return nil, fmt.Errorf("eval: unknown scoring %q", sc)
		}
	}
	return g, nil
}

// best returns the top subject and its score for a probe.
func (g *gallery) best(probe []float32, scores []float32) (int, float32) {
	for i := range scores {
		scores[i] = -2
	}
	for t, v := range g.vecs {
		if s := face.Dot(probe, v); s > scores[g.subject[t]] {
			scores[g.subject[t]] = s
		}
	}
	top := 0
	for i, s := range scores {
		if s > scores[top] {
			top = i
		}
	}
	return top, scores[top]
}

// Search runs every probe of the split against the gallery built with one
// scoring, on workers goroutines; progress, if not nil, is told of each
// finished probe (from several goroutines at once).
func Search(recs []Record, s *Split, sc Scoring, workers int, progress func()) (*Result, error) {
	g, err := buildGallery(recs, s, sc)
	if err != nil {
		return nil, err
	}
	r := &Result{Mated: make([]MatedResult, len(s.Mated)), NonMated: make([]float32, len(s.NonMated)), Comparisons: len(g.vecs)}
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range max(workers, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			scores := make([]float32, g.n)
			for j := range jobs {
				if j < len(s.Mated) {
					p := s.Mated[j]
					top, score := g.best(recs[p.Rec].Vector, scores)
					r.Mated[j] = MatedResult{Rank1: top == p.Subject, Top: score}
				} else {
					_, score := g.best(recs[s.NonMated[j-len(s.Mated)]].Vector, scores)
					r.NonMated[j-len(s.Mated)] = score
				}
				if progress != nil {
					progress()
				}
			}
		}()
	}
	for j := range len(s.Mated) + len(s.NonMated) {
		jobs <- j
	}
	close(jobs)
	wg.Wait()
	return r, nil
}
