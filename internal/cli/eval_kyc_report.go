package cli

import (
	"fmt"
	"sort"
	"strings"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/document"
)

// kycReport is what `mien eval kyc` prints (and writes with --json).
type kycReport struct {
	Pack        string               `json:"pack"`
	FAR         float64              `json:"far"`
	NoMatchFAR  float64              `json:"no_match_far"`
	Detector    string               `json:"detector"`
	Calib       kycSplit             `json:"calib"`
	Report      kycSplit             `json:"report"`
	Calibration document.Calibration `json:"calibration"`
	Seconds     float64              `json:"seconds"`
}

// kycSplit is one split's figures.
type kycSplit struct {
	Split         string         `json:"split"`
	Documents     int            `json:"documents"`
	NotFound      int            `json:"portrait_not_found"`
	NotFoundShare float64        `json:"portrait_not_found_share"`
	Mislocated    int            `json:"portrait_found_elsewhere"`
	TilePass      int            `json:"found_by_tile_pass"`
	Ghosts        int            `json:"ghost_images_found"`
	Genuine       int            `json:"genuine_pairs"`
	Impostors     int            `json:"impostor_pairs"`
	At            []kycAt        `json:"at"`
	Live          *kycAt         `json:"live_to_live_threshold,omitempty"`
	GenuineDec    map[string]int `json:"genuine_decisions,omitempty"`
	ImpostorDec   map[string]int `json:"impostor_decisions,omitempty"`
	Reasons       map[string]int `json:"genuine_blocking_reasons,omitempty"`
	Conditions    []kycCondition `json:"conditions,omitempty"`
}

// kycAt is the outcome at one threshold.
type kycAt struct {
	FAR         float64 `json:"far"`
	Threshold   float32 `json:"threshold"`
	TAR         float64 `json:"tar"`          // of all documents (portrait not found = rejected)
	TARFound    float64 `json:"tar_found"`    // of documents whose portrait and selfie face were found
	MeasuredFAR float64 `json:"measured_far"` // on this split's impostor pairs
}

// kycCondition is one level of one photographing condition on the report split.
type kycCondition struct {
	Key          string  `json:"condition"`
	Level        string  `json:"level"`
	Documents    int     `json:"documents"`
	NotFound     int     `json:"portrait_not_found"`
	TAR          float64 `json:"tar"` // at the match threshold, of all documents
	CannotDecide float64 `json:"cannot_decide_share"`
}

// kycScores returns a split's documents, genuine scores and impostor scores
// (each document's portrait against every other person's selfie).
func kycScores(eng *mien.Engine, all []kycScored, selfies map[string]mien.SelfieFace, split string) (docs []kycScored, gen, imp []float32) {
	for _, s := range all {
		if s.doc.Split == split {
			docs = append(docs, s)
		}
	}
	for _, d := range docs {
		if d.portrait == nil {
			continue
		}
		for _, o := range docs {
			f := selfies[o.doc.Selfie].Face
			if f == nil {
				continue
			}
			c, err := eng.Compare(d.portrait.Embedding, f.Embedding)
			if err != nil {
				continue
			}
			if o.doc.Person == d.doc.Person {
				gen = append(gen, c)
			} else {
				imp = append(imp, c)
			}
		}
	}
	return docs, gen, imp
}

func kycReportOf(eng *mien.Engine, all []kycScored, selfies map[string]mien.SelfieFace, calib, report string, far, noMatch float64) (kycReport, error) {
	rep := kycReport{Pack: eng.Pack().Manifest.Name, Detector: eng.DetectorModel().ID, FAR: far, NoMatchFAR: noMatch}
	cdocs, cgen, cimp := kycScores(eng, all, selfies, calib)
	fars := []float64{far}
	if noMatch != far {
		fars = append(fars, noMatch)
	}
	if far >= 1e-3 && len(cimp) >= 100000 {
		fars = append([]float64{1e-4}, fars...)
	}
	pts, err := document.Calibrate(cimp, fars)
	if err != nil {
		return rep, fmt.Errorf("eval kyc: split %q: %w", calib, err)
	}
	rep.Calibration = document.Calibration{Recognizer: eng.ModelID(), Detector: eng.DetectorModel().ID, Points: pts}
	rep.Calib = kycSplitOf(calib, cdocs, cgen, cimp, pts)
	rep.Calibration.Source = fmt.Sprintf("mien eval kyc on the %q split of scripts/make-documents.sh (%d synthetic documents, %d genuine and %d impostor pairs; %s); reported on the disjoint %q split",
		calib, len(cdocs), len(cgen), len(cimp), eng.DetectorModel().ID, report)
	rdocs, rgen, rimp := kycScores(eng, all, selfies, report)
	rep.Report = kycSplitOf(report, rdocs, rgen, rimp, pts)
	if live, err := eng.Threshold(far); err == nil {
		rep.Report.Live = &kycAt{FAR: far, Threshold: live, TAR: document.Rate(rgen, live) * float64(len(rgen)) / float64(max(1, len(rdocs))),
			TARFound: document.Rate(rgen, live), MeasuredFAR: document.Rate(rimp, live)}
	}
	th := document.Thresholds{Calibrated: true, MatchFAR: far, NoMatchFAR: noMatch}
	for _, p := range pts {
		if p.FAR == far {
			th.Match = p.Cosine
		}
		if p.FAR == noMatch {
			th.NoMatch = p.Cosine
		}
	}
	kycDecisions(eng, &rep.Report, rdocs, selfies, th)
	return rep, nil
}

