package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/detect"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/internal/livegen"
	"github.com/mienhq/mien/mesh"
)

// survey measures every photo of the people with at least minPhotos photos
// (at most maxPhotos each, in file order; only person's when given, only
// those named in only when it is not nil), or
// reads the measurements from cache when it exists; it writes them there
// (JSON lines).
func survey(ctx context.Context, e *mien.Engine, lfw, cache, person string, only map[string]bool, minPhotos, maxPhotos int) ([]livegen.Photo, error) {
	if f, err := os.Open(cache); err == nil {
		defer f.Close()
		var out []livegen.Photo
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			var p livegen.Photo
			if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
				return nil, fmt.Errorf("livegen: %s: %w", cache, err)
			}
			out = append(out, p)
		}
		return out, sc.Err()
	}
	m, err := e.OpenMesh(mesh.Options{})
	if err != nil {
		return nil, err
	}
	defer m.Close()
	people, err := os.ReadDir(lfw)
	if err != nil {
		return nil, err
	}
	f, err := os.Create(cache + ".tmp")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	enc := json.NewEncoder(f)
	var out []livegen.Photo
	for _, d := range people {
		files, _ := filepath.Glob(filepath.Join(lfw, d.Name(), "*.jpg"))
		if len(files) < minPhotos || person != "" && d.Name() != person || only != nil && !only[d.Name()] {
			continue
		}
		sort.Strings(files)
		for _, file := range files[:min(len(files), maxPhotos)] {
			rel, _ := filepath.Rel(lfw, file)
			p, _, ok, err := measurePhoto(ctx, e, m, lfw, livegen.Photo{Person: d.Name(), File: rel})
			if err != nil {
				return nil, err
			}
			if ok {
				out = append(out, p)
				if err := enc.Encode(p); err != nil {
					return nil, err
				}
			}
		}
		fmt.Fprintf(os.Stderr, "survey: %s, %d photos measured so far\n", d.Name(), len(out))
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	return out, os.Rename(cache+".tmp", cache)
}

// measurePhoto meshes one photo on its Side x Side canvas, as a session's
// first frame would be: the largest face, a fresh track. It also returns
// the iris model's eye contours.
func measurePhoto(ctx context.Context, e *mien.Engine, m *mesh.Model, lfw string, p livegen.Photo) (livegen.Photo, [2][16]face.Point, bool, error) {
	var eyes [2][16]face.Point
	img, err := loadCanvas(e, lfw, p)
	if err != nil {
		return p, eyes, false, err
	}
	dets, err := e.Detect(ctx, img, detect.Options{})
	if err != nil || len(dets) == 0 {
		return p, eyes, false, err
	}
	big := dets[0]
	for _, d := range dets {
		if d.Box.Area() > big.Box.Area() {
			big = d
		}
	}
	tr := mesh.NewTracker(m, mesh.TrackOptions{})
	tr.Reset(big)
	f, ok, err := tr.Step(ctx, img, 0)
	if err != nil || !ok || !f.Mesh.HasIris {
		return p, eyes, false, nil
	}
	p.Yaw, p.Pitch, p.EyeOpen, p.Mouth = f.Pose.Yaw, f.Pose.Pitch, f.Signals.EyeOpen, f.Signals.MouthOpen
	for i := range eyes {
		for k := range eyes[i] { // the first 16 contour points are the eye; the rest brow and lids
			eyes[i][k] = f.Mesh.Eyes[i].Contour[k].XY()
		}
	}
	return p, eyes, true, nil
}

// loadCanvas decodes a photo and puts it on the frame canvas.
func loadCanvas(e *mien.Engine, lfw string, p livegen.Photo) (*face.Image, error) {
	data, err := os.ReadFile(filepath.Join(lfw, p.File))
	if err != nil {
		return nil, err
	}
	img, err := e.Decode(data)
	if err != nil {
		return nil, fmt.Errorf("livegen: %s: %w", p.File, err)
	}
	c := livegen.Canvas(img, p.Mirror)
	if p.Closed != nil {
		c = livegen.CloseEyes(c, *p.Closed)
	}
	return livegen.Shifted(c, p.Shift[0], p.Shift[1]), nil
}
