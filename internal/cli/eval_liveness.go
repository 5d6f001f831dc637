package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/detect"
	"github.com/mienhq/mien/liveness"
)

// livenessReport is what `mien eval liveness` prints as JSON.
type livenessReport struct {
	Pack      string           `json:"pack"`
	Detector  string           `json:"detector"`
	Threshold float32          `json:"threshold"`
	From      string           `json:"threshold_from"`
	BonaFide  setReport        `json:"bona_fide"`
	Attacks   []setReport      `json:"attack_species"`
	APCER     float64          `json:"apcer"`     // all attacks pooled
	APCERMax  float64          `json:"apcer_max"` // worst species (ISO/IEC 30107-3 reports the maximum)
	BPCER     float64          `json:"bpcer"`
	Chosen    *chosenThreshold `json:"chosen,omitempty"`
	Seconds   float64          `json:"seconds"`
}

// setReport is one set (bona fide, or one attack species = one sub-directory).
type setReport struct {
	Name   string   `json:"name"`
	Files  int      `json:"files"`
	Scored int      `json:"scored"`
	NoFace []string `json:"no_face,omitempty"`
	// Error is APCER for an attack species, BPCER for the bona fide set.
	Error  float64   `json:"error"`
	scores []float32 // of the scored files
}

// chosenThreshold is the threshold --choose-bpcer picks on this set.
type chosenThreshold struct {
	TargetBPCER float64 `json:"target_bpcer"`
	Threshold   float32 `json:"threshold"`
	BPCER       float64 `json:"bpcer"`
	APCER       float64 `json:"apcer"`
	APCERMax    float64 `json:"apcer_max"`
}

func runEvalLiveness(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "eval liveness", "--bona-fide DIR --attack DIR [flags]",
		"Passive anti-spoofing error rates (ISO/IEC 30107-3): APCER per attack species (each sub-directory of --attack)\n"+
			"and BPCER at the pack's calibrated liveness threshold. Scores the face nearest each image's centre.")
	var ef engineFlags
	ef.register(fs)
	bona := fs.String("bona-fide", "", "directory of bona fide (live) photos, searched recursively")
	attack := fs.String("attack", "", "directory of attack photos; each sub-directory is one attack species")
	thr := fs.Float64("threshold", 0, "decide at this threshold instead of the pack's calibrated one")
	choose := fs.Float64("choose-bpcer", 0, "also print the highest threshold whose BPCER on this set is at most this (for calibration)")
	scoresOut := fs.String("scores", "", "write every file's score to this TSV file (set, species, file, score)")
	jsonOut := fs.String("json", "", "write the report as JSON to this file")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *bona == "" || *attack == "" || *thr < 0 || *thr >= 1 || *choose < 0 || *choose >= 1 {
		fs.Usage()
		return usageError{fmt.Errorf("eval liveness: --bona-fide and --attack are required; --threshold and --choose-bpcer must be in [0, 1)")}
	}
	sets, err := livenessSets(*bona, *attack)
	if err != nil {
		return err
	}
	ef.liveness = *thr
	eng, err := openEngine(env, ef)
	if err != nil {
		return err
	}
	defer eng.Close()
	start := time.Now()
	rep := livenessReport{Pack: eng.Pack().Manifest.Name, Detector: eng.DetectorModel().ID}
	var lines []string
	for i := range sets {
		l, err := scoreSet(ctx, env, eng, &sets[i])
		if err != nil {
			return err
		}
		lines = append(lines, l...)
	}
	if err := rep.decide(eng, sets, float32(*thr), *choose); err != nil {
		return err
	}
	rep.Seconds = time.Since(start).Seconds()
	printLiveness(env, rep)
	if *scoresOut != "" {
		if err := os.WriteFile(*scoresOut, []byte(strings.Join(lines, "")), 0o644); err != nil {
			return err
		}
	}
	if *jsonOut != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		return os.WriteFile(*jsonOut, append(b, '\n'), 0o644)
	}
	return nil
}

// livenessSets lists the bona fide set and one attack set per species.
func livenessSets(bona, attack string) ([]setReport, error) {
	b, err := imageFiles(bona)
	if err != nil {
		return nil, err
	}
	a, err := imageFiles(attack)
	if err != nil {
		return nil, err
	}
	if len(b) == 0 || len(a) == 0 {
		return nil, fmt.Errorf("eval liveness: no images in %s or %s", bona, attack)
	}
	sets := []setReport{{Name: "bona-fide"}}
	files := [][]string{b}
	species := map[string]int{}
	for _, f := range a {
		rel, _ := filepath.Rel(attack, f)
		name := "attack"
		if i := strings.IndexRune(rel, filepath.Separator); i > 0 {
			name = rel[:i]
		}
		k, ok := species[name]
		if !ok {
			k = len(sets)
			species[name] = k
			sets = append(sets, setReport{Name: name})
			files = append(files, nil)
		}
		files[k] = append(files[k], f)
	}
	for i := range sets {
		sets[i].Files = len(files[i])
		sets[i].NoFace = files[i] // the files to score; scoreSet replaces this
	}
	return sets, nil
}

