package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/internal/eval"
	"github.com/mienhq/mien/models"
)

func init() {
	register(command{name: "eval", summary: "measure accuracy: eval lfw --images DIR --pairs FILE | eval liveness --bona-fide DIR --attack DIR | eval kyc DIR", run: runEval})
}

// lfwReport is what `mien eval lfw` prints as JSON.
type lfwReport struct {
	Pack           string             `json:"pack"`
	Detector       string             `json:"detector"`
	Recognizer     string             `json:"recognizer"`
	Flip           bool               `json:"flip"`
	Pairs          int                `json:"pairs"`
	Folds          int                `json:"folds"`
	Images         int                `json:"images"`
	NoFace         []string           `json:"no_face,omitempty"`
	Accuracy       float64            `json:"accuracy"`
	AccuracyStd    float64            `json:"accuracy_std"`
	FoldThresholds []float32          `json:"fold_thresholds"`
	TARAtFAR       map[string]float64 `json:"tar_at_far"`
	Impostors      int                `json:"impostor_pairs_for_calibration"`
	Calibrated     []models.Threshold `json:"calibrated_thresholds"`
	Seconds        float64            `json:"seconds"`
}

func runEval(ctx context.Context, env *Env, args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "embed":
			return runEvalEmbed(ctx, env, args[1:])
		case "calibrate":
			return runEvalCalibrate(ctx, env, args[1:])
		case "openset":
			return runEvalOpenset(ctx, env, args[1:])
		case "gate":
			return runEvalGate(ctx, env, args[1:])
		case "cameras":
			return runEvalCameras(ctx, env, args[1:])
		case "gate-spoof":
			return runEvalGateSpoof(ctx, env, args[1:])
		case "liveness":
			return runEvalLiveness(ctx, env, args[1:])
		case "liveness-sessions":
			return runEvalLivenessSessions(ctx, env, args[1:])
		case "kyc":
			return runEvalKYC(ctx, env, args[1:])
		case "search":
			return runEvalSearch(ctx, env, args[1:])
		}
	}
	if len(args) == 0 || args[0] != "lfw" {
		return usageError{fmt.Errorf("eval: usage: mien eval lfw|embed|calibrate|openset|gate|gate-spoof|cameras|liveness|liveness-sessions|kyc|search [flags] (mien eval lfw --help)")}
	}
	fs := newFlags(env, "eval lfw", "--images DIR --pairs FILE [flags]",
		"Standard LFW verification protocol: 10-fold accuracy, TAR at FAR, calibrated thresholds, ROC plot.")
	var ef engineFlags
	ef.register(fs)
	images := fs.String("images", "", "directory of LFW images (NAME/NAME_0001.jpg)")
	pairsPath := fs.String("pairs", "", "pairs file")
	folds := fs.Int("folds", 10, "number of folds in the pairs file")
	only := fs.Int("fold", -1, "evaluate only this fold (0-based) at the pack's calibrated threshold (for quick regressions)")
	far := fs.Float64("far", 1e-3, "with --fold: false-match rate of the threshold used")
	roc := fs.String("roc", "", "write the ROC curve to this PNG file")
	jsonOut := fs.String("json", "", "write the report as JSON to this file")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if *images == "" || *pairsPath == "" {
		fs.Usage()
		return usageError{fmt.Errorf("eval lfw: --images and --pairs are required")}
	}
	f, err := os.Open(*pairsPath)
	if err != nil {
		return err
	}
	pairs, err := eval.ParsePairs(f, *folds)
	f.Close()
	if err != nil {
		return err
	}
	if *only >= 0 {
		var sub []eval.Pair
		for _, p := range pairs {
			if p.Fold == *only {
				sub = append(sub, p)
			}
		}
		pairs = sub
	}
	eng, err := openEngine(env, ef)
	if err != nil {
		return err
	}
	defer eng.Close()
	start := time.Now()
	embs, noFace, err := embedAll(ctx, env, eng, *images, pairs)
	if err != nil {
		return err
	}
	scored, genuine, impostor := scorePairs(pairs, embs)
	if *only >= 0 {
		return reportFold(env, eng, scored, *only, *far)
	}
	rep := lfwReport{Pack: eng.Pack().Manifest.Name, Detector: eng.DetectorModel().ID, Recognizer: eng.ModelID(),
		Flip: env.Config.Flip && !ef.noFlip, Pairs: len(pairs), Folds: *folds, Images: len(embs), NoFace: noFace,
		TARAtFAR: map[string]float64{}}
	var accs []float64
	for _, r := range eval.CrossValidate(scored, *folds) {
		accs = append(accs, r.Accuracy)
		rep.FoldThresholds = append(rep.FoldThresholds, r.Threshold)
	}
	rep.Accuracy, rep.AccuracyStd = eval.MeanStd(accs)
	for _, far := range []float64{1e-2, 1e-3} {
		rep.TARAtFAR[fmt.Sprintf("%g", far)] = eval.TAR(genuine, eval.ThresholdAtFAR(impostor, far))
	}
	all := allImpostors(embs)
	rep.Impostors = len(all)
	for _, far := range []float64{1e-2, 1e-3, 1e-4} {
		rep.Calibrated = append(rep.Calibrated, models.Threshold{FAR: far, Cosine: eval.ThresholdAtFAR(all, far),
			Source: fmt.Sprintf("LFW, all %d cross-identity pairs of the %d pair images, flip=%v", len(all), len(embs), rep.Flip)})
	}
	rep.Seconds = time.Since(start).Seconds()
	printLFW(env, rep)
	if *roc != "" {
		var buf bytes.Buffer
		curve := eval.Curve{Label: fmt.Sprintf("%s + %s (%.2f%%)", rep.Detector, rep.Recognizer, 100*rep.Accuracy), Points: eval.ROC(genuine, impostor, 1e-3)}
		if err := eval.PlotROC(&buf, eval.ROCTitle(filepath.Base(*pairsPath), len(pairs)), []eval.Curve{curve}, 1e-3, 0.9); err != nil {
			return err
		}
		if err := os.WriteFile(*roc, buf.Bytes(), 0o644); err != nil {
			return err
		}
	}
	if *jsonOut != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		return os.WriteFile(*jsonOut, append(b, '\n'), 0o644)
	}
	return nil
}

