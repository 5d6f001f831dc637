package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/gate"
	"github.com/mienhq/mien/internal/livegen"
	"github.com/mienhq/mien/video"
)

// gateSpoofSpecies are the sequences a door camera meets whose only
// defence is the passive score: the live person, prints held up, a
// recorded pass on a screen. (A digital photo injected as frames, or held
// still on no medium, is the bona fide rest photo's own pixels: no passive
// model can tell it, and a challenge session exists for that.)
var gateSpoofSpecies = []string{livegen.BonaFide, livegen.BonaFideWarp, livegen.PrintFlip, livegen.PrintFlipLowQ, livegen.ScreenReplay}

// gateSpoofReport is what `mien eval gate-spoof` prints as JSON.
type gateSpoofReport struct {
	Pack      string            `json:"pack"`
	Threshold float32           `json:"threshold"`
	Sets      []gateSpoofSet    `json:"sets"`
	Sequences []gateSpoofResult `json:"sequences"`
	// PassiveMS is the mean cost of the passive score per frame scored;
	// Scored the frames scored over the frames seen.
	PassiveMS float64 `json:"passive_ms_per_scored_frame"`
	Scored    int     `json:"frames_scored"`
	Frames    int     `json:"frames"`
	Seconds   float64 `json:"seconds"`
}

// gateSpoofSet is one species: for bona fide, Wrong counts sequences never
// granted (BPCER); for an attack, sequences granted (APCER).
type gateSpoofSet struct {
	Species string  `json:"species"`
	Live    bool    `json:"expected_live"`
	Total   int     `json:"sequences"`
	Wrong   int     `json:"wrong"`
	Error   float64 `json:"error"`
	Upper95 float64 `json:"upper95"`
}

// gateSpoofResult is one sequence at the gate.
type gateSpoofResult struct {
	Name     string    `json:"name"`
	Species  string    `json:"species"`
	Expected bool      `json:"expected_live"`
	Granted  bool      `json:"granted"`          // granted at any point
	First    string    `json:"first_decision"`   // the first decision's outcome ("" : none)
	Lives    []float32 `json:"live_medians"`     // each decision's median passive score
	At       float64   `json:"first_decision_s"` // seconds from the first frame
}

// grantAll is the evaluation's matcher: everyone is enrolled, so a track
// is granted exactly when the gate's anti-spoofing lets it be identified.
type grantAll struct{}

func (grantAll) Identify(context.Context, face.Embedding) (gate.Match, error) {
	return gate.Match{Outcome: gate.Granted, SubjectID: "enrolled", Score: 1}, nil
}

// timedEngine is the engine as the gate pipeline sees it, with the passive
// score timed and the threshold the evaluation decides at.
type timedEngine struct {
	*mien.Engine
	thr float32
	n   int
	d   time.Duration
}

func (t *timedEngine) PassiveScore(ctx context.Context, img *face.Image, d face.Detection) (float32, bool, error) {
	t0 := time.Now()
	s, grey, err := t.Engine.PassiveScore(ctx, img, d)
	t.n, t.d = t.n+1, t.d+time.Since(t0)
	return s, grey, err
}

func (t *timedEngine) LivenessThreshold() (float32, error) { return t.thr, nil }

// sliceSource feeds decoded frames to the watch pipe.
type sliceSource []*face.Image

func (s sliceSource) Each(ctx context.Context, fn func(*video.Frame) error) error {
	for i, img := range s {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(&video.Frame{Seq: uint64(i + 1), Time: time.Now(), Image: img}); err != nil {
			return err
		}
	}
	return nil
}

func (s sliceSource) Health() video.Health { return video.Health{} }

