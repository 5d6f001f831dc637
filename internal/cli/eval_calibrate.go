package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/internal/eval"
	"github.com/mienhq/mien/models"
)

// calibrationReport is what `mien eval calibrate --json` writes: the
// recognizer's thresholds and tail, ready for a pack manifest.
type calibrationReport struct {
	Pipeline   string                  `json:"pipeline"`
	Model      string                  `json:"model"`
	Images     int                     `json:"images"`
	Impostors  int64                   `json:"impostor_pairs"`
	Thresholds []models.Threshold      `json:"thresholds"`
	Tail       models.Tail             `json:"tail"`
	Points     []eval.CalibrationPoint `json:"-"`
	Highest    []eval.ScoredPair       `json:"highest_impostor_pairs"`
}

func runEvalCalibrate(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "eval calibrate", "--embeddings FILE [flags]",
		"Calibrate thresholds from every pair of images of different people in an embedding set (from eval embed): a dense FAR table and a tail model.")
	embPath := fs.String("embeddings", "", "embedding set written by mien eval embed")
	aliasPath := fs.String("aliases", "", "extra aliases, NAME CANONICAL a line, on top of the built-in LFW list")
	anchor := fs.Float64("anchor-far", 1e-4, "fit the tail model to the impostor scores above the threshold at this FAR")
	minAbove := fs.Int("min-above", 50, "use the empirical threshold where at least this many impostor pairs lie above it, else the tail model")
	top := fs.Int("top", 40, "list this many of the highest-scoring pairs of different names (for review)")
	jsonOut := fs.String("json", "", "write thresholds and tail as JSON to this file")
	list := fs.String("list", "", "use only the images this file names (paths relative to the image directory, one a line)")
	pairsPath := fs.String("pairs", "", "LFW pairs file: report the share of its genuine pairs at each Similarity under the new calibration")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *embPath == "" {
		fs.Usage()
		return fmt.Errorf("eval calibrate: --embeddings is required")
	}
	set, err := loadSet(*embPath)
	if err != nil {
		return err
	}
	aliases, err := readAliases(*aliasPath)
	if err != nil {
		return err
	}
	only, err := readList(*list)
	if err != nil {
		return err
	}
	if only != nil {
		set.Records = slices.DeleteFunc(set.Records, func(r eval.Record) bool { return !only[r.Path] })
	}
	all := len(set.Records)
	set.Records = eval.Exclude(set.Records, eval.LFWExcluded)
	fmt.Fprintf(env.Stderr, "%d of %d images left out (eval.LFWExcluded: filed under the wrong name)\n", all-len(set.Records), all)
	start := time.Now()
	bar := newProgress(env.Stderr, "scoring pairs", len(set.Records))
	im := eval.ScoreImpostors(set.Records, eval.Identities(aliases), 0.15, *top, runtime.NumCPU(), func() { bar.Add(1) })
	bar.Finish()
	if err := ctx.Err(); err != nil {
		return err
	}
	tail, err := eval.FitTail(im, *anchor)
	if err != nil {
		return err
	}
	src := fmt.Sprintf("mien eval calibrate: all %d pairs of different people among %d LFW images (aliases merged, mislabelled images left out), %s", im.Total, len(set.Records), set.Pipeline)
	tail.Source = fmt.Sprintf("generalized Pareto, probability-weighted moments, fitted to the %d impostor scores above the FAR %g threshold; %s", tail.Exceedances, *anchor, src)
	rep := calibrationReport{Pipeline: set.Pipeline, Model: set.Model, Images: len(set.Records), Impostors: im.Total, Tail: tail, Highest: im.Highest,
		Points: eval.Calibrate(im, tail, eval.CalibrationFARs(), *minAbove)}
	for _, p := range rep.Points {
		how := "empirical"
		if p.FromModel {
			how = "tail model"
		}
		rep.Thresholds = append(rep.Thresholds, models.Threshold{FAR: p.FAR, Cosine: p.Used,
			Source: fmt.Sprintf("%s; mien eval calibrate, %d LFW impostor pairs", how, im.Total)})
	}
	if _, err := models.NewCalibration(rep.Thresholds, &rep.Tail); err != nil {
		return fmt.Errorf("eval calibrate: %w", err)
	}
	printCalibration(env, rep, time.Since(start))
	if *pairsPath != "" {
		if err := printGenuineSimilarity(env, set, rep, *pairsPath); err != nil {
			return err
		}
	}
	if *jsonOut == "" {
		return nil
	}
	b, _ := json.MarshalIndent(rep, "", "  ")
	return os.WriteFile(*jsonOut, append(b, '\n'), 0o644)
}

