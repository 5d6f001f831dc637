package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/internal/eval"
)

// gateRow is one fusion at one frame count, over one split.
type gateRow struct {
	Seed     uint64      `json:"seed"`
	Fusion   eval.Fusion `json:"fusion"`
	Frames   int         `json:"frames"`
	Mated    int         `json:"mated_groups"`
	NonMated int         `json:"non_mated_groups"`
	Rank1    float64     `json:"rank1"`
	DIR1     float64     `json:"dir_at_fpir_1pct"`
	// At the gate's default setting: the engine's threshold at the
	// per-comparison FAR that the FPIR and the gallery size give.
	DefaultThreshold float32 `json:"default_threshold"`
	DefaultFPIR      float64 `json:"default_fpir_reached"`
	DefaultDIR       float64 `json:"default_dir"`
}

type gateReport struct {
	Pipeline    string    `json:"pipeline"`
	K           int       `json:"enrol"`
	Subjects    int       `json:"subjects"`
	Distractors int       `json:"distractors"`
	FPIR        float64   `json:"fpir_default"`
	Rows        []gateRow `json:"rows"`
}

func runEvalGate(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "eval gate", "--embeddings FILE [flags]",
		"Multi-frame open-set identification, as a camera gate decides: a gallery of LFW people (K photos each; people\n"+
			"with too few photos for a probe group enrolled as distractors), probes of up to N other photos of one person\n"+
			"fused (template: the normalised mean of the templates, as the gate does; score: each subject's mean score;\n"+
			"early: the gate's early grant, template fusion of the first 1, 2, ..., N frames each searched, the best look\n"+
			"counting), searched with 1..N frames. Prints DIR at FPIR 1% (threshold from the non-mated groups) and the FPIR and DIR\n"+
			"at the default setting (the engine's calibrated threshold for the gallery's size).")
	var ef engineFlags
	ef.register(fs)
	images := fs.String("images", "", "directory of images (LFW layout), embedded when --embeddings does not exist yet")
	embPath := fs.String("embeddings", "", "embedding set from mien eval embed")
	k := fs.Int("enrol", 1, "enrolment photos per subject")
	framesFlag := fs.String("frames", "1,3,5", "frame counts to fuse, comma-separated (the largest is the group size)")
	share := fs.Float64("share", 0.5, "share of the people with enough photos enrolled; the rest are strangers")
	seedsFlag := fs.String("seeds", "1,2,3", "seeds of the splits, comma-separated")
	maxGroups := fs.Int("max-groups", 4, "probe groups per person at most")
	fpir := fs.Float64("fpir-default", 0.01, "FPIR of the default setting")
	jsonOut := fs.String("json", "", "write the report as JSON to this file")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	frames, err1 := parseInts(*framesFlag)
	seeds, err2 := parseInts(*seedsFlag)
	if *embPath == "" && *images == "" || err1 != nil || err2 != nil || len(frames) == 0 || len(seeds) == 0 {
		fs.Usage()
		return usageError{fmt.Errorf("eval gate: --embeddings (or --images), and --frames and --seeds as lists of numbers, are required")}
	}
	eng, err := openEngine(env, ef)
	if err != nil {
		return err
	}
	defer eng.Close()
	set, err := loadOrEmbed(ctx, env, eng, ef, *images, *embPath, nil)
	if err != nil {
		return err
	}
	if set.Model != eng.ModelID() {
		return fmt.Errorf("eval gate: embeddings are of %s, the engine's recognizer is %s", set.Model, eng.ModelID())
	}
	set.Records = eval.Exclude(set.Records, eval.LFWExcluded)
	rep := gateReport{Pipeline: set.Pipeline, K: *k, FPIR: *fpir}
	for _, seed := range seeds {
		split, err := eval.SplitGroups(set.Records, eval.Identities(eval.LFWAliases),
			eval.GroupOptions{K: *k, N: slices.Max(frames), Enrol: *share, Seed: uint64(seed), MaxGroups: *maxGroups})
		if err != nil {
			return err
		}
		rep.Subjects, rep.Distractors = len(split.Subjects), split.Distractors
		rows, err := gateRows(eng, set, split, frames, uint64(seed), *fpir, len(split.Subjects)**k)
		if err != nil {
			return err
		}
		rep.Rows = append(rep.Rows, rows...)
	}
	printGate(env, rep, frames)
	if *jsonOut != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		return os.WriteFile(*jsonOut, append(b, '\n'), 0o644)
	}
	return nil
}