func runEvalGateSpoof(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "eval gate-spoof", "--dir DIR [flags]",
		"Anti-spoofing at the access gate (docs/cameras.md): every sequence under DIR (scripts/liveness-sessions.sh,\n"+
			"scripts/liveness-fresh.sh or scripts/liveness-clips.sh frames) of the species a door camera meets (bona fide, print\n"+
			"flips, screen replays) is run through the gate's pipeline (detection, tracking, the best frames, their passive\n"+
			"scores and median) as a 10 fps camera, with everyone enrolled: a sequence is granted exactly when its frames pass\n"+
			"the gate's anti-spoofing. Prints BPCER (bona fide never granted) and APCER (attacks granted at any point) with\n"+
			"set sizes and one-sided 95% upper bounds.")
	var ef engineFlags
	ef.register(fs)
	dir := fs.String("dir", "", "directory of sequences (each a folder of frames with a truth.json)")
	jsonOut := fs.String("json", "", "write the report, with every sequence's decisions, as JSON to this file")
	threshold := fs.Float64("threshold", 0, "decide at this passive threshold instead of the pack's calibrated one")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *dir == "" || *threshold < 0 || *threshold >= 1 {
		fs.Usage()
		return usageError{errors.New("eval gate-spoof: --dir is required; --threshold must be in [0, 1)")}
	}
	truths, err := readTruths(*dir)
	if err != nil {
		return err
	}
	truths = slices.DeleteFunc(truths, func(t truthDir) bool { return !slices.Contains(gateSpoofSpecies, t.Species) })
	if len(truths) == 0 {
		return fmt.Errorf("eval gate-spoof: no sequence under %s is of %s", *dir, strings.Join(gateSpoofSpecies, ", "))
	}
	eng, err := openEngine(env, ef)
	if err != nil {
		return err
	}
	defer eng.Close()
	thr, err := eng.LivenessThreshold()
	if err != nil {
		return fmt.Errorf("eval gate-spoof: %w", err)
	}
	if *threshold > 0 {
		thr = float32(*threshold)
	}
	rep := gateSpoofReport{Pack: eng.Pack().Manifest.Name, Threshold: thr}
	te := &timedEngine{Engine: eng, thr: thr}
	start := time.Now()
	bar := newProgress(env.Stderr, "gate sequences", len(truths))
	for _, t := range truths {
		r, n, err := gateSequence(ctx, te, t)
		if err != nil {
			return fmt.Errorf("eval gate-spoof: %s/%s: %w", t.Species, t.Name, err)
		}
		rep.Sequences = append(rep.Sequences, r)
		rep.Frames += n
		bar.Add(1)
	}
	bar.Finish()
	rep.Seconds = time.Since(start).Seconds()
	rep.Scored = te.n
	if te.n > 0 {
		rep.PassiveMS = ms(te.d) / float64(te.n)
	}
	rep.summarise()
	for _, s := range rep.Sets {
		what := "granted (APCER)"
		if s.Live {
			what = "never granted (BPCER)"
		}
		fmt.Fprintf(env.Stdout, "%-24s %4d sequences  %4d %s  %5.1f%%  (95%% upper bound %.1f%%)\n", s.Species, s.Total, s.Wrong, what, 100*s.Error, 100*s.Upper95)
	}
	fmt.Fprintf(env.Stdout, "threshold %.4f (pack %s); passive %.1f ms on %d of %d frames; %.0f s\n", thr, rep.Pack, rep.PassiveMS, rep.Scored, rep.Frames, rep.Seconds)
	if *jsonOut != "" {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		return os.WriteFile(*jsonOut, append(b, '\n'), 0o644)
	}
	return nil
}

// gateSequence runs one sequence's frames through the gate pipeline, with
// anti-spoofing on and everyone enrolled.
func gateSequence(ctx context.Context, eng *timedEngine, t truthDir) (gateSpoofResult, int, error) {
	r := gateSpoofResult{Name: t.Name, Species: t.Species, Expected: t.Live, At: -1}
	var frames sliceSource
	for _, f := range t.Frames {
		data, err := os.ReadFile(filepath.Join(t.dir, f.File))
		if err != nil {
			return r, 0, err
		}
		img, err := eng.Decode(data)
		if err != nil {
			return r, 0, fmt.Errorf("%s: %w", f.File, err)
		}
		if len(frames) > 0 && (img.W != frames[0].W || img.H != frames[0].H) {
			return r, 0, fmt.Errorf("%s: %dx%d, the sequence's first frame %dx%d", f.File, img.W, img.H, frames[0].W, frames[0].H)
		}
		frames = append(frames, img)
	}
	wf := watchFlags{fps: 10, width: frames[0].W, height: frames[0].H, minSize: 32, frames: 3, minFace: 64, camera: "eval", antiSpoof: true}
	_, err := runGatePipe(ctx, frames, eng, grantAll{}, wf, func(ev watchEvent) error {
		if ev.Event != gate.Granted.String() && ev.Event != gate.DeniedNotLive.String() {
			return fmt.Errorf("the gate answered %s", ev.Event)
		}
		if r.First == "" {
			r.First, r.At = ev.Event, ev.Seconds
		}
		r.Granted = r.Granted || ev.Event == gate.Granted.String()
		r.Lives = append(r.Lives, ev.Live)
		return nil
	})
	if err != nil {
		return r, 0, err
	}
	return r, len(frames), nil
}

func (r *gateSpoofReport) summarise() {
	for _, sp := range gateSpoofSpecies {
		s := gateSpoofSet{Species: sp}
		for _, q := range r.Sequences {
			if q.Species != sp {
				continue
			}
			s.Total++
			s.Live = q.Expected
			if q.Granted != q.Expected {
				s.Wrong++
			}
		}
		if s.Total == 0 {
			continue
		}
		s.Error, s.Upper95 = float64(s.Wrong)/float64(s.Total), upper95(s.Wrong, s.Total)
		r.Sets = append(r.Sets, s)
	}
}
