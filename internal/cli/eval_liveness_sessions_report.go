package cli

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// summarise fills the per-species sets, the error rates, the decision
// times and the per-frame stage costs from the sessions.
func (r *sessionsReport) summarise() {
	idx := map[string]int{}
	var dec, decCPU []float64
	var t struct {
		frames, embeds, passives, refines, reseeds, confirms, added int
		detect, mesh, embed, check, pass                            time.Duration
		addWall, addCPU                                             time.Duration
	}
	for _, s := range r.Sessions {
		k, ok := idx[s.Species]
		if !ok {
			k = len(r.Sets)
			idx[s.Species] = k
			r.Sets = append(r.Sets, sessionSet{Species: s.Species, Live: s.Expected, Reasons: map[string]int{}})
		}
		set := &r.Sets[k]
		set.Total++
		if s.Live != s.Expected {
			set.Wrong++
		}
		if !s.Live && len(s.Reasons) > 0 {
			set.Reasons[reasonKind(s.Reasons[0])]++
		}
		dec, decCPU = append(dec, s.DecisionMS), append(decCPU, s.DecisionCPUMS)
		r.FinishMaxMS = max(r.FinishMaxMS, s.FinishMS)
		tm := s.timings
		t.frames += tm.Frames
		t.embeds += tm.Embeds
		t.refines += tm.Refines
		t.reseeds += tm.Reseeds
		t.confirms += tm.Confirms
		t.added += s.added
		t.addWall += s.addWall
		t.addCPU += s.addCPU
		t.passives += tm.PassiveFrames
		t.detect += tm.Detect
		t.mesh += tm.Mesh
		t.embed += tm.Embed
		t.check += tm.Check
		t.pass += tm.Passive
		r.Frames += s.Frames
	}
	var live, liveWrong int
	for i := range r.Sets {
		s := &r.Sets[i]
		s.Error = float64(s.Wrong) / float64(max(s.Total, 1))
		s.Upper95 = upper95(s.Wrong, s.Total)
		if s.Live {
			live, liveWrong = live+s.Total, liveWrong+s.Wrong
		} else {
			r.APCERMax = max(r.APCERMax, s.Error)
		}
	}
	r.BPCER = float64(liveWrong) / float64(max(live, 1))
	sort.Float64s(dec)
	if len(dec) > 0 {
		r.DecisionMedianMS, r.DecisionMaxMS = dec[len(dec)/2], dec[len(dec)-1]
		sort.Float64s(decCPU)
		r.DecisionCPUMedianMS, r.DecisionCPUMaxMS = decCPU[len(decCPU)/2], decCPU[len(decCPU)-1]
	}
	per := func(d time.Duration, n int) float64 { return ms(d) / float64(max(n, 1)) }
	r.PerFrameMS = map[string]float64{
		"detect": per(t.detect, t.frames), "mesh": per(t.mesh, t.frames), "check": per(t.check, t.frames),
		"embed_per_embedded_frame": per(t.embed, t.embeds), "embedded_share": float64(t.embeds) / float64(max(t.frames, 1)),
		"passive_per_scored_frame": per(t.pass, t.passives), "passive_scored_share": float64(t.passives) / float64(max(t.frames, 1)),
		"all":            per(t.detect+t.mesh+t.check+t.embed+t.pass, t.frames),
		"refined_share":  float64(t.refines) / float64(max(t.frames, 1)),
		"reseeded_share": float64(t.reseeds) / float64(max(t.frames, 1)), "confirmed_share": float64(t.confirms) / float64(max(t.frames, 1)),
		"add_frame_wall": per(t.addWall, t.added), "add_frame_cpu": per(t.addCPU, t.added),
	}
}

// upper95 is the exact (Clopper-Pearson) one-sided 95% upper bound of an
// error rate seen k times in n trials: the rate p at which k or fewer
// errors happen with probability 5% (3/n, the "rule of three", when k = 0).
func upper95(k, n int) float64 {
	if n == 0 {
		return 1
	}
	lo, hi := float64(k)/float64(n), 1.0
	for range 60 {
		p := (lo + hi) / 2
		if binomCDF(k, n, p) > 0.05 {
			lo = p
		} else {
			hi = p
		}
	}
	return hi
}

