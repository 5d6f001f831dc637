package library

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/detect"
)

// Analyzer finds and embeds every face in an image; *mien.Engine is one.
// It must be safe for concurrent use.
type Analyzer interface {
	ModelID() string
	Analyze(ctx context.Context, data []byte, opts detect.Options) (*mien.Analysis, error)
}

// EachAnalyzer is an Analyzer with a pipelined batch path
// (*mien.Engine.AnalyzeEach); Add uses it when the engine has one.
type EachAnalyzer interface {
	Analyzer
	AnalyzeEach(ctx context.Context, n int, o mien.EachOptions, src mien.Source, sink mien.Sink) error
}

// AddOptions configure Add.
type AddOptions struct {
	// Workers is the number of photos decoded and analysed at once
	// (0 = GOMAXPROCS).
	Workers int
	// Batch is the number of photos committed to the log at once (0 = 64).
	Batch int
	// Progress, when set, is called after each file with the number done
	// and the number to do.
	Progress func(done, total int)
	// Detect holds detection filters (zero = the engine's defaults).
	Detect detect.Options
}

// SmallestFace is the smallest face, in pixels on the shorter side of its
// box, that `mien library add` indexes by default (its --smallest-face);
// passed as detect.Options MinSize and FaceSize, it also lets the detector
// run at half size on LFW-sized photos. Smaller faces group no better
// (docs/benchmarks.md, "Library indexing: the size faces need").
const SmallestFace float32 = 40

// Unreadable is a file that could not be indexed, and why.
type Unreadable struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// AddReport says what Add did.
type AddReport struct {
	Files      int          `json:"files"`      // image files found
	Unchanged  int          `json:"unchanged"`  // already indexed, skipped without reading
	Duplicates int          `json:"duplicates"` // same content as an indexed photo
	Indexed    int          `json:"indexed"`    // newly analysed photos
	Faces      int          `json:"faces"`      // faces found in them
	Grouped    int          `json:"grouped"`    // faces newly placed into people
	Unreadable []Unreadable `json:"unreadable,omitempty"`
	Seconds    float64      `json:"seconds"`
}

// imageExt lists the extensions Add reads (the content is sniffed anyway).
var imageExt = map[string]bool{".jpg": true, ".jpeg": true, ".jpe": true, ".png": true, ".webp": true, ".gif": true,
	".heic": true, ".heif": true, ".hif": true, ".avif": true}

// file is one candidate photo on disk.
type file struct {
	path        string
	size, mtime int64
}

// Add indexes every photo under root (recursively) that the library does
// not hold yet, then places the new faces into people. Files already seen
// with the same size and modification time are skipped without reading;
// others are hashed (SHA-256 of the bytes), and content already indexed is
// only recorded under its new path. Photos are committed to the log in
// batches, so a cancelled or killed run resumes where it stopped; grouping
// happens once every file is indexed. A file that cannot be read or decoded
// is listed in the report, never fatal.
func (l *Library) Add(ctx context.Context, a Analyzer, root string, o AddOptions) (*AddReport, error) {
	start := time.Now()
	if err := l.checkModel(a.ModelID()); err != nil {
		return nil, err
	}
	files, err := scan(root, l.dir)
	if err != nil {
		return nil, err
	}
	rep := &AddReport{Files: len(files)}
	var todo []file
	l.mu.Lock()
	for _, f := range files {
		if st, ok := l.paths[f.path]; ok && st.hash != "" && st.size == f.size && st.mtime == f.mtime {
			rep.Unchanged++
			if st.reason != "" && st.reason != removedReason {
				rep.Unreadable = append(rep.Unreadable, Unreadable{f.path, st.reason + " (seen before)"})
			}
			continue
		}
		todo = append(todo, f)
	}
	l.mu.Unlock()
	if err := l.index(ctx, a, todo, o, rep); err != nil {
		rep.Seconds = time.Since(start).Seconds()
		return rep, err
	}
	n, err := l.Group(ctx, false)
	rep.Grouped = n
	sort.Slice(rep.Unreadable, func(i, j int) bool { return rep.Unreadable[i].Path < rep.Unreadable[j].Path })
	rep.Seconds = time.Since(start).Seconds()
	return rep, err
}