func printLFW(env *Env, r lfwReport) {
	w := env.Stdout
	fmt.Fprintf(w, "LFW: pack %s (detector %s, recognizer %s, flip %v)\n", r.Pack, r.Detector, r.Recognizer, r.Flip)
	fmt.Fprintf(w, "  pairs %d, images %d, no face found in %d\n", r.Pairs, r.Images, len(r.NoFace))
	fmt.Fprintf(w, "  accuracy %.2f%% +- %.2f (%d-fold)\n", 100*r.Accuracy, 100*r.AccuracyStd, r.Folds)
	fmt.Fprintf(w, "  TAR %.2f%% at FAR 1e-2, %.2f%% at FAR 1e-3 (thresholds from the pairs' impostors)\n", 100*r.TARAtFAR["0.01"], 100*r.TARAtFAR["0.001"])
	fmt.Fprintf(w, "  thresholds calibrated on %d impostor pairs:", r.Impostors)
	for _, t := range r.Calibrated {
		fmt.Fprintf(w, " FAR %g -> %.4f;", t.FAR, t.Cosine)
	}
	fmt.Fprintf(w, "\n  %.0f s\n", r.Seconds)
}

// reportFold evaluates one fold at the pack's calibrated threshold.
func reportFold(env *Env, eng *mien.Engine, scored []eval.Scored, fold int, far float64) error {
	thr, err := eng.Threshold(far)
	if err != nil {
		return err
	}
	acc := eval.Accuracy(scored, thr)
	fmt.Fprintf(env.Stdout, "LFW fold %d: %d pairs, accuracy %.2f%% at the calibrated threshold %.4f (FAR %g)\n", fold, len(scored), 100*acc, thr, far)
	return writeJSON(env, map[string]any{"fold": fold, "pairs": len(scored), "accuracy": acc, "threshold": thr, "far": far})
}

// embedAll embeds the face nearest the centre of every image the pairs name.
func embedAll(ctx context.Context, env *Env, eng *mien.Engine, dir string, pairs []eval.Pair) (map[string]face.Embedding, []string, error) {
	seen := map[string]bool{}
	var files []string
	for _, p := range pairs {
		for _, f := range []string{p.A, p.B} {
			if !seen[f] {
				seen[f] = true
				files = append(files, f)
			}
		}
	}
	sort.Strings(files)
	embs := make(map[string]face.Embedding, len(files))
	var noFace []string
	bar := newProgress(env.Stderr, "embedding", len(files))
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i] = filepath.Join(dir, f)
	}
	var first error
	err := analyzeFiles(ctx, eng, paths, centralEach(eng, max(env.Config.Workers, runtime.NumCPU())), bar,
		func(i int, a *mien.Analysis, err error) {
			switch {
			case err != nil:
				if first == nil {
					first = fmt.Errorf("%s: %w", files[i], err)
				}
			case len(a.Faces) == 1:
				embs[files[i]] = a.Faces[0].Embedding
			default:
				noFace = append(noFace, files[i])
			}
		})
	if err = errors.Join(err, first); err != nil {
		return nil, nil, err
	}
	sort.Strings(noFace)
	return embs, noFace, nil
}

// centralEach analyses only the detected face closest to each image's
// centre (centralFace) on the engine's pipelined batch path.
func centralEach(eng *mien.Engine, workers int) mien.EachOptions {
	return mien.EachOptions{Workers: workers, Faces: func(ctx context.Context, img *face.Image) ([]face.Detection, error) {
		d, ok, err := centralFace(ctx, eng, img)
		if err != nil || !ok {
			return nil, err
		}
		return []face.Detection{d}, nil
	}}
}

// scorePairs scores every pair; a pair with an image where no face was found
// scores -1 (a failure, never silently dropped).
func scorePairs(pairs []eval.Pair, embs map[string]face.Embedding) (s []eval.Scored, genuine, impostor []float32) {
	for _, p := range pairs {
		score := float32(-1)
		a, okA := embs[p.A]
		b, okB := embs[p.B]
		if okA && okB {
			score = face.Dot(a.Vector, b.Vector)
		}
		s = append(s, eval.Scored{Score: score, Same: p.Same, Fold: p.Fold})
		if p.Same {
			genuine = append(genuine, score)
		} else {
			impostor = append(impostor, score)
		}
	}
	return s, genuine, impostor
}

// allImpostors scores every pair of images of different people (the
// directory name is the identity).
func allImpostors(embs map[string]face.Embedding) []float32 {
	type item struct {
		id string
		v  []float32
	}
	var items []item
	for f, e := range embs {
		items = append(items, item{id: strings.Split(filepath.ToSlash(f), "/")[0], v: e.Vector})
	}
	sort.Slice(items, func(i, j int) bool { return items[i].id < items[j].id })
	workers := runtime.NumCPU()
	parts := make([][]float32, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(items); i += workers {
				for j := i + 1; j < len(items); j++ {
					if items[i].id != items[j].id {
						parts[w] = append(parts[w], face.Dot(items[i].v, items[j].v))
					}
				}
			}
		}()
	}
	wg.Wait()
	var all []float32
	for _, p := range parts {
		all = append(all, p...)
	}
	return all
}