func printCalibration(env *Env, r calibrationReport, took time.Duration) {
	w := env.Stdout
	fmt.Fprintf(w, "calibration: %s\n  %d images, %d impostor pairs, %.0f s\n", r.Pipeline, r.Images, r.Impostors, took.Seconds())
	fmt.Fprintf(w, "  tail: anchor cosine %.4f at FAR %.3g, shape %.4f, scale %.5f (%d exceedances)\n", r.Tail.Cosine, r.Tail.FAR, r.Tail.Shape, r.Tail.Scale, r.Tail.Exceedances)
	fmt.Fprintf(w, "  %-8s %-10s %-10s %-10s %s\n", "FAR", "empirical", "pairs>=", "tail", "table")
	for _, p := range r.Points {
		fmt.Fprintf(w, "  %-8g %-10.4f %-10d %-10.4f %.4f\n", p.FAR, p.Empirical, p.Above, p.Model, p.Used)
	}
	fmt.Fprintf(w, "  highest-scoring pairs of different names (review: same person under two names, or a mislabelled image?):\n")
	for _, p := range r.Highest {
		fmt.Fprintf(w, "  %.4f  %s  %s\n", p.Score, p.A, p.B)
	}
}

// loadSet reads an embedding set, or several (comma-separated paths) of
// the same pipeline, e.g. two halves of a directory embedded apart.
func loadSet(paths string) (*eval.Set, error) {
	var out *eval.Set
	for _, path := range strings.Split(paths, ",") {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		set, err := eval.ReadSet(bufio.NewReader(f))
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		switch {
		case out == nil:
			out = set
		case set.Pipeline != out.Pipeline || set.Model != out.Model:
			return nil, fmt.Errorf("eval: %s holds %s embeddings of %s, not %s of %s", path, set.Model, set.Pipeline, out.Model, out.Pipeline)
		default:
			out.Records = append(out.Records, set.Records...)
		}
	}
	return out, nil
}

// printGenuineSimilarity reports how the genuine pairs of a pairs file
// fall on the Similarity scale under a calibration.
func printGenuineSimilarity(env *Env, set *eval.Set, rep calibrationReport, path string) error {
	cal, err := models.NewCalibration(rep.Thresholds, &rep.Tail)
	if err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	pairs, err := eval.ParsePairs(f, 10)
	f.Close()
	if err != nil {
		return err
	}
	vec := map[string][]float32{}
	for _, r := range set.Records {
		vec[r.Path] = r.Vector
	}
	var sims []float32
	for _, p := range pairs {
		a, b := vec[p.A], vec[p.B]
		if p.Same && a != nil && b != nil {
			sims = append(sims, models.SimilarityForFAR(cal.FAR(face.Dot(a, b))))
		}
	}
	fmt.Fprintf(env.Stdout, "  genuine pairs of %s (%d with both images): Similarity", path, len(sims))
	for _, at := range []float32{70, 80, 90, 95, 99} {
		n := 0
		for _, s := range sims {
			if s >= at {
				n++
			}
		}
		fmt.Fprintf(env.Stdout, " >=%g: %.1f%% (cosine %.4f);", at, 100*float64(n)/float64(max(len(sims), 1)), cal.Cosine(models.FARForSimilarity(at)))
	}
	fmt.Fprintln(env.Stdout)
	return nil
}
