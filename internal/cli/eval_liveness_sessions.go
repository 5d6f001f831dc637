package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/internal/livegen"
	"github.com/mienhq/mien/liveness/challenge"
)

// sessionsReport is what `mien eval liveness-sessions` prints as JSON.
type sessionsReport struct {
	Pack     string          `json:"pack"`
	Sets     []sessionSet    `json:"sets"` // bona fide first, then one per attack species
	APCERMax float64         `json:"apcer_max"`
	BPCER    float64         `json:"bpcer"` // over every bona fide set
	Sessions []sessionResult `json:"sessions"`
	// Decision is the time from a session's last frame arriving to its
	// verdict (that frame's measurement, then Finish), in ms: median and max.
	DecisionMedianMS float64 `json:"decision_median_ms"`
	DecisionMaxMS    float64 `json:"decision_max_ms"`
	// DecisionCPU is the same span's CPU time, median and max, in ms; CPUPerFrameMS
	// the whole run's CPU time over its frames (decoding included).
	DecisionCPUMedianMS float64 `json:"decision_cpu_median_ms"`
	DecisionCPUMaxMS    float64 `json:"decision_cpu_max_ms"`
	CPUPerFrameMS       float64 `json:"cpu_per_frame_ms"`
	FinishMaxMS         float64 `json:"finish_max_ms"`
	// PerFrameMS is the mean cost of each stage per frame (embed and
	// passive: per frame that ran them, with the share of frames that did).
	PerFrameMS map[string]float64 `json:"per_frame_ms"`
	Frames     int                `json:"frames"`
	Seconds    float64            `json:"seconds"`
}

// sessionSet is one species' sessions.
type sessionSet struct {
	Species string `json:"species"`
	Live    bool   `json:"expected_live"`
	Total   int    `json:"sessions"`
	Wrong   int    `json:"wrong"` // attacks accepted (APCER) or bona fide rejected (BPCER)
	// Error is APCER for an attack species, BPCER for bona fide; Upper95
	// its one-sided 95% upper bound (Clopper-Pearson).
	Error   float64 `json:"error"`
	Upper95 float64 `json:"upper95"`
	// Reasons counts the first reason of each rejected session.
	Reasons map[string]int `json:"reasons,omitempty"`
}

// sessionResult is one sequence's outcome.
type sessionResult struct {
	Name        string   `json:"name"`
	Species     string   `json:"species"`
	Expected    bool     `json:"expected_live"`
	Live        bool     `json:"live"`
	Reasons     []string `json:"reasons,omitempty"`
	Frames      int      `json:"frames"`
	Late        int      `json:"late_frames"`
	Passive     float32  `json:"passive"`
	JPEGQuality int      `json:"jpeg_quality,omitempty"`
	Residual    float64  `json:"residual"`
	Noise       float64  `json:"noise"`
	DecisionMS  float64  `json:"decision_ms"`
	FinishMS    float64  `json:"finish_ms"`
	// DecisionCPUMS is the process's CPU time (user + system, all threads)
	// over the same span: what the machine's load does not inflate.
	DecisionCPUMS float64 `json:"decision_cpu_ms"`
	// Trace is what each frame showed (with --trace): for finding why a
	// session was decided as it was.
	Trace   []frameTrace `json:"trace,omitempty"`
	timings mien.LivenessTimings
	// added frames took addWall and addCPU in AddFrame (decoding excluded)
	added           int
	addWall, addCPU time.Duration
}

// frameTrace is one frame's ground truth and measurement.
type frameTrace struct {
	File    string               `json:"file"`
	Shows   string               `json:"shows"`
	Measure mien.LivenessMeasure `json:"measure"`
	Current challenge.Kind       `json:"current,omitempty"`
	Reasons []string             `json:"reasons,omitempty"`
}

