package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"slices"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/internal/eval"
)

// opensetRow is one scoring's figures.
type opensetRow struct {
	Scoring     eval.Scoring       `json:"scoring"`
	Comparisons int                `json:"comparisons_per_search"`
	Rank1       float64            `json:"rank1"`
	DIRAtFPIR   map[string]float64 `json:"dir_at_fpir"`
	// The default setting: per-comparison FAR from the FPIR and gallery size, threshold through Engine.Threshold.
	DefaultFAR       float64 `json:"default_far"`
	DefaultThreshold float32 `json:"default_threshold"`
	DefaultFPIR      float64 `json:"default_fpir_reached"`
	DefaultDIR       float64 `json:"default_dir"`
}

type opensetReport struct {
	Pipeline    string       `json:"pipeline"`
	K           int          `json:"enrol"`
	Seed        uint64       `json:"seed"`
	EnrolShare  float64      `json:"enrolled_share"`
	Subjects    int          `json:"subjects"`
	Mated       int          `json:"mated_probes"`
	NonMated    int          `json:"non_mated_probes"`
	LeftOut     int          `json:"people_left_out"`
	NoFace      int          `json:"images_without_face"`
	FPIRDefault float64      `json:"fpir_default"`
	Rows        []opensetRow `json:"scorings"`
}

func runEvalOpenset(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "eval openset", "--images DIR [--enrol K] [flags]",
		"Open-set identification: gallery of K photos per person, mated and non-mated searches; rank-1, DIR at FPIR, the FPIR reached at the default setting, DET plot.")
	var ef engineFlags
	ef.register(fs)
	images := fs.String("images", "", "directory of images, one sub-directory per person (LFW layout)")
	embPath := fs.String("embeddings", "", "embedding set to read (from eval embed; several: A,B), or to write after embedding --images")
	k := fs.Int("enrol", 1, "enrolment photos per subject (people with more photos are enrolled)")
	share := fs.Float64("share", 0.9, "share of the people with more than K photos enrolled (by seeded hash of the name); the rest are strangers")
	perPerson := fs.Int("nonmated-per-person", 1, "photos searched per person left out")
	fpir := fs.Float64("fpir-default", 0.01, "FPIR of the default setting (the server's default identify)")
	seed := fs.Uint64("seed", 1, "seed of the split")
	aliasPath := fs.String("aliases", "", "extra aliases, NAME CANONICAL a line, on top of the built-in LFW list")
	det := fs.String("det", "", "write the DET plot to this PNG file")
	list := fs.String("list", "", "use only the images this file names (paths relative to --images, one a line)")
	jsonOut := fs.String("json", "", "write the report as JSON to this file")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *images == "" && *embPath == "" {
		fs.Usage()
		return fmt.Errorf("eval openset: --images or --embeddings is required")
	}
	eng, err := openEngine(env, ef)
	if err != nil {
		return err
	}
	defer eng.Close()
	only, err := readList(*list)
	if err != nil {
		return err
	}
	set, err := loadOrEmbed(ctx, env, eng, ef, *images, *embPath, only)
	if err != nil {
		return err
	}
	set.Records = eval.Exclude(set.Records, eval.LFWExcluded)
	if only != nil {
		set.Records = slices.DeleteFunc(set.Records, func(r eval.Record) bool { return !only[r.Path] })
	}
	if set.Model != eng.ModelID() {
		return fmt.Errorf("eval openset: embeddings are of %s, the engine's recognizer is %s", set.Model, eng.ModelID())
	}
	aliases, err := readAliases(*aliasPath)
	if err != nil {
		return err
	}
	split, err := eval.SplitOpenSet(set.Records, eval.Identities(aliases), eval.SplitOptions{K: *k, Enrol: *share, Seed: *seed, NonMatedPerPerson: *perPerson})
	if err != nil {
		return err
	}
	rep := opensetReport{Pipeline: set.Pipeline, K: *k, Seed: *seed, EnrolShare: *share, Subjects: len(split.Subjects), Mated: len(split.Mated),
		NonMated: len(split.NonMated), LeftOut: split.LeftOut, FPIRDefault: *fpir}
	for _, r := range set.Records {
		if r.Vector == nil {
			rep.NoFace++
		}
	}
	series, err := searchAll(env, eng, set, split, &rep)
	if err != nil {
		return err
	}
	printOpenset(env, rep)
	return writeOpenset(rep, series, *det, *jsonOut)
}

// writeOpenset writes the DET plot and the JSON report where asked.
func writeOpenset(rep opensetReport, series []eval.Series, det, jsonOut string) error {
	if det != "" {
		title := fmt.Sprintf("DET: %d subjects with %d photo(s) each, %d mated / %d non-mated searches (seed %d)", rep.Subjects, rep.K, rep.Mated, rep.NonMated, rep.Seed)
		var buf bytes.Buffer
		if err := eval.DETChart(title, series, 1e-3, 1e-3).WritePNG(&buf); err != nil {
			return err
		}
		if err := os.WriteFile(det, buf.Bytes(), 0o644); err != nil {
			return err
		}
	}
	if jsonOut != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		return os.WriteFile(jsonOut, append(b, '\n'), 0o644)
	}
	return nil
}