func kycSplitOf(name string, docs []kycScored, gen, imp []float32, pts []document.Point) kycSplit {
	s := kycSplit{Split: name, Documents: len(docs), Genuine: len(gen), Impostors: len(imp)}
	for _, d := range docs {
		switch {
		case d.portrait == nil:
			s.NotFound++
		case !d.located:
			s.Mislocated++
		}
		if d.portrait != nil && d.portrait.Pass == "tiles" {
			s.TilePass++
		}
		if d.ghost {
			s.Ghosts++
		}
	}
	s.NotFoundShare = float64(s.NotFound) / float64(max(1, len(docs)))
	for _, p := range pts {
		tf := document.Rate(gen, p.Cosine)
		s.At = append(s.At, kycAt{FAR: p.FAR, Threshold: p.Cosine, TARFound: tf, TAR: tf * float64(len(gen)) / float64(max(1, len(docs))),
			MeasuredFAR: document.Rate(imp, p.Cosine)})
	}
	return s
}

// kycDecisions decides every genuine pair and each document's impostor
// pair of the split, and breaks the genuine ones down by condition.
func kycDecisions(eng *mien.Engine, s *kycSplit, docs []kycScored, selfies map[string]mien.SelfieFace, th document.Thresholds) {
	s.GenuineDec, s.ImpostorDec, s.Reasons = map[string]int{}, map[string]int{}, map[string]int{}
	type acc struct{ n, notFound, match, cannot int }
	conds := map[[2]string]*acc{}
	for _, d := range docs {
		dec, score := d.decide(eng, selfies[d.doc.Selfie], th)
		s.GenuineDec[dec.Result]++
		for _, r := range dec.Reasons {
			if document.Blocking(r.Code) {
				s.Reasons[r.Code]++
			}
		}
		imp, _ := d.decide(eng, selfies[d.doc.Impostor], th)
		s.ImpostorDec[imp.Result]++
		c := d.doc.Conditions
		for _, kv := range [][2]string{{"angle", c.Angle}, {"glare", c.Glare}, {"blur", c.Blur}, {"distance", c.Distance}, {"layout", d.doc.Layout}} {
			a := conds[kv]
			if a == nil {
				a = &acc{}
				conds[kv] = a
			}
			a.n++
			if d.portrait == nil {
				a.notFound++
			}
			if score != nil && *score >= th.Match {
				a.match++
			}
			if dec.Result == document.CannotDecide {
				a.cannot++
			}
		}
	}
	for kv, a := range conds {
		s.Conditions = append(s.Conditions, kycCondition{Key: kv[0], Level: kv[1], Documents: a.n, NotFound: a.notFound,
			TAR: float64(a.match) / float64(a.n), CannotDecide: float64(a.cannot) / float64(a.n)})
	}
	sort.Slice(s.Conditions, func(i, j int) bool {
		a, b := s.Conditions[i], s.Conditions[j]
		return a.Key < b.Key || (a.Key == b.Key && a.Level < b.Level)
	})
}

func printKYC(env *Env, r kycReport) {
	w := env.Stdout
	fmt.Fprintf(w, "pack %s, detector %s, recognizer %s; %.1f s\n", r.Pack, r.Detector, r.Calibration.Recognizer, r.Seconds)
	for _, s := range []kycSplit{r.Calib, r.Report} {
		fmt.Fprintf(w, "\nsplit %s: %d documents, portrait not found %d (%.1f%%), found elsewhere %d, by the tile pass %d, ghost images seen %d\n",
			s.Split, s.Documents, s.NotFound, 100*s.NotFoundShare, s.Mislocated, s.TilePass, s.Ghosts)
		fmt.Fprintf(w, "  %d genuine pairs, %d impostor pairs\n", s.Genuine, s.Impostors)
		for _, a := range s.At {
			fmt.Fprintf(w, "  FAR %-6g threshold %.4f  TAR %.2f%% of documents (%.2f%% of those found)  measured FAR %.2g\n",
				a.FAR, a.Threshold, 100*a.TAR, 100*a.TARFound, a.MeasuredFAR)
		}
		if s.Live != nil {
			fmt.Fprintf(w, "  live-to-live threshold at FAR %g (%.4f): TAR %.2f%% of documents, measured FAR %.2g\n", s.Live.FAR, s.Live.Threshold, 100*s.Live.TAR, s.Live.MeasuredFAR)
		}
	}
	s := r.Report
	fmt.Fprintf(w, "\ndecisions on %s (match at FAR %g, no_match below FAR %g): genuine %s; impostor %s\n", s.Split, r.FAR, r.NoMatchFAR, counts(s.GenuineDec), counts(s.ImpostorDec))
	fmt.Fprintf(w, "blocking reasons on genuine pairs: %s\n", counts(s.Reasons))
	fmt.Fprintf(w, "\n%-9s %-9s %5s %9s %8s %13s\n", "CONDITION", "LEVEL", "DOCS", "NOTFOUND", "TAR", "CANNOT_DECIDE")
	for _, c := range s.Conditions {
		fmt.Fprintf(w, "%-9s %-9s %5d %9d %7.1f%% %12.1f%%\n", c.Key, c.Level, c.Documents, c.NotFound, 100*c.TAR, 100*c.CannotDecide)
	}
}

func counts(m map[string]int) string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}
