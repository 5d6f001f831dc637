package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"time"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/detect"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/imageio"
	"github.com/mienhq/mien/library"
)

// maxUploads is the most photos one upload request may hold (the body
// limit applies too).
const maxUploads = 100

var (
	photoIDPattern = regexp.MustCompile(`^[0-9a-f]{64}$`)
	faceIDPattern  = regexp.MustCompile(`^[0-9a-f]{12}-[0-9]{1,4}$`)
)

// upload is one photo of an upload request.
type upload struct {
	name string
	data []byte
	hash string
	dup  bool           // content the library holds, or an earlier photo of this request
	an   *mien.Analysis // nil for duplicates
}

// readUploads reads the files of the multipart field "photos".
func readUploads(r *http.Request) ([]*upload, error) {
	files, err := formFiles(r, "photos", maxUploads)
	if err != nil {
		return nil, err
	}
	out := make([]*upload, 0, len(files))
	for _, f := range files {
		sum := sha256.Sum256(f.data)
		out = append(out, &upload{name: f.name, data: f.data, hash: hex.EncodeToString(sum[:])})
	}
	return out, nil
}

// LibraryAnalysis is how photos uploaded to a library are analysed. The
// zero value makes the choices of `mien library add`: faces of
// library.SmallestFace px and up, detected at the size such a face needs,
// templates from the crop alone (library templates are compared only with
// each other; docs/benchmarks.md measures both choices).
type LibraryAnalysis struct {
	// SmallestFace is the smallest face indexed, in px on the shorter side
	// of its box (0: library.SmallestFace).
	SmallestFace float32
	// EveryFace indexes every face the detector finds, detecting at full
	// size (SmallestFace is then ignored).
	EveryFace bool
	// Flip adds the mirrored crop's embedding when the engine does.
	Flip bool
}

// detect is the detection a library upload runs.
func (o LibraryAnalysis) detect() detect.Options {
	if o.EveryFace {
		return detect.Options{}
	}
	f := o.SmallestFace
	if f == 0 {
		f = library.SmallestFace
	}
	return detect.Options{MinSize: f, FaceSize: f}
}

// noFlipper is an engine that can analyse without the mirrored crop
// (*mien.Engine).
type noFlipper interface {
	AnalyzeNoFlip(ctx context.Context, data []byte, opts detect.Options) (*mien.Analysis, error)
}

// analyzeLibraryPhoto analyses one uploaded photo as Options.Library says,
// through the bounded queue.
func (s *Server) analyzeLibraryPhoto(ctx context.Context, data []byte) (*mien.Analysis, error) {
	o := s.opts.Library
	nf, ok := s.opts.Engine.(noFlipper)
	if o.Flip || !ok {
		return s.analyze(ctx, data, o.detect())
	}
	release, err := s.slot(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	a, err := nf.AnalyzeNoFlip(ctx, data, o.detect())
	if err == nil {
		s.metrics.faces.Add(int64(len(a.Faces)))
	}
	return a, err
}

// analyzeUploads runs the engine (through the bounded queue) on the photos
// the library does not hold yet, as many at once as the engine has
// workers. The first error stops the rest and is returned, naming the photo.
func (s *Server) analyzeUploads(ctx context.Context, lib *library.Library, ups []*upload) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	seen := map[string]bool{}
	jobs := make(chan *upload)
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	for range min(s.opts.Workers, len(ups)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for u := range jobs {
				an, err := s.analyzeLibraryPhoto(ctx, u.data)
				if err != nil {
					once.Do(func() { first = fmt.Errorf("photo %q: %w", u.name, err); cancel() })
					continue
				}
				u.an = an
			}
		}()
	}
	for _, u := range ups {
		if seen[u.hash] || lib.Has(u.hash) {
			u.dup = true
			continue
		}
		seen[u.hash] = true
		select {
		case jobs <- u:
		case <-ctx.Done():
		}
	}
	close(jobs)
	wg.Wait()
	if first == nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return first
}

// uploadPhotos stores photos in the library (content-addressed), indexes
// them and places their new faces into people. A request is all or
// nothing: when any photo is unreadable or the engine is busy, nothing is
// stored.
func (s *Server) uploadPhotos(w http.ResponseWriter, r *http.Request) error {
	ups, err := readUploads(r)
	if err != nil {
		return err
	}
	for _, u := range ups { // refuse what is not an image before any engine call
		if _, err := imageio.DecodeConfig(u.data, imageio.Options{}); err != nil {
			return fmt.Errorf("photo %q: %w", u.name, err)
		}
	}
	ol, err := s.libs.get(keyOf(r).TenantID, r.PathValue("lib"))
	if err != nil {
		return err
	}
	if m := ol.lib.Model(); m != "" && m != s.opts.Engine.ModelID() {
		return fmt.Errorf("library %s holds templates of model %s, this server runs %s: %w", ol.meta.ID, m, s.opts.Engine.ModelID(), face.ErrModelMismatch)
	}
	if err := s.analyzeUploads(r.Context(), ol.lib, ups); err != nil {
		return err
	}
	return s.withLibrary(r, true, func(ol *openLibrary) error {
		rep, err := s.storeUploads(r.Context(), ol, ups)
		if err != nil {
			return err
		}
		k := keyOf(r)
		s.auditLibrary(r.Context(), k, "library.upload", ol.meta.ID, map[string]any{"indexed": rep.Indexed, "duplicates": rep.Duplicates, "faces": rep.Faces})
		exp, err := ol.lib.Expire(time.Now(), 0)
		if err != nil {
			return err
		}
		if exp.Faces > 0 {
			s.auditLibrary(r.Context(), k, "library.expire", ol.meta.ID, map[string]any{"people": exp.People, "faces": exp.Faces})
		}
		out := map[string]any{"indexed": rep.Indexed, "duplicates": rep.Duplicates, "faces": rep.Faces,
			"grouped": rep.Grouped, "grouping_pending": ol.lib.Ungrouped() > 0, "expired_faces": exp.Faces, "seconds": rep.Seconds}
		var photos []map[string]any
		for _, u := range ups {
			p, err := ol.lib.Photo(u.hash)
			if err != nil {
				return err
			}
			photos = append(photos, map[string]any{"name": u.name, "id": u.hash, "width": p.Width, "height": p.Height,
				"duplicate": u.dup, "faces": p.Faces})
		}
		out["photos"] = photos
		writeJSON(w, http.StatusOK, out)
		return nil
	})
}