func runEvalLivenessSessions(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "eval liveness-sessions", "--dir DIR [flags]",
		"Challenge sessions decided from real frames (docs/liveness.md): every sequence under DIR (a directory of\n"+
			"frames and a truth.json, made by scripts/liveness-sessions.sh or scripts/liveness-clips.sh) is run through a liveness session with the\n"+
			"challenges, nonce and deadline of its truth.json; prints APCER per attack species and BPCER with set sizes,\n"+
			"the decision time after the last frame and the per-frame cost of each stage. Sessions run one at a time.")
	var ef engineFlags
	ef.register(fs)
	dir := fs.String("dir", "", "directory written by scripts/liveness-sessions.sh")
	passive := fs.Float64("passive-threshold", 0, "least passive score of a session, the upper quartile of its scored frames (0: the pack's calibrated one; negative: not decided on)")
	jsonOut := fs.String("json", "", "write the report, with every session's verdict and reasons, as JSON to this file")
	trace := fs.Bool("trace", false, "with --json: add each frame's measurements (pose, eyes, mouth, faces) to every session")
	strict := fs.Bool("strict", false, "exit with an error when any session's verdict is not the one its truth.json expects (scripts/liveness-clips.sh checks its clips so)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *dir == "" || *passive >= 1 {
		fs.Usage()
		return usageError{errors.New("eval liveness-sessions: --dir is required; --passive-threshold must be below 1")}
	}
	truths, err := readTruths(*dir)
	if err != nil {
		return err
	}
	eng, err := openEngine(env, ef)
	if err != nil {
		return err
	}
	defer eng.Close()
	start := time.Now()
	cpu0, _ := cpuTime()
	rep := sessionsReport{Pack: eng.Pack().Manifest.Name}
	bar := newProgress(env.Stderr, "liveness sessions", len(truths))
	for _, tr := range truths {
		r, err := runSequence(ctx, eng, tr, mien.LivenessSessionOptions{PassiveThreshold: float32(*passive)}, *trace)
		if err != nil {
			return fmt.Errorf("eval liveness-sessions: %s/%s: %w", tr.Species, tr.Name, err)
		}
		rep.Sessions = append(rep.Sessions, r)
		bar.Add(1)
	}
	bar.Finish()
	rep.summarise()
	rep.Seconds = time.Since(start).Seconds()
	cpu1, _ := cpuTime()
	rep.CPUPerFrameMS = ms(cpu1-cpu0) / float64(max(rep.Frames, 1))
	printSessions(env, rep)
	if *jsonOut != "" {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(*jsonOut, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	if *strict {
		return rep.wrong()
	}
	return nil
}

// wrong returns an error naming every session decided against its truth
// (an attack accepted, a bona fide sequence rejected), or nil.
func (r sessionsReport) wrong() error {
	var bad []string
	for _, s := range r.Sessions {
		if s.Live != s.Expected {
			verdict := "not live: " + strings.Join(s.Reasons, "; ")
			if s.Live {
				verdict = "live"
			}
			bad = append(bad, fmt.Sprintf("%s/%s %s (passive %.3f)", s.Species, s.Name, verdict, s.Passive))
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("eval liveness-sessions: %d of %d sessions decided against their truth: %s", len(bad), len(r.Sessions), strings.Join(bad, "; "))
}

// truthDir is a sequence's truth and where its frames are.
type truthDir struct {
	livegen.Truth
	dir string
}

// readTruths reads every truth.json under root (the sequences of
// scripts/liveness-sessions.sh, or the clip frames of
// scripts/liveness-clips.sh), bona fide first.
func readTruths(root string) ([]truthDir, error) {
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() == "truth.json" {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("eval liveness-sessions: %w", err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("eval liveness-sessions: no sequences under %s (make them with scripts/liveness-sessions.sh)", root)
	}
	var out []truthDir
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var t truthDir
		if err := json.Unmarshal(b, &t.Truth); err != nil {
			return nil, fmt.Errorf("eval liveness-sessions: %s: %w", f, err)
		}
		if len(t.Frames) == 0 || len(t.Challenges) == 0 {
			return nil, fmt.Errorf("eval liveness-sessions: %s has no frames or no challenges", f)
		}
		t.dir = filepath.Dir(f)
		out = append(out, t)
	}
	rank := func(s string) int {
		for i, x := range livegen.Species {
			if x == s {
				return i
			}
		}
		return len(livegen.Species)
	}
	sort.SliceStable(out, func(i, j int) bool { return rank(out[i].Species) < rank(out[j].Species) })
	return out, nil
}

// runSequence runs one sequence through a liveness session: frames at
// their ground-truth times after a fixed creation time, then Finish just
// after the last frame. Frames are decoded before they are timed.
func runSequence(ctx context.Context, eng *mien.Engine, t truthDir, opts mien.LivenessSessionOptions, trace bool) (sessionResult, error) {
	created := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	s := &challenge.Session{Nonce: t.Nonce, Challenges: t.Challenges, Created: created, Deadline: created.Add(time.Duration(t.DeadlineMS) * time.Millisecond)}
	ls, err := eng.NewLivenessSession(s, opts)
	if err != nil {
		return sessionResult{}, err
	}
	defer ls.Close()
	r := sessionResult{Name: t.Name, Species: t.Species, Expected: t.Live, Frames: len(t.Frames)}
	var lastFrame, lastCPU time.Duration
	for _, f := range t.Frames {
		data, err := os.ReadFile(filepath.Join(t.dir, f.File))
		if err != nil {
			return r, err
		}
		img, err := eng.Decode(data)
		if err != nil {
			return r, fmt.Errorf("%s: %w", f.File, err)
		}
		t0, c0 := time.Now(), cpuNow()
		p, err := ls.AddFrame(ctx, img, created.Add(time.Duration(f.MS)*time.Millisecond))
		lastFrame, lastCPU = time.Since(t0), cpuNow()-c0
		r.added, r.addWall, r.addCPU = r.added+1, r.addWall+lastFrame, r.addCPU+lastCPU
		if trace {
			r.Trace = append(r.Trace, frameTrace{File: f.File, Shows: f.Shows, Measure: p.Measure, Current: p.Current, Reasons: p.Reasons})
		}
		if errors.Is(err, challenge.ErrExpired) {
			r.Late++
			continue
		}
		if err != nil {
			return r, fmt.Errorf("%s: %w", f.File, err)
		}
	}
	end := created.Add(time.Duration(t.Frames[len(t.Frames)-1].MS+1) * time.Millisecond)
	t0, c0 := time.Now(), cpuNow()
	v, err := ls.Finish(ctx, end)
	finish, finishCPU := time.Since(t0), cpuNow()-c0
	if err != nil {
		return r, err
	}
	r.Live, r.Reasons, r.Passive, r.JPEGQuality, r.Residual, r.Noise, r.timings = v.Live, v.Reasons, v.PassiveScore, v.JPEGQuality, v.Residual, v.Noise, v.Timings
	r.DecisionMS, r.FinishMS, r.DecisionCPUMS = ms(lastFrame+finish), ms(finish), ms(lastCPU+finishCPU)
	return r, nil
}

func cpuNow() time.Duration {
	self, _ := cpuTime()
	return self
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
