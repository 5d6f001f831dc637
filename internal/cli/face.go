package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/detect"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/imageio"
	"github.com/mienhq/mien/quality"
)

func init() {
	register(command{name: "detect", summary: "find faces and landmarks in images (JSON)", run: runDetect})
	register(command{name: "embed", summary: "print face templates of images (JSON)", run: runEmbed})
	register(command{name: "compare", summary: "compare the faces of two images (exit 0 same person, 3 different)", run: runCompare})
}

type detectedFace struct {
	face.Detection
	Quality quality.Quality `json:"quality"`
}

type imageResult struct {
	File   string         `json:"file"`
	Width  int            `json:"width,omitempty"`
	Height int            `json:"height,omitempty"`
	Faces  []detectedFace `json:"faces"`
	Error  string         `json:"error,omitempty"`
}

func runDetect(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "detect", "IMAGE... [flags]", "Detect faces and five landmarks; prints one JSON document (an entry per image; an image that cannot be read has an \"error\" and is named on stderr).")
	var ef engineFlags
	ef.register(fs)
	draw := fs.String("draw", "", "write the first image read with boxes and landmarks drawn to this PNG file")
	minScore := fs.Float64("min-score", 0, "minimum detection score (default: the detector's)")
	minSize := fs.Float64("min-size", 0, "minimum face size in pixels")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return usageError{fmt.Errorf("detect: no image given")}
	}
	eng, err := openEngine(env, ef)
	if err != nil {
		return err
	}
	defer eng.Close()
	opts := detect.Options{MinScore: float32(*minScore), MinSize: float32(*minSize)}
	files := fs.Args()
	results := make([]imageResult, len(files))
	errs := make([]error, len(files))
	err = analyzeFiles(ctx, eng, files, mien.EachOptions{Workers: ef.inFlight(env), Detect: opts, NoEmbed: true}, nil,
		func(i int, a *mien.Analysis, err error) {
			results[i] = imageResult{File: files[i], Faces: []detectedFace{}}
			if err != nil {
				results[i].Error, errs[i] = err.Error(), err
				return
			}
			results[i].Width, results[i].Height = a.Width, a.Height
			for _, f := range a.Faces {
				results[i].Faces = append(results[i].Faces, detectedFace{Detection: f.Detection, Quality: f.Quality})
			}
		})
	if err != nil {
		return err // cancelled
	}
	var failed fileErrors
	drawn := false
	for i, e := range errs {
		if e != nil {
			failed.add(env, "detect", files[i], e)
		} else if !drawn && *draw != "" {
			if err := drawFile(ctx, eng, files[i], opts, *draw); err != nil {
				return fmt.Errorf("detect: --draw: %w", err)
			}
			drawn = true
		}
	}
	if err := writeJSON(env, results); err != nil {
		return err
	}
	if *draw != "" && !drawn {
		return fmt.Errorf("detect: --draw: no image could be read, nothing written to %s", *draw)
	}
	return failed.err("detect", fs.NArg())
}

// fileErrors counts the files a command could not read, naming each on
// stderr as it happens.
type fileErrors struct{ n int }

func (f *fileErrors) add(env *Env, cmd, path string, err error) {
	f.n++
	fmt.Fprintf(env.Stderr, "mien: %s: %s: %v\n", cmd, path, err)
}

// err is the command's error when some files could not be read.
func (f *fileErrors) err(cmd string, total int) error {
	if f.n == 0 {
		return nil
	}
	return fmt.Errorf("%s: %d of %s could not be read (named above)", cmd, f.n, plural(total, "file", "files"))
}

// drawFile writes one image with its detections drawn to a PNG file.
func drawFile(ctx context.Context, eng *mien.Engine, path string, opts detect.Options, out string) error {
	data, err := readInput(path)
	if err != nil {
		return err
	}
	img, err := eng.Decode(data)
	if err != nil {
		return err
	}
	dets, err := eng.Detect(ctx, img, opts)
	if err != nil {
		return err
	}
	return writeDrawing(out, img, dets)
}

