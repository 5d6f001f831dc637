package eval

import (
	"fmt"

	"github.com/mienhq/mien/face"
)

// GroupSplit is an open-set protocol for multi-frame probes, as a camera
// gate sees a person: enrolled subjects with K photos each, and groups of
// up to N other photos of one person, searched fused. Mated groups show an
// enrolled subject, non-mated groups a person left out. People with fewer
// photos than a group needs are enrolled as distractors (subjects without
// probes), so the gallery is as large as the set allows.
type GroupSplit struct {
	Subjects []Subject
	Mated    []Group
	NonMated []Group
	// Distractors counts the subjects enrolled without probes.
	Distractors int
}

// Group is one multi-frame probe: records of one person, in order (the
// first n are fused for n frames), and the subject they show (-1: none).
type Group struct {
	Recs    []int
	Subject int
}

// GroupOptions choose a GroupSplit.
type GroupOptions struct {
	K     int     // enrolment photos per subject
	N     int     // photos per group (the most frames fused)
	Enrol float64 // share of the people with K+N photos or more enrolled
	Seed  uint64
	// MaxGroups caps the groups per person, so the few people with
	// hundreds of photos do not dominate (default 4).
	MaxGroups int
}

// SplitGroups builds a GroupSplit: people with at least K+N photos are
// enrolled (a seeded share of them) with mated groups from their other
// photos; those left out with at least N photos give non-mated groups; the
// rest, with K photos or more, are enrolled as distractors.
func SplitGroups(recs []Record, identity func(Record) string, o GroupOptions) (*GroupSplit, error) {
	if o.MaxGroups == 0 {
		o.MaxGroups = 4
	}
	if o.K < 1 || o.N < 1 || o.Enrol <= 0 || o.Enrol > 1 || o.MaxGroups < 1 {
		return nil, fmt.Errorf("eval: group split needs K >= 1, N >= 1, an enrolled share in (0, 1] and MaxGroups >= 1")
	}
	names, people := peopleOf(recs, identity, o.Seed)
	s := &GroupSplit{}
	groups := func(photos []int, subj int) []Group {
		var out []Group
		for i := 0; i+o.N <= len(photos) && len(out) < o.MaxGroups; i += o.N {
			out = append(out, Group{Recs: photos[i : i+o.N], Subject: subj})
		}
		return out
	}
	for _, name := range names {
		photos := people[name]
		switch {
		case len(photos) >= o.K+o.N && seeded(o.Seed, "enrol:"+name) < o.Enrol:
			subj := len(s.Subjects)
			s.Subjects = append(s.Subjects, Subject{Name: name, Photos: photos[:o.K]})
			s.Mated = append(s.Mated, groups(photos[o.K:], subj)...)
		case len(photos) >= o.K+o.N:
			s.NonMated = append(s.NonMated, groups(photos, -1)...)
		case len(photos) >= o.K:
			s.Subjects = append(s.Subjects, Subject{Name: name, Photos: photos[:o.K]})
			s.Distractors++
		}
	}
	if len(s.Mated) == 0 || len(s.NonMated) == 0 {
		return nil, fmt.Errorf("eval: group split is empty (%d subjects, %d mated, %d non-mated groups)", len(s.Subjects), len(s.Mated), len(s.NonMated))
	}
	return s, nil
}

// Fusion is how the frames of a group are combined.
type Fusion string

// Fusions compared by mien eval gate.
const (
	// FuseTemplates searches once with the normalised mean of the frames'
	// templates (what the gate does).
	FuseTemplates Fusion = "template"
	// FuseScores searches each frame and averages each subject's scores.
	FuseScores Fusion = "score"
	// FuseEarly is the gate's early grant: template fusion of the first 1,
	// 2, ..., n frames, each searched; a group scores its best look (a
	// stranger is granted if any look passes). The subject is the best
	// look's, which approximates "the first look to pass" for mated groups.
	FuseEarly Fusion = "early"
)

// SearchGroups searches every group of the split with its first n frames
// fused, against a gallery of the subjects' mean templates.
func SearchGroups(recs []Record, s *GroupSplit, n int, fu Fusion) (*Result, error) {
	sp := &Split{Subjects: s.Subjects}
	g, err := buildGallery(recs, sp, ScoreMean)
	if err != nil {
		return nil, err
	}
	r := &Result{Comparisons: len(g.vecs)}
	scores, sum := make([]float32, g.n), make([]float32, g.n)
	fused := func(gr Group, k int) (int, float32) {
		probe := make([]float32, len(recs[gr.Recs[0]].Vector))
		for _, ri := range gr.Recs[:k] {
			for i, v := range recs[ri].Vector {
				probe[i] += v
			}
		}
		face.Normalize(probe)
		return g.best(probe, scores)
	}
	search := func(gr Group) (int, float32, error) {
		if n > len(gr.Recs) {
			return 0, 0, fmt.Errorf("eval: a group of %d photos cannot give %d frames", len(gr.Recs), n)
		}
		switch fu {
		case FuseTemplates:
			top, sc := fused(gr, n)
			return top, sc, nil
		case FuseEarly:
			top, sc := fused(gr, 1)
			for k := 2; k <= n; k++ {
				if t, s := fused(gr, k); s > sc {
					top, sc = t, s
				}
			}
			return top, sc, nil
		case FuseScores:
			clear(sum)
			for _, ri := range gr.Recs[:n] {
				g.best(recs[ri].Vector, scores)
				for i, v := range scores {
					sum[i] += v / float32(n)
				}
			}
			top := 0
			for i, v := range sum {
				if v > sum[top] {
					top = i
				}
			}
			return top, sum[top], nil
		}
		return 0, 0, fmt.Errorf("eval: unknown fusion %q", fu)
	}
	for _, gr := range s.Mated {
		top, sc, err := search(gr)
		if err != nil {
			return nil, err
		}
		r.Mated = append(r.Mated, MatedResult{Rank1: top == gr.Subject, Top: sc})
	}
	for _, gr := range s.NonMated {
		_, sc, err := search(gr)
		if err != nil {
			return nil, err
		}
		r.NonMated = append(r.NonMated, sc)
	}
	return r, nil
}
