// Command livegen makes the challenge-session evaluation sequences (see
// internal/livegen and scripts/liveness-sessions.sh): it measures LFW
// photos with the engine's mesh, picks people whose photos show the poses,
// eye and mouth states the challenges need, and writes one directory of
// frames and a truth.json per sequence.
//
//	go run ./scripts/livegen -lfw ../shared/data/lfw/images -out DIR
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/internal/livegen"
	"github.com/mienhq/mien/liveness/challenge"
	"github.com/mienhq/mien/models"
	"github.com/mienhq/mien/onnx"
)

func main() {
	lfw := flag.String("lfw", "../shared/data/lfw/images", "LFW image directory")
	out := flag.String("out", "", "output directory")
	packDir := flag.String("pack", "", "directory of the installed standard pack (scripts/liveness-*.sh pass $MIEN_MODELS/standard)")
	ort := flag.String("ort", "", "ONNX Runtime's shared library (scripts/liveness-*.sh pass $MIEN_ORT_LIB)")
	minPhotos := flag.Int("min-photos", 10, "survey people with at least this many photos")
	maxPhotos := flag.Int("max-photos", 40, "survey at most this many photos of a person")
	bona := flag.Int("bona-fide", 1000, "at most this many bona fide sequences (one per qualifying person)")
	attacks := flag.Int("attacks", 12, "attack sequences of each species (from the first qualifying people)")
	challenges := flag.Int("challenges", 3, "challenges a stitched-photo session asks (1-5; the server's default is 3): people whose photos show fewer actions are left out")
	person := flag.String("person", "", "clips mode: measure only this LFW person and write three camera clips' frames (scripts/liveness-clips.sh)")
	surveyOnly := flag.Bool("survey-only", false, "measure the photos and stop")
	warp := flag.Int("warp", 0, "also write this many synthetic-head sequences (livegen.BonaFideWarp), one per person of -split outside the stitched-photo set")
	warpAttacks := flag.Int("warp-attacks", 0, "attack sequences of each species made from the first synthetic heads")
	warpFrom := flag.Int("warp-from", 0, "skip the first this many synthetic heads (to make one split's sequences in parallel runs)")
	split := flag.String("split", "all", "people of the synthetic heads: dev (a third, by a hash of the name), test (the rest) or all")
	stitched := flag.Bool("stitched", true, "write the stitched-photo sequences (bona fide and attacks)")
	peopleFile := flag.String("people", "", "a file of LFW names, one a line: survey only these people and make the synthetic heads from them, in the file's order (a fresh held-out set: scripts/liveness-fresh.sh)")
	flag.BoolVar(&closeRestMouth, "close-rest-mouth", true, "start each synthetic head from its rest photo with the lips closed (livegen.CloseLips: a rest photo often shows a talking or smiling mouth)")
	probeFile := flag.String("probe", "", "write to this file, for the first -warp synthetic heads of -split, the pose read against applied and the recognizer's similarity to rest at fixed poses (JSON lines), and stop")
	flag.BoolVar(&jawToMargin, "jaw-to-margin", true, "open each synthetic head's jaw until the mesh reads its open mouth livegen.Margins' 0.25 over rest (up to 1.5 times the drop; calibrateJaw), as a subject asked to open the mouth does")
	flag.BoolVar(&headRing, "head-ring", true, "turn the synthetic head's outline, hair and ears with the face (livegen.HeadWarper), not only the face")
	flag.Parse()
	if *out == "" || *packDir == "" || *ort == "" {
		fail(fmt.Errorf("livegen: -out, -pack and -ort are required"))
	}
	if *challenges < 1 || *challenges > len(challenge.Kinds) {
		fail(fmt.Errorf("livegen: -challenges %d: 1 to %d", *challenges, len(challenge.Kinds)))
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fail(err)
	}
	e, err := openEngine(*packDir, *ort)
	if err != nil {
		fail(err)
	}
	defer e.Close()
	ctx := context.Background()
	cache := filepath.Join(*out, "survey.jsonl")
	if *person != "" {
		cache = filepath.Join(*out, "survey-"+*person+".jsonl")
	}
	order, err := readPeople(*peopleFile)
	if err != nil {
		fail(err)
	}
	var only map[string]bool
	if order != nil {
		only = map[string]bool{}
		for _, name := range order {
			only[name] = true
		}
	}
	photos, err := survey(ctx, e, *lfw, cache, *person, only, *minPhotos, *maxPhotos)
	if err != nil {
		fail(err)
	}
	fmt.Fprintf(os.Stderr, "livegen: %d photos measured\n", len(photos))
	if *surveyOnly {
		return
	}
	if *person != "" {
		if err := clips(ctx, e, *lfw, *out, photos); err != nil {
			fail(err)
		}
		return
	}
	if *split != "dev" && *split != "test" && *split != "all" {
		fail(fmt.Errorf("livegen: -split must be dev, test or all"))
	}
	if *probeFile != "" {
		if err := probe(ctx, e, *lfw, *probeFile, photos, *warp, *split, stitchedPeople(photos, order)); err != nil {
			fail(err)
		}
		return
	}
	if err := os.RemoveAll(filepath.Join(*out, "sequences")); err != nil {
		fail(err)
	}
	if *stitched {
		if err := generate(ctx, e, *lfw, *out, photos, *bona, *attacks, *challenges); err != nil {
			fail(err)
		}
	}
	if *warp > 0 {
		if err := generateWarp(ctx, e, *lfw, *out, photos, order, *warpFrom, *warp, *warpAttacks, *split, stitchedPeople(photos, order)); err != nil {
			fail(err)
		}
	}
}

// stitchedPeople are the people of the stitched-photo set, kept out of the
// synthetic heads (none when the heads' people come from a -people file).
func stitchedPeople(photos []livegen.Photo, order []string) map[string]bool {
	skip := map[string]bool{}
	if order == nil {
		for _, p := range livegen.Plan(photos, livegen.Margins{}, 3) {
			skip[p.Name] = true
		}
	}
	return skip
}

// readPeople reads a file of LFW names, one a line (blank lines and lines
// starting with # skipped); nil when file is "".
func readPeople(file string) ([]string, error) {
	if file == "" {
		return nil, nil
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("livegen: -people: %w", err)
	}
	names := []string{}
	for _, l := range strings.Split(string(data), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			names = append(names, l)
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("livegen: -people: %s names nobody", file)
	}
	return names, nil
}

func openEngine(dir, ort string) (*mien.Engine, error) {
	pack, err := models.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("livegen: the standard pack is needed (scripts/setup.sh): %w", err)
	}
	return mien.Open(pack, mien.Options{Runtime: onnx.RuntimeOptions{LibraryPath: ort}, Workers: 1})
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