// checkModel refuses templates of another recognizer: they are not comparable.
func (l *Library) checkModel(model string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.model == "" {
		l.model = model
		if err := l.log.add(record{Type: "meta", Format: formatTag, Model: model}); err != nil {
			return err
		}
		return l.log.commit()
	}
	if l.model != model {
		return fmt.Errorf("library: %s holds templates of recognizer %q; this engine uses %q", l.dir, l.model, model)
	}
	return nil
}

// scan lists image files under root, sorted, skipping hidden entries and
// the library's own directory.
func scan(root, self string) ([]file, error) {
	root, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("library: %w", err)
	}
	selfAbs, _ := filepath.Abs(self)
	var out []file
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == root {
				return err
			}
			return nil // an unreadable directory below root is skipped
		}
		name := d.Name()
		if p != root && strings.HasPrefix(name, ".") || p == selfAbs {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() || !imageExt[strings.ToLower(filepath.Ext(name))] {
			return nil
		}
		info, err := d.Info()
		if err == nil && info.Mode()&fs.ModeSymlink != 0 {
			info, err = os.Stat(p) // a link to a file is followed (links to directories are not walked)
		}
		if err != nil || !info.Mode().IsRegular() {
			return nil
		}
		out = append(out, file{path: p, size: info.Size(), mtime: info.ModTime().UnixNano()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("library: scanning %s: %w", root, err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path < out[j].path })
	return out, nil
}

// index analyses files on o.Workers goroutines and commits the records in
// batches. On cancellation the finished photos are committed first.
func (l *Library) index(ctx context.Context, a Analyzer, todo []file, o AddOptions, rep *AddReport) error {
	workers := o.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	batch := o.Batch
	if batch <= 0 {
		batch = 64
	}
	if ea, ok := a.(EachAnalyzer); ok {
		return l.indexEach(ctx, ea, todo, workers, batch, o, rep)
	}
	jobs := make(chan file)
	results := make(chan record, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range jobs {
				results <- l.indexFile(ctx, a, f, o.Detect)
			}
		}()
	}
	go func() {
		defer close(jobs)
		for _, f := range todo {
			select {
			case jobs <- f:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(results) }()
	var pending int
	var werr error
	done := 0
	for r := range results {
		if r.Type == "" { // cancelled mid-file: nothing to record
			continue
		}
		if werr == nil {
			werr = l.record(r, rep)
		}
		if pending++; pending >= batch && werr == nil {
			werr = l.commit()
			pending = 0
		}
		done++
		if o.Progress != nil {
			o.Progress(done, len(todo))
		}
	}
	if werr == nil {
		werr = l.commit()
	}
	return errors.Join(werr, ctx.Err())
}

func (l *Library) commit() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.log.commit()
}

// record buffers one result and applies it to the in-memory state.
func (l *Library) record(r record, rep *AddReport) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.version++
	if r.Type == "photo" {
		if _, dup := l.photos[r.Hash]; dup { // the same bytes twice in this run
			r = record{Type: "path", Hash: r.Hash, Path: r.Path, Size: r.Size, MTime: r.MTime}
		}
	}
	switch r.Type {
	case "photo":
		rep.Indexed++
		rep.Faces += len(r.Faces)
	case "path":
		rep.Duplicates++
	case "error":
		rep.Unreadable = append(rep.Unreadable, Unreadable{r.Path, r.Reason})
	}
	if err := l.log.add(r); err != nil {
		return err
	}
	return l.apply(r)
}

// indexFile reads, hashes and analyses one file. It returns a zero record
// when ctx was cancelled before the file was done.
func (l *Library) indexFile(ctx context.Context, a Analyzer, f file, d detect.Options) record {
	if ctx.Err() != nil {
		return record{}
	}
	data, err := os.ReadFile(f.path)
	if err != nil {
		// not remembered by hash: a file that cannot be read is retried
		return record{Type: "error", Path: f.path, Reason: err.Error()}
	}
	sum := sha256.Sum256(data)
	h := hex.EncodeToString(sum[:])
	base := record{Path: f.path, Size: f.size, MTime: f.mtime, Hash: h}
	l.mu.Lock()
	_, known := l.photos[h]
	l.mu.Unlock()
	if known {
		base.Type = "path"
		return base
	}
	an, err := a.Analyze(ctx, data, d)
	if err != nil {
		if ctx.Err() != nil {
			return record{}
		}
		base.Type, base.Reason = "error", err.Error()
		return base
	}
	base.Type, base.Width, base.Height, base.Added = "photo", an.Width, an.Height, time.Now().Unix()
	base.Faces = faceRecords(an)
	return base
}
