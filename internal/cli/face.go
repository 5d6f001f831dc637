package cli

import (
	"bytes"
	"context"
	"encoding/json"
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
	var results []imageResult
	var failed fileErrors
	drawn := false
	for _, path := range fs.Args() {
		r := imageResult{File: path, Faces: []detectedFace{}}
		img, dets, err := detectFile(ctx, eng, path, opts)
		if err != nil && ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			r.Error = err.Error()
			failed.add(env, "detect", path, err)
			results = append(results, r)
			continue
		}
		r.Width, r.Height = img.W, img.H
		for _, d := range dets {
			crop, _ := eng.Align(img, d)
			r.Faces = append(r.Faces, detectedFace{Detection: d, Quality: quality.Assess(img, d, crop)})
		}
		results = append(results, r)
		if !drawn && *draw != "" {
			if err := writeDrawing(*draw, img, dets); err != nil {
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

func detectFile(ctx context.Context, eng *mien.Engine, path string, opts detect.Options) (*face.Image, []face.Detection, error) {
	data, err := readInput(path)
	if err != nil {
		return nil, nil, err
	}
	img, err := eng.Decode(data)
	if err != nil {
		return nil, nil, err
	}
	dets, err := eng.Detect(ctx, img, opts)
	return img, dets, err
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
	// Several images in flight (--workers), answers in the order given.
	files := fs.Args()
	out := make([]result, len(files))
	errs := make([]error, len(files))
	var bar *progress
	if p := newProgress(env.Stderr, "embedding", len(files)); p.tty && len(files) > 1 {
		bar = p
	}
	err = eachFile(ctx, files, max(1, env.Config.Workers), bar, func(i int) error {
		out[i].File = files[i]
		data, err := readInput(files[i])
		if err == nil {
			out[i].Analysis, err = eng.Analyze(ctx, data, detect.Options{})
		}
		if err != nil {
			out[i].Analysis, out[i].Error, errs[i] = nil, err.Error(), err
		}
		return nil
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
	for i, path := range fs.Args() {
		data, err := readInput(path)
		if err != nil {
			return fmt.Errorf("compare: %w", err)
		}
		a, err := eng.Analyze(ctx, data, detect.Options{MaxFaces: 1})
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if len(a.Faces) == 0 {
			return fmt.Errorf("%s: %w", path, mien.ErrNoFace)
		}
		embs[i] = a.Faces[0].Embedding
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