// imageFiles lists the image files under dir (following symbolic links to
// files), sorted.
func imageFiles(dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch strings.ToLower(filepath.Ext(p)) {
		case ".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp", ".heic", ".avif":
			if !d.IsDir() {
				out = append(out, p)
			}
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}

// scoreSet scores every file of s concurrently; it returns one TSV line per file.
func scoreSet(ctx context.Context, env *Env, eng *mien.Engine, s *setReport) ([]string, error) {
	files := s.NoFace
	s.NoFace = nil
	scores := make([]float32, len(files))
	found := make([]bool, len(files))
	bar := newProgress(env.Stderr, "liveness "+s.Name, len(files))
	err := eachFile(ctx, files, max(env.Config.Workers, runtime.NumCPU()), bar, func(i int) error {
		sc, ok, err := livenessCentral(ctx, eng, files[i])
		scores[i], found[i] = sc, ok
		return err
	})
	if err != nil {
		return nil, err
	}
	var lines []string
	for i, f := range files {
		if !found[i] {
			s.NoFace = append(s.NoFace, f)
			lines = append(lines, fmt.Sprintf("%s\t%s\tno-face\n", s.Name, f))
			continue
		}
		s.scores = append(s.scores, scores[i])
		lines = append(lines, fmt.Sprintf("%s\t%s\t%.5f\n", s.Name, f, scores[i]))
	}
	s.Scored = len(s.scores)
	return lines, ctx.Err()
}

// livenessCentral scores the detected face nearest the image centre; ok is
// false when no face is found.
func livenessCentral(ctx context.Context, eng *mien.Engine, path string) (float32, bool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, false, err
	}
	img, err := eng.Decode(data)
	if err != nil {
		return 0, false, err
	}
	dets, err := eng.Detect(ctx, img, detect.Options{})
	if err != nil || len(dets) == 0 {
		return 0, false, err
	}
	c := img.Bounds().Center()
	best := dets[0]
	for _, d := range dets[1:] {
		if d.Box.Center().Dist(c) < best.Box.Center().Dist(c) {
			best = d
		}
	}
	r, err := eng.Liveness(ctx, img, best)
	return r.Score, err == nil, err
}

// decide fills the error rates at the threshold (and at a chosen one).
func (rep *livenessReport) decide(eng *mien.Engine, sets []setReport, thr float32, choose float64) error {
	rep.From = "--threshold"
	if thr == 0 {
		cal := eng.Pack().Manifest.Liveness
		if cal == nil {
			return fmt.Errorf("eval liveness: pack %s has no calibrated liveness threshold; give --threshold", rep.Pack)
		}
		thr, rep.From = float32(cal.Threshold), "pack manifest: "+cal.Source
	}
	rep.Threshold = thr
	rep.BPCER, rep.APCER, rep.APCERMax = errorRates(sets, thr)
	rep.BonaFide = sets[0]
	rep.BonaFide.Error = rep.BPCER
	for _, s := range sets[1:] {
		s.Error = liveness.APCER(s.scores, thr)
		rep.Attacks = append(rep.Attacks, s)
	}
	if choose > 0 {
		c := &chosenThreshold{TargetBPCER: choose, Threshold: liveness.ThresholdAtBPCER(sets[0].scores, choose)}
		c.BPCER, c.APCER, c.APCERMax = errorRates(sets, c.Threshold)
		rep.Chosen = c
	}
	return nil
}

// errorRates returns BPCER, pooled APCER and the worst species' APCER.
func errorRates(sets []setReport, thr float32) (bpcer, apcer, apcerMax float64) {
	var all []float32
	for _, s := range sets[1:] {
		all = append(all, s.scores...)
		if a := liveness.APCER(s.scores, thr); !math.IsNaN(a) {
			apcerMax = max(apcerMax, a)
		}
	}
	return liveness.BPCER(sets[0].scores, thr), liveness.APCER(all, thr), apcerMax
}

func printLiveness(env *Env, r livenessReport) {
	w := env.Stdout
	fmt.Fprintf(w, "pack %s, detector %s, threshold %.4f (%s)\n", r.Pack, r.Detector, r.Threshold, r.From)
	fmt.Fprintf(w, "%-22s %6s %6s %8s %8s\n", "set", "files", "scored", "no face", "error")
	row := func(s setReport, label string) {
		fmt.Fprintf(w, "%-22s %6d %6d %8d %7.2f%% %s\n", s.Name, s.Files, s.Scored, len(s.NoFace), 100*s.Error, label)
	}
	row(r.BonaFide, "BPCER")
	for _, s := range r.Attacks {
		row(s, "APCER")
	}
	fmt.Fprintf(w, "APCER (all attacks pooled) %.2f%%, APCER (worst species) %.2f%%, BPCER %.2f%%\n", 100*r.APCER, 100*r.APCERMax, 100*r.BPCER)
	if c := r.Chosen; c != nil {
		fmt.Fprintf(w, "chosen on this set for BPCER <= %.2f%%: threshold %.4f -> BPCER %.2f%%, APCER %.2f%% (worst species %.2f%%)\n",
			100*c.TargetBPCER, c.Threshold, 100*c.BPCER, 100*c.APCER, 100*c.APCERMax)
	}
	fmt.Fprintf(w, "%.1f s\n", r.Seconds)
}