// storeUploads writes the new photos' bytes, then records them in one
// batch and groups their faces; content the library holds already is only
// counted. If recording is refused the photos written are removed again.
// Once recording starts it is not cancelled with the request, so an
// acknowledged upload is grouped. The caller holds ol.mu for writing.
func (s *Server) storeUploads(ctx context.Context, ol *openLibrary, ups []*upload) (*library.AddReport, error) {
	rep := &library.AddReport{Files: len(ups)}
	var written []string
	var items []library.Analysed
	seen := map[string]bool{}
	for _, u := range ups {
		if seen[u.hash] || ol.lib.Has(u.hash) {
			rep.Duplicates++
			continue
		}
		seen[u.hash] = true
		if u.an == nil { // cannot happen: analyzeUploads analyses the first of each new content
			removeAll(written)
			return nil, fmt.Errorf("server: photo %q was not analysed", u.name)
		}
		path := filepath.Join(ol.dir, libPhotosDir, u.hash)
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			if err := ol.writePhoto(u.hash, u.data); err != nil {
				removeAll(written)
				return nil, err
			}
			written = append(written, path)
		}
		items = append(items, library.Analysed{Path: libPhotosDir + "/" + u.hash, Hash: u.hash,
			Size: int64(len(u.data)), MTime: time.Now().UnixNano(), Analysis: u.an})
	}
	if len(items) == 0 {
		return rep, nil
	}
	var r *library.AddReport
	var err error
	if s.opts.GroupDelay > 0 {
		if r, err = ol.lib.RecordUngrouped(s.opts.Engine.ModelID(), items); r != nil {
			s.libs.groupLater(ol.tenant, ol.meta.ID)
		}
	} else {
		r, err = ol.lib.Record(context.WithoutCancel(ctx), s.opts.Engine.ModelID(), items)
	}
	if r == nil {
		removeAll(written) // Record refused before writing anything
		return nil, err
	}
	rep.Indexed, rep.Faces, rep.Grouped, rep.Seconds = r.Indexed, r.Faces, r.Grouped, r.Seconds
	rep.Duplicates += r.Duplicates
	return rep, err
}

func removeAll(paths []string) {
	for _, p := range paths {
		os.Remove(p)
	}
}

// photoView is one photo with its faces, in the coordinates of the upright
// image (after EXIF orientation).
type photoView struct {
	ID     string         `json:"id"`
	Width  int            `json:"width"`
	Height int            `json:"height"`
	Faces  []library.Face `json:"faces"`
}

// listPhotos answers the photos with their faces, in pages when asked
// (limit, after).
func (s *Server) listPhotos(w http.ResponseWriter, r *http.Request) error {
	pg, err := pageParams(r)
	if err != nil {
		return err
	}
	return s.withLibrary(r, false, func(ol *openLibrary) error {
		ps, next, err := ol.lib.PhotosPage(pg)
		out := make([]photoView, 0, len(ps))
		for _, p := range ps {
			out = append(out, photoView{ID: p.Hash, Width: p.Width, Height: p.Height, Faces: p.Faces})
		}
		return writePage(w, "photos", out, next, err)
	})
}

// photo looks up the request's {photo}.
func photo(r *http.Request, ol *openLibrary) (library.PhotoExport, error) {
	id := r.PathValue("photo")
	if !photoIDPattern.MatchString(id) {
		return library.PhotoExport{}, &apiError{http.StatusNotFound, "not_found", "a photo id is the photo's SHA-256 in 64 hex digits"}
	}
	return ol.lib.Photo(id)
}

// deletePhoto erases one photo from the library: its faces, templates and
// curation (library.RemovePhoto), the stored photo and its thumbnails.
func (s *Server) deletePhoto(w http.ResponseWriter, r *http.Request) error {
	return s.withLibrary(r, true, func(ol *openLibrary) error {
		p, err := photo(r, ol)
		if err != nil {
			return err
		}
		n, err := ol.lib.RemovePhoto(p.Hash)
		if err != nil {
			return err
		}
		thumbs, _ := filepath.Glob(filepath.Join(ol.dir, libThumbsDir, p.Hash[:12]+"-*.jpg"))
		for _, f := range append(thumbs, filepath.Join(ol.dir, libPhotosDir, p.Hash)) {
			if err := os.Remove(f); err != nil && !os.IsNotExist(err) {
				return err
			}
		}
		s.auditLibrary(r.Context(), keyOf(r), "library.photo.delete", ol.meta.ID, map[string]any{"photo": p.Hash, "faces": n})
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
}

func (s *Server) getPhoto(w http.ResponseWriter, r *http.Request) error {
	return s.withLibrary(r, false, func(ol *openLibrary) error {
		p, err := photo(r, ol)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, photoView{ID: p.Hash, Width: p.Width, Height: p.Height, Faces: p.Faces})
		return nil
	})
}
