package gallery

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/internal/store"
)

// Candidate is one identified subject and its score.
type Candidate struct {
	SubjectID  string  `json:"subject_id"`
	Similarity float32 `json:"similarity"`
}

// Identification is an identify answer: the decision it was made with and,
// for each probe in order, the matched subjects, best first (none: unknown).
type Identification struct {
	Decision
	Faces [][]Candidate
}

// Identify finds, for each probe, the enrolled subjects whose score reaches
// the threshold the policy gives for the collection's current size, best
// first (ties by subject id), at most topK. Subjects whose consent has
// expired are never matched. Probes are neither kept nor logged.
func (g *Gallery) Identify(ctx context.Context, col store.Collection, probes []face.Embedding, p Policy, topK int) (Identification, error) {
	for _, pr := range probes {
		if err := g.checkProbe(col, pr); err != nil {
			return Identification{}, err
		}
	}
	if topK < 1 {
		return Identification{}, fmt.Errorf("%w: top_k %d must be at least 1", ErrPolicy, topK)
	}
	c, err := g.collection(col.ID)
	if err != nil {
		return Identification{}, err
	}
	d, err := g.decide(ctx, col, c, p)
	if err != nil {
		return Identification{}, err
	}
	out := Identification{Decision: d, Faces: make([][]Candidate, len(probes))}
	for i, pr := range probes {
		if out.Faces[i], err = g.rank(ctx, col.ID, c, pr.Vector, d.Threshold, topK); err != nil {
			return Identification{}, err
		}
	}
	return out, nil
}

// rank returns the live subjects scoring at least thr, best first, at most
// k. Candidates are the subjects of the best templates: with Max this is
// exact (a subject left out has no template over the last one searched);
// with Mean a subject whose mean scores high but none of whose templates
// is near the top could be missed.
func (g *Gallery) rank(ctx context.Context, colID string, c *collection, probe []float32, thr float32, k int) ([]Candidate, error) {
	floor := thr
	if g.opts.Scoring == Mean {
		floor = -1
	}
	distinct := func(hs []Hit) []string {
		seen := map[string]bool{}
		var out []string
		for _, h := range hs {
			if !seen[h.SubjectID] {
				seen[h.SubjectID] = true
				out = append(out, h.SubjectID)
			}
		}
		return out
	}
	hs, err := g.hits(ctx, colID, c, probe, floor, max(4*k, 16), nil, func(hs []Hit) bool { return len(distinct(hs)) >= k })
	if err != nil {
		return nil, err
	}
	out := []Candidate{}
	for _, sid := range distinct(hs) {
		if sc, ok := c.subjectScore(g.opts.Scoring, probe, sid); ok && Matched(sc, thr) {
			out = append(out, Candidate{SubjectID: sid, Similarity: sc})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Similarity != out[j].Similarity {
			return out[i].Similarity > out[j].Similarity
		}
		return out[i].SubjectID < out[j].SubjectID
	})
	return out[:min(len(out), k)], nil
}

// Hit is one template found by a search.
type Hit struct {
	TemplateID int64
	SubjectID  string
	Score      float32
}

// hits searches the index for templates scoring at least floor that keep
// accepts (nil: all) and whose subject's consent is live, best first (ties
// by template id), starting with the best k and widening until enough says
// so or the index has nothing more over floor.
func (g *Gallery) hits(ctx context.Context, colID string, c *collection, probe []float32, floor float32, k int,
	keep func(int64) bool, enough func([]Hit) bool) ([]Hit, error) {
	for {
		n := c.idx.Len()
		if n == 0 {
			return nil, nil
		}
		ms, err := c.idx.Search(probe, min(k, n))
		if err != nil {
			return nil, err
		}
		var ids []int64
		for _, m := range ms {
			if m.Score >= floor && (keep == nil || keep(m.ID)) {
				ids = append(ids, m.ID)
			}
		}
		live, err := g.opts.Store.LiveTemplates(ctx, colID, ids)
		if err != nil {
			return nil, err
		}
		out := []Hit{}
		for _, m := range ms {
			if sid, ok := live[m.ID]; ok {
				out = append(out, Hit{TemplateID: m.ID, SubjectID: sid, Score: m.Score})
			}
		}
		exhausted := len(ms) < min(k, n) || len(ms) == n || ms[len(ms)-1].Score < floor
		if exhausted || enough(out) {
			return out, nil
		}
		k *= 4
	}
}

// SearchQuery is a face search (Rekognition's SearchFaces and
// SearchFacesByImage): the best K templates scoring at least MinCosine.
type SearchQuery struct {
	K         int
	MinCosine float32
	// Exclude is a template to leave out (the searched face's own; 0: none).
	Exclude int64
	// Only, when not nil, limits the search to these templates.
	Only map[int64]bool
}

// Search ranks a collection's templates against a probe, best first (ties
// by template id), on the index identify uses, with the same scores and the
// same consent rule: faces whose subject's consent expired are left out.
func (g *Gallery) Search(ctx context.Context, col store.Collection, probe face.Embedding, q SearchQuery) ([]Hit, error) {
	if err := g.checkProbe(col, probe); err != nil {
		return nil, err
	}
	if q.K <= 0 {
		return nil, nil
	}
	c, err := g.collection(col.ID)
	if err != nil {
		return nil, err
	}
	k := q.K + 1
	if q.Only != nil {
		k = c.idx.Len() // one user's faces: rank them all
	}
	keep := func(id int64) bool { return id != q.Exclude && (q.Only == nil || q.Only[id]) }
	hs, err := g.hits(ctx, col.ID, c, probe.Vector, q.MinCosine, k, keep, func(hs []Hit) bool { return len(hs) >= q.K })
	if err != nil {
		return nil, err
	}
	return hs[:min(len(hs), q.K)], nil
}

// Verdict is a verification's answer.
type Verdict struct {
	Match      bool    `json:"match"`
	Similarity float32 `json:"similarity"`
	Threshold  float32 `json:"threshold"`
	FAR        float64 `json:"far"`
}

// Verify compares a probe with one enrolled subject (1:1, as for face
// login) at a per-comparison false-match rate. A subject whose consent has
// expired cannot be verified (store.ErrConsent).
func (g *Gallery) Verify(ctx context.Context, col store.Collection, sub store.Subject, probe face.Embedding, far float64) (Verdict, error) {
	if err := g.checkProbe(col, probe); err != nil {
		return Verdict{}, err
	}
	if now := g.opts.Store.Now(); !sub.Consent.ExpiresAt.After(now) {
		return Verdict{}, fmt.Errorf("%w: subject %s's consent expired on %s; they cannot be verified until they consent again",
			store.ErrConsent, sub.ID, sub.Consent.ExpiresAt.Format(time.RFC3339))
	}
	thr, err := g.opts.Engine.Threshold(far)
	if err != nil {
		return Verdict{}, fmt.Errorf("%w: %w", ErrPolicy, err)
	}
	c, err := g.collection(col.ID)
	if err != nil {
		return Verdict{}, err
	}
	v := Verdict{Similarity: -1, Threshold: thr, FAR: far}
	if sc, ok := c.subjectScore(g.opts.Scoring, probe.Vector, sub.ID); ok && !math.IsInf(float64(sc), 0) {
		v.Similarity = sc
	}
	v.Match = Matched(v.Similarity, thr)
	return v, nil
}