func gateRows(eng *mien.Engine, set *eval.Set, split *eval.GroupSplit, frames []int, seed uint64, fpir float64, photos int) ([]gateRow, error) {
	thr, err := eng.Threshold(max(eval.PerComparisonFAR(fpir, photos), mien.MinFAR))
	if err != nil {
		return nil, err
	}
	var rows []gateRow
	for _, fu := range gateFusions {
		for _, n := range frames {
			res, err := eval.SearchGroups(set.Records, split, n, fu)
			if err != nil {
				return nil, err
			}
			rows = append(rows, gateRow{Seed: seed, Fusion: fu, Frames: n, Mated: len(res.Mated), NonMated: len(res.NonMated),
				Rank1: res.Rank1(), DIR1: res.DIR(res.ThresholdAtFPIR(0.01)),
				DefaultThreshold: thr, DefaultFPIR: res.FPIR(thr), DefaultDIR: res.DIR(thr)})
		}
	}
	return rows, nil
}

func printGate(env *Env, r gateReport, frames []int) {
	w := env.Stdout
	fmt.Fprintf(w, "multi-frame open-set identification (camera gate): %s\n", r.Pipeline)
	fmt.Fprintf(w, "  gallery: %d subjects with %d photo(s) each (%d of them distractors without probes); default FPIR %g\n",
		r.Subjects, r.K, r.Distractors, r.FPIR)
	fmt.Fprintf(w, "  %-4s %-8s %6s %7s %8s %7s %11s | default: %-9s %-12s %s\n", "seed", "fusion", "frames", "mated", "strangers",
		"rank-1", "DIR@FPIR1%", "threshold", "FPIR reached", "DIR")
	type key struct {
		fu eval.Fusion
		n  int
	}
	mean := map[key]*[3]float64{}
	for _, x := range r.Rows {
		fmt.Fprintf(w, "  %-4d %-8s %6d %7d %8d %6.2f%% %10.2f%% | %-18.4f %-12s %.2f%%\n", x.Seed, x.Fusion, x.Frames, x.Mated, x.NonMated,
			100*x.Rank1, 100*x.DIR1, x.DefaultThreshold, fmt.Sprintf("%.2f%%", 100*x.DefaultFPIR), 100*x.DefaultDIR)
		k := key{x.Fusion, x.Frames}
		if mean[k] == nil {
			mean[k] = &[3]float64{}
		}
		mean[k][0] += x.DIR1
		mean[k][1] += x.DefaultFPIR
		mean[k][2] += x.DefaultDIR
	}
	seeds := float64(len(r.Rows)) / float64(len(gateFusions)*len(frames))
	for _, fu := range gateFusions {
		for _, n := range frames {
			m := mean[key{fu, n}]
			fmt.Fprintf(w, "  mean %-8s %2d frame(s): DIR@FPIR1%% %.2f%%; default setting: FPIR %.2f%%, DIR %.2f%%\n",
				fu, n, 100*m[0]/seeds, 100*m[1]/seeds, 100*m[2]/seeds)
		}
	}
}

// gateFusions are the fusions eval gate compares.
var gateFusions = []eval.Fusion{eval.FuseTemplates, eval.FuseScores, eval.FuseEarly}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q is not a positive number", f)
		}
		out = append(out, n)
	}
	return out, nil
}