// searchAll runs the split under each scoring (one for K = 1, where they
// coincide), adds the figures to rep and returns the DET curves.
func searchAll(env *Env, eng *mien.Engine, set *eval.Set, split *eval.Split, rep *opensetReport) ([]eval.Series, error) {
	scorings := eval.Scorings
	if rep.K == 1 {
		scorings = scorings[:1]
	}
	var series []eval.Series
	for _, sc := range scorings {
		bar := newProgress(env.Stderr, "searching ("+string(sc)+")", len(split.Mated)+len(split.NonMated))
		res, err := eval.Search(set.Records, split, sc, runtime.NumCPU(), func() { bar.Add(1) })
		bar.Finish()
		if err != nil {
			return nil, err
		}
		row, err := opensetFigures(eng, res, sc, rep.FPIRDefault, len(split.Subjects)*rep.K)
		if err != nil {
			return nil, err
		}
		rep.Rows = append(rep.Rows, row)
		series = append(series, eval.DETSeries(fmt.Sprintf("%s: rank-1 %.1f%%, DIR@FPIR 1%% %.1f%%", sc, 100*row.Rank1, 100*row.DIRAtFPIR["0.01"]), res.DET()))
	}
	return series, nil
}

// opensetFigures computes one scoring's figures; the default setting's
// threshold comes from the engine's calibration, as the server's would.
// The gallery size N in far = 1-(1-fpir)^(1/N) is the number of enrolled
// photos whatever the scoring: a mean template of several photos has a
// heavier impostor tail than one photo (measured: counting subjects
// instead overshoots the FPIR).
func opensetFigures(eng *mien.Engine, res *eval.Result, sc eval.Scoring, fpir float64, photos int) (opensetRow, error) {
	row := opensetRow{Scoring: sc, Comparisons: res.Comparisons, Rank1: res.Rank1(), DIRAtFPIR: map[string]float64{}}
	for _, f := range []float64{0.1, 0.01, 0.001} {
		row.DIRAtFPIR[fmt.Sprint(f)] = res.DIR(res.ThresholdAtFPIR(f))
	}
	row.DefaultFAR = eval.PerComparisonFAR(fpir, photos)
	thr, err := eng.Threshold(max(row.DefaultFAR, mien.MinFAR))
	if err != nil {
		return row, err
	}
	row.DefaultThreshold, row.DefaultFPIR, row.DefaultDIR = thr, res.FPIR(thr), res.DIR(thr)
	return row, nil
}

func printOpenset(env *Env, r opensetReport) {
	w := env.Stdout
	fmt.Fprintf(w, "open-set identification: %s\n", r.Pipeline)
	fmt.Fprintf(w, "  split (seed %d): %d subjects enrolled with %d photo(s) each (%.0f%% of the people with more than %d, by a seeded hash of the name),\n",
		r.Seed, r.Subjects, r.K, 100*r.EnrolShare, r.K)
	fmt.Fprintf(w, "  %d mated searches (their other photos), %d non-mated searches (photos of %d people left out); %d images without a face not used\n",
		r.Mated, r.NonMated, r.LeftOut, r.NoFace)
	fmt.Fprintf(w, "  %-8s %7s %12s %11s %13s | default FPIR %g: %-9s %-9s %-12s %s\n", "scoring", "rank-1", "DIR@FPIR10%", "DIR@FPIR1%", "DIR@FPIR0.1%", r.FPIRDefault, "FAR", "threshold", "FPIR reached", "DIR")
	for _, x := range r.Rows {
		fmt.Fprintf(w, "  %-8s %6.2f%% %11.2f%% %10.2f%% %12.2f%% | %-27s %-9.3g %-9.4f %-12s %.2f%%\n", x.Scoring, 100*x.Rank1,
			100*x.DIRAtFPIR["0.1"], 100*x.DIRAtFPIR["0.01"], 100*x.DIRAtFPIR["0.001"], fmt.Sprintf("(%d templates/search)", x.Comparisons),
			x.DefaultFAR, x.DefaultThreshold, fmt.Sprintf("%.2f%%", 100*x.DefaultFPIR), 100*x.DefaultDIR)
	}
}

// loadOrEmbed reads the embedding set at embPath, or embeds the images
// (and writes the set to embPath when given).
func loadOrEmbed(ctx context.Context, env *Env, eng *mien.Engine, ef engineFlags, images, embPath string, only map[string]bool) (*eval.Set, error) {
	if embPath != "" {
		set, err := loadSet(embPath)
		if err == nil || !errors.Is(err, fs.ErrNotExist) || images == "" {
			return set, err
		}
	}
	set, err := embedDir(ctx, env, eng, images, ef, only)
	if err != nil || embPath == "" {
		return set, err
	}
	f, err := os.Create(embPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	bw := bufio.NewWriter(f)
	if err := eval.WriteSet(bw, set); err != nil {
		return nil, err
	}
	return set, bw.Flush()
}

func readAliases(path string) (map[string]string, error) {
	if path == "" {
		return eval.LFWAliases, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return eval.ParseAliases(f, eval.LFWAliases)
}
