package eval

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"sort"
)

// Split is an open-set identification protocol over an embedding set:
// enrolled subjects with their enrolment photos, mated probes (other
// photos of enrolled subjects) and non-mated probes (photos of people left
// out of the gallery). Indices point into the set's records.
type Split struct {
	Subjects []Subject
	Mated    []Probe
	NonMated []int
	// LeftOut counts the people whose photos are non-mated probes.
	LeftOut int
}

// Subject is one enrolled person.
type Subject struct {
	Name   string
	Photos []int
}

// Probe is a mated search: a record and the subject it shows.
type Probe struct{ Rec, Subject int }

// SplitOptions choose the split.
type SplitOptions struct {
	// K is the number of enrolment photos per subject; people with more
	// than K photos (with a face) can be enrolled.
	K int
	// Enrol is the share of those people enrolled (the rest, and everyone
	// with K photos or fewer, are left out).
	Enrol float64
	// Seed chooses, by a hash of the name, who is enrolled, and by a hash of
	// each file name, which photos are enrolment photos.
	Seed uint64
	// NonMatedPerPerson is how many photos of each left-out person are
	// searched (1: the share of people, not of photos).
	NonMatedPerPerson int
}

// seeded returns a hash of s under seed, uniform in [0, 1).
func seeded(seed uint64, s string) float64 {
	h := fnv.New64a()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], seed)
	h.Write(b[:])
	h.Write([]byte(s))
	x := h.Sum64() // splitmix64's finaliser: FNV alone leaves the high bits of similar names alike
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	x ^= x >> 31
	return float64(x>>11) / (1 << 53)
}

// SplitOpenSet builds the split. Records without a face are left out of
// it (the caller reports them).
func SplitOpenSet(recs []Record, identity func(Record) string, o SplitOptions) (*Split, error) {
	if o.K < 1 || o.Enrol <= 0 || o.Enrol > 1 || o.NonMatedPerPerson < 1 {
		return nil, fmt.Errorf("eval: open-set split needs K >= 1, an enrolled share in (0, 1] and at least one non-mated photo per person")
	}
	names, people := peopleOf(recs, identity, o.Seed)
	s := &Split{}
	for _, name := range names {
		photos := people[name]
		if len(photos) > o.K && seeded(o.Seed, "enrol:"+name) < o.Enrol {
			subj := len(s.Subjects)
			s.Subjects = append(s.Subjects, Subject{Name: name, Photos: photos[:o.K]})
			for _, p := range photos[o.K:] {
				s.Mated = append(s.Mated, Probe{Rec: p, Subject: subj})
			}
			continue
		}
		s.LeftOut++
		s.NonMated = append(s.NonMated, photos[:min(len(photos), o.NonMatedPerPerson)]...)
	}
	if len(s.Subjects) == 0 || len(s.Mated) == 0 || len(s.NonMated) == 0 {
		return nil, fmt.Errorf("eval: open-set split is empty (%d subjects, %d mated, %d non-mated probes)", len(s.Subjects), len(s.Mated), len(s.NonMated))
	}
	return s, nil
}

// PerComparisonFAR is the false-match rate per comparison that keeps the
// chance of a stranger matching any of n templates at fpir:
// 1 - (1-fpir)^(1/n), computed without cancellation.
func PerComparisonFAR(fpir float64, n int) float64 {
	return -math.Expm1(math.Log1p(-fpir) / float64(max(n, 1)))
}

// Result is the outcome of every search of a split under one scoring.
type Result struct {
	// Mated holds, per mated probe, whether its subject ranked first and
	// the top score.
	Mated []MatedResult
	// NonMated holds each non-mated probe's top score.
	NonMated []float32
	// Comparisons is the number of templates each search compares with.
	Comparisons int
}

// MatedResult is one mated search.
type MatedResult struct {
	Rank1 bool
	Top   float32
}

// Rank1 is the share of mated searches whose subject ranks first.
func (r *Result) Rank1() float64 {
	n := 0
	for _, m := range r.Mated {
		if m.Rank1 {
			n++
		}
	}
	return float64(n) / float64(max(len(r.Mated), 1))
}

// DIR is the detection and identification rate at thr: the share of mated
// searches whose subject ranks first with a score at or above thr.
func (r *Result) DIR(thr float32) float64 {
	n := 0
	for _, m := range r.Mated {
		if m.Rank1 && m.Top >= thr {
			n++
		}
	}
	return float64(n) / float64(max(len(r.Mated), 1))
}

// FPIR is the false-positive identification rate at thr: the share of
// non-mated searches whose top score is at or above thr.
func (r *Result) FPIR(thr float32) float64 {
	n := 0
	for _, s := range r.NonMated {
		if s >= thr {
			n++
		}
	}
	return float64(n) / float64(max(len(r.NonMated), 1))
}

// ThresholdAtFPIR is the lowest threshold at which at most a share fpir of
// non-mated searches match.
func (r *Result) ThresholdAtFPIR(fpir float64) float32 { return ThresholdAtFAR(r.NonMated, fpir) }

// DETPoint is one point of a DET curve: FPIR against the miss rate FNIR = 1 - DIR.
type DETPoint struct{ FPIR, FNIR float64 }

// DET returns the curve at every distinct non-mated score, highest first,
// down to an FPIR of 1.
func (r *Result) DET() []DETPoint {
	s := slices.Clone(r.NonMated)
	slices.Sort(s)
	slices.Reverse(s)
	var pts []DETPoint
	for i := 0; i < len(s); i++ {
		if i+1 < len(s) && s[i+1] == s[i] {
			continue
		}
		thr := s[i]
		pts = append(pts, DETPoint{FPIR: float64(i+1) / float64(len(s)), FNIR: 1 - r.DIR(thr)})
	}
	return pts
}

// DETSeries turns a DET curve into a chart series.
func DETSeries(label string, pts []DETPoint) Series {
	s := Series{Label: label}
	for _, p := range pts {
		s.X, s.Y = append(s.X, p.FPIR), append(s.Y, math.Max(p.FNIR, 1e-4))
	}
	return s
}

// DETChart is the chart of DET curves: FPIR against FNIR, both on log axes.
func DETChart(title string, series []Series, minFPIR, minFNIR float64) Chart {
	return Chart{Title: title, XLabel: "FPIR: share of non-enrolled people matched (log scale)", YLabel: "FNIR: share of enrolled people missed (log scale)",
		LogX: true, LogY: true, XMin: minFPIR, XMax: 1, YMin: minFNIR, YMax: 1, Legend: "top right", Series: series}
}

// peopleOf groups the records that have a face by identity: the names in
// order, and each person's record indices in a seeded random order.
func peopleOf(recs []Record, identity func(Record) string, seed uint64) ([]string, map[string][]int) {
	people := map[string][]int{}
	for i, r := range recs {
		if r.Vector != nil {
			people[identity(r)] = append(people[identity(r)], i)
		}
	}
	names := make([]string, 0, len(people))
	for n, photos := range people {
		names = append(names, n)
		sort.Slice(photos, func(a, b int) bool {
			return seeded(seed, recs[photos[a]].Path) < seeded(seed, recs[photos[b]].Path)
		})
	}
	sort.Strings(names)
	return names, people
}
