package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/detect"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/internal/eval"
)

// runEvalEmbed embeds the central face of every image under a directory
// once and writes the set, so calibration and open-set runs reuse it.
func runEvalEmbed(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "eval embed", "--images DIR --out FILE [flags]",
		"Embed the face nearest the centre of every image under DIR (NAME/FILE.jpg) once, for eval calibrate and eval openset.")
	var ef engineFlags
	ef.register(fs)
	images := fs.String("images", "", "directory of images, one sub-directory per person")
	out := fs.String("out", "", "write the embedding set to this file")
	list := fs.String("list", "", "embed only the images this file names (paths relative to --images, one a line)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *images == "" || *out == "" {
		fs.Usage()
		return fmt.Errorf("eval embed: --images and --out are required")
	}
	eng, err := openEngine(env, ef)
	if err != nil {
		return err
	}
	defer eng.Close()
	start := time.Now()
	only, err := readList(*list)
	if err != nil {
		return err
	}
	set, err := embedDir(ctx, env, eng, *images, ef, only)
	if err != nil {
		return err
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	if err := eval.WriteSet(w, set); err != nil {
		f.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	noFace := 0
	for _, r := range set.Records {
		if r.Vector == nil {
			noFace++
		}
	}
	fmt.Fprintf(env.Stdout, "embedded %d images (no face in %d) with %s in %.0f s -> %s\n",
		len(set.Records), noFace, set.Pipeline, time.Since(start).Seconds(), *out)
	return f.Close()
}

// pipelineName describes how an engine makes embeddings.
func pipelineName(eng *mien.Engine, ef engineFlags, flip bool) string {
	align := "detector 5 points"
	if eng.RefinesLandmarks() {
		align = "68-point model"
	}
	return fmt.Sprintf("pack %s, detector %s, alignment %s, flip %v", eng.Pack().Manifest.Name, eng.DetectorModel().ID, align, flip)
}

// readList reads a list of relative image paths (nil for no file).
func readList(path string) (map[string]bool, error) {
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	only := map[string]bool{}
	for _, l := range strings.Fields(string(b)) {
		only[filepath.ToSlash(l)] = true
	}
	if len(only) == 0 {
		return nil, fmt.Errorf("eval: %s names no images", path)
	}
	return only, nil
}

// listImages returns the image files under dir, relative, sorted.
func listImages(dir string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch strings.ToLower(filepath.Ext(p)) {
		case ".jpg", ".jpeg", ".png":
			rel, err := filepath.Rel(dir, p)
			if err != nil {
				return err
			}
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("eval: listing %s: %w", dir, err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("eval: no images under %s", dir)
	}
	sort.Strings(files)
	return files, nil
}

// embedDir embeds every image under dir with a progress bar.
func embedDir(ctx context.Context, env *Env, eng *mien.Engine, dir string, ef engineFlags, only map[string]bool) (*eval.Set, error) {
	files, err := listImages(dir)
	if err != nil {
		return nil, err
	}
	if only != nil {
		files = slices.DeleteFunc(files, func(f string) bool { return !only[f] })
	}
	set := &eval.Set{Pipeline: pipelineName(eng, ef, env.Config.Flip && !ef.noFlip), Model: eng.ModelID(),
		Records: make([]eval.Record, len(files))}
	bar := newProgress(env.Stderr, "embedding", len(files))
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i] = filepath.Join(dir, filepath.FromSlash(f))
	}
	var first error
	err = analyzeFiles(ctx, eng, paths, centralEach(eng, max(env.Config.Workers, runtime.NumCPU())), bar,
		func(i int, a *mien.Analysis, err error) {
			rec := eval.Record{Path: files[i]}
			if err != nil && first == nil {
				first = fmt.Errorf("%s: %w", files[i], err)
			}
			if err == nil && len(a.Faces) == 1 {
				f := a.Faces[0]
				q := f.Quality
				rec.Vector, rec.DetScore, rec.FaceSize, rec.Sharpness, rec.Yaw, rec.Pitch = f.Embedding.Vector, f.Score, q.FaceSize, q.Sharpness, q.Yaw, q.Pitch
			}
			set.Records[i] = rec
		})
	if err = errors.Join(err, first); err != nil {
		return nil, err
	}
	return set, nil
}

// centralFace finds the detected face closest to the image centre; when
// none is found it retries with a low score threshold.
func centralFace(ctx context.Context, eng *mien.Engine, img *face.Image) (face.Detection, bool, error) {
	dets, err := eng.Detect(ctx, img, detect.Options{})
	if err != nil {
		return face.Detection{}, false, err
	}
	if len(dets) == 0 {
		if dets, err = eng.Detect(ctx, img, detect.Options{MinScore: 0.2}); err != nil || len(dets) == 0 {
			return face.Detection{}, false, err
		}
	}
	c := img.Bounds().Center()
	best := dets[0]
	for _, d := range dets[1:] {
		if d.Box.Center().Dist(c) < best.Box.Center().Dist(c) {
			best = d
		}
	}
	return best, true, nil
}