// binomCDF is P(X <= k) for X ~ Binomial(n, p).
func binomCDF(k, n int, p float64) float64 {
	var sum float64
	for i := 0; i <= k; i++ {
		lg, _ := math.Lgamma(float64(n + 1))
		l1, _ := math.Lgamma(float64(i + 1))
		l2, _ := math.Lgamma(float64(n - i + 1))
		sum += math.Exp(lg - l1 - l2 + float64(i)*math.Log(p) + float64(n-i)*math.Log1p(-p))
	}
	return sum
}

// reasonKind shortens a reason to its kind (numbers and names dropped).
func reasonKind(s string) string {
	switch {
	case strings.Contains(s, "while") && strings.Contains(s, "was asked"):
		return "another action than the one asked"
	case strings.Contains(s, "was not done"):
		return "a challenge was not done"
	case strings.Contains(s, "deadline"):
		return "the deadline passed"
	case strings.Contains(s, "another face"):
		return "another face"
	case strings.Contains(s, "flat surface"):
		return "moved as a flat surface"
	case strings.Contains(s, "never moved"):
		return "the head never moved enough"
	case strings.Contains(s, "passive"):
		return "passive score below threshold"
	case strings.Contains(s, "too compressed"):
		return "frames too compressed"
	case strings.Contains(s, "no colour"):
		return "frames without colour"
	case strings.Contains(s, "jumped"):
		return "face jumped"
	case strings.Contains(s, "faces, want"):
		return "not exactly one face"
	case strings.Contains(s, "no frame for"):
		return "a gap in the frames"
	}
	return s
}

func printSessions(env *Env, r sessionsReport) {
	w := env.Stdout
	fmt.Fprintf(w, "pack %s: %d sessions, %d frames\n", r.Pack, len(r.Sessions), r.Frames)
	fmt.Fprintf(w, "%-16s %8s %6s %9s %8s  %s\n", "species", "sessions", "wrong", "error", "95% up", "first reason of the rejected sessions")
	for _, s := range r.Sets {
		label := "APCER"
		if s.Live {
			label = "BPCER"
		}
		var rs []string
		for k, n := range s.Reasons {
			rs = append(rs, fmt.Sprintf("%s %d", k, n))
		}
		sort.Strings(rs)
		fmt.Fprintf(w, "%-16s %8d %6d %6.2f%% %s %6.1f%%  %s\n", s.Species, s.Total, s.Wrong, 100*s.Error, label, 100*s.Upper95, strings.Join(rs, "; "))
	}
	fmt.Fprintf(w, "APCER (worst species) %.2f%%, BPCER (every bona fide set) %.2f%%\n", 100*r.APCERMax, 100*r.BPCER)
	for _, s := range r.Sessions {
		if s.Live != s.Expected {
			fmt.Fprintf(w, "  wrong: %s/%s live=%v passive %.3f residual %.4f noise %.4f %q\n", s.Species, s.Name, s.Live, s.Passive, s.Residual, s.Noise, s.Reasons)
		}
	}
	p := r.PerFrameMS
	fmt.Fprintf(w, "decision after the last frame: median %.1f ms, max %.1f ms wall; CPU median %.1f ms, max %.1f ms (Finish alone at most %.2f ms)\n",
		r.DecisionMedianMS, r.DecisionMaxMS, r.DecisionCPUMedianMS, r.DecisionCPUMaxMS, r.FinishMaxMS)
	fmt.Fprintf(w, "per frame: detect %.1f ms (landmarks refined on %.0f%% of frames), mesh+iris+pose %.1f ms, embed %.1f ms on %.0f%% of frames, passive %.1f ms on %.0f%% of frames, check %.3f ms; stages %.1f ms\n",
		p["detect"], 100*p["refined_share"], p["mesh"], p["embed_per_embedded_frame"], 100*p["embedded_share"], p["passive_per_scored_frame"], 100*p["passive_scored_share"], p["check"], p["all"])
	fmt.Fprintf(w, "meshed again from the detection: on the way back from a turn or a look-up %.2f%% of frames, to confirm another head action %.2f%%\n", 100*p["reseeded_share"], 100*p["confirmed_share"])
	fmt.Fprintf(w, "AddFrame: %.1f ms wall, %.1f ms CPU a frame (the embedding runs beside the mesh, so stages overlap)\n", p["add_frame_wall"], p["add_frame_cpu"])
	fmt.Fprintf(w, "%.1f s; CPU %.1f ms per frame (decoding included)\n", r.Seconds, r.CPUPerFrameMS)
}
