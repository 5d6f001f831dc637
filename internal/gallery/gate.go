package gallery

import (
	"context"
	"sort"

	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/gate"
	"github.com/mienhq/mien/internal/store"
)

// GateMatcher is a camera gate's matcher over one collection: the same
// open-set decision as Identify (the threshold the policy gives for the
// collection's current size, the gallery's scoring), answering with the
// best subject at or over the threshold: granted when their consent is
// live, expired_consent when it has expired, denied_unknown when nobody
// reaches the threshold. The probe is not kept.
func (g *Gallery) GateMatcher(col store.Collection, p Policy) gate.Matcher {
	return gateMatcher{g: g, col: col, p: p}
}

type gateMatcher struct {
	g   *Gallery
	col store.Collection
	p   Policy
}

func (m gateMatcher) Identify(ctx context.Context, probe face.Embedding) (gate.Match, error) {
	return m.g.IdentifyOpen(ctx, m.col, probe, m.p)
}

// IdentifyOpen decides one probe for a gate (see GateMatcher).
func (g *Gallery) IdentifyOpen(ctx context.Context, col store.Collection, probe face.Embedding, p Policy) (gate.Match, error) {
	unknown := gate.Match{Outcome: gate.DeniedUnknown}
	if err := g.checkProbe(col, probe); err != nil {
		return unknown, err
	}
	c, err := g.collection(col.ID)
	if err != nil {
		return unknown, err
	}
	d, err := g.decide(ctx, col, c, p)
	if err != nil {
		return unknown, err
	}
	best, ok, err := g.bestSubject(c, probe.Vector, d.Threshold)
	if err != nil || !ok {
		return unknown, err
	}
	live, err := g.opts.Store.LiveTemplates(ctx, col.ID, c.templatesOf(best.SubjectID))
	if err != nil {
		return unknown, err
	}
	out := gate.Match{Outcome: gate.Granted, SubjectID: best.SubjectID, Score: best.Similarity}
	if len(live) == 0 {
		out.Outcome = gate.ExpiredConsent
	}
	return out, nil
}

// bestSubject is the subject scoring highest against the probe, consent
// aside, if it reaches thr. Candidates are the subjects of the best
// templates, as rank takes them.
func (g *Gallery) bestSubject(c *collection, probe []float32, thr float32) (Candidate, bool, error) {
	n := c.idx.Len()
	if n == 0 {
		return Candidate{}, false, nil
	}
	ms, err := c.idx.Search(probe, min(n, 16))
	if err != nil {
		return Candidate{}, false, err
	}
	var cands []Candidate
	seen := map[string]bool{}
	for _, m := range ms {
		sid, ok := c.subjectOf(m.ID)
		if !ok || seen[sid] {
			continue
		}
		seen[sid] = true
		if sc, ok := c.subjectScore(g.opts.Scoring, probe, sid); ok && Matched(sc, thr) {
			cands = append(cands, Candidate{SubjectID: sid, Similarity: sc})
		}
	}
	if len(cands) == 0 {
		return Candidate{}, false, nil
	}
	sort.Slice(cands, func(i, j int) bool {
		if cands[i].Similarity != cands[j].Similarity {
			return cands[i].Similarity > cands[j].Similarity
		}
		return cands[i].SubjectID < cands[j].SubjectID
	})
	return cands[0], true, nil
}