func writeDrawing(path string, img *face.Image, dets []face.Detection) error {
	out := &face.Image{W: img.W, H: img.H, Pix: append([]uint8(nil), img.Pix...)}
	for _, d := range dets {
		drawDetection(out, d)
	}
	var buf bytes.Buffer
	if err := imageio.EncodePNG(&buf, out); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

func writeJSON(env *Env, v any) error {
	enc := json.NewEncoder(env.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func runEmbed(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "embed", "IMAGE... [flags]", "Print the template of every face in each image as JSON (an entry per image; an image that cannot be read has an \"error\" and is named on stderr).")
	var ef engineFlags
	ef.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return usageError{fmt.Errorf("embed: no image given")}
	}
	eng, err := openEngine(env, ef)
	if err != nil {
		return err
	}
	defer eng.Close()
	type result struct {
		File     string         `json:"file"`
		Analysis *mien.Analysis `json:"analysis,omitempty"`
		Error    string         `json:"error,omitempty"`
	}
	// The pipelined batch path (--workers images in flight), answers in the order given.
	files := fs.Args()
	out := make([]result, len(files))
	errs := make([]error, len(files))
	var bar *progress
	if p := newProgress(env.Stderr, "embedding", len(files)); p.tty && len(files) > 1 {
		bar = p
	}
	err = analyzeFiles(ctx, eng, files, mien.EachOptions{Workers: ef.inFlight(env)}, bar, func(i int, a *mien.Analysis, err error) {
		out[i] = result{File: files[i], Analysis: a}
		if err != nil {
			out[i].Error, errs[i] = err.Error(), err
		}
	})
	if err != nil {
		return err // cancelled
	}
	var failed fileErrors
	for i, e := range errs {
		if e != nil {
			failed.add(env, "embed", files[i], e)
		}
	}
	if err := writeJSON(env, out); err != nil {
		return err
	}
	return failed.err("embed", fs.NArg())
}

func runCompare(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "compare", "IMAGE_A IMAGE_B [flags]",
		"Compare the largest face of two images. Exit status: 0 same person, 3 different person, 1 error.")
	var ef engineFlags
	ef.register(fs)
	far := fs.Float64("far", 1e-3, "false-match rate the decision is taken at (1e-2, 1e-3 or 1e-4)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		fs.Usage()
		return usageError{fmt.Errorf("compare: need exactly two images (%d given)", fs.NArg())}
	}
	eng, err := openEngine(env, ef)
	if err != nil {
		return err
	}
	defer eng.Close()
	thr, err := eng.Threshold(*far)
	if err != nil {
		return err
	}
	var embs [2]face.Embedding
	var errs [2]error
	var data [2][]byte
	files := fs.Args()
	for i, path := range files {
		if data[i], err = readInput(path); err != nil {
			return fmt.Errorf("compare: %w", err)
		}
	}
	err = eng.AnalyzeEach(ctx, 2, mien.EachOptions{Workers: 2, Detect: detect.Options{MaxFaces: 1}},
		func(_ context.Context, i int) ([]byte, error) { return data[i], nil },
		func(i int, a *mien.Analysis, err error) {
			switch {
			case err != nil:
				errs[i] = fmt.Errorf("%s: %w", files[i], err)
			case len(a.Faces) == 0:
				errs[i] = fmt.Errorf("%s: %w", files[i], mien.ErrNoFace)
			default:
				embs[i] = a.Faces[0].Embedding
			}
		})
	if err := errors.Join(err, errs[0], errs[1]); err != nil {
		return err
	}
	sim, err := eng.Compare(embs[0], embs[1])
	if err != nil {
		return err
	}
	same := sim >= thr
	if *asJSON {
		if err := writeJSON(env, map[string]any{"similarity": sim, "threshold": thr, "far": *far, "same_person": same, "model": eng.ModelID()}); err != nil {
			return err
		}
	} else {
		verdict := "different people"
		if same {
			verdict = "same person"
		}
		fmt.Fprintf(env.Stdout, "similarity %.4f, threshold %.4f at false-match rate %g: %s\n", sim, thr, *far, verdict)
	}
	if !same {
		return exitError{exitDiff}
	}
	return nil
}
