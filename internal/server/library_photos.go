package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/detect"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/imageio"
	"github.com/mienhq/mien/library"
	"github.com/mienhq/mien/raster"
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
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, err
		}
		return nil, badRequest("send photos as multipart/form-data in the field \"photos\": " + err.Error())
	}
	files := r.MultipartForm.File["photos"]
	if len(files) == 0 {
		return nil, badRequest(`no photo in the form field "photos"`)
	}
	if len(files) > maxUploads {
		return nil, badRequest(fmt.Sprintf("at most %d photos per request", maxUploads))
	}
	out := make([]*upload, 0, len(files))
	for _, fh := range files {
		f, err := fh.Open()
		if err != nil {
			return nil, badRequest(err.Error())
		}
		b, err := io.ReadAll(f)
		f.Close()
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(b)
		out = append(out, &upload{name: filepath.Base(fh.Filename), data: b, hash: hex.EncodeToString(sum[:])})
	}
	return out, nil
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
				an, err := s.analyze(ctx, u.data, detect.Options{})
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
			"grouped": rep.Grouped, "expired_faces": exp.Faces, "seconds": rep.Seconds}
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
			if err := writeFileSync(path, u.data); err != nil {
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
	r, err := ol.lib.Record(context.WithoutCancel(ctx), s.opts.Engine.ModelID(), items)
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

func (s *Server) listPhotos(w http.ResponseWriter, r *http.Request) error {
	return s.withLibrary(r, false, func(ol *openLibrary) error {
		out := []photoView{}
		for _, p := range ol.lib.Export().Photos {
			out = append(out, photoView{ID: p.Hash, Width: p.Width, Height: p.Height, Faces: p.Faces})
		}
		writeJSON(w, http.StatusOK, map[string]any{"photos": out})
		return nil
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

// photoImage serves the photo as uploaded, or with boxed=true an upright
// JPEG (longest side at most max, default 1600) with the faces boxed.
func (s *Server) photoImage(w http.ResponseWriter, r *http.Request) error {
	return s.withLibrary(r, false, func(ol *openLibrary) error {
		p, err := photo(r, ol)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(filepath.Join(ol.dir, libPhotosDir, p.Hash))
		if err != nil {
			return fmt.Errorf("server: photo %s: %w", p.Hash[:12], err)
		}
		if r.URL.Query().Get("boxed") != "true" {
			writeImage(w, "image/"+imageio.Sniff(data), data)
			return nil
		}
		side, err := intParam(r, "max", 1600, 64, 4096)
		if err != nil {
			return err
		}
		s.libs.thumbs <- struct{}{}
		img, err := imageio.Decode(data, imageio.Options{})
		<-s.libs.thumbs
		if err != nil {
			return err
		}
		for _, f := range p.Faces {
			drawBox(img, f.Box)
		}
		if k := float32(side) / float32(max(img.W, img.H)); k < 1 {
			img = raster.Resize(img, max(1, int(float32(img.W)*k)), max(1, int(float32(img.H)*k)))
		}
		var buf bytes.Buffer
		if err := imageio.EncodeJPEG(&buf, img, 85); err != nil {
			return err
		}
		writeImage(w, "image/jpeg", buf.Bytes())
		return nil
	})
}

// photoXMP serves the photo's XMP sidecar (MWG face regions).
func (s *Server) photoXMP(w http.ResponseWriter, r *http.Request) error {
	return s.withLibrary(r, false, func(ol *openLibrary) error {
		p, err := photo(r, ol)
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		if err := ol.lib.WriteSidecar(&buf, p.Hash); err != nil {
			return err
		}
		w.Header().Set("Content-Type", "application/rdf+xml")
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.xmp"`, p.Hash[:12]))
		w.Write(buf.Bytes())
		return nil
	})
}

// faceThumbnail serves a square JPEG crop of a face (size pixels, default
// 96), cut from the stored photo once and kept in the library's thumbs/.
func (s *Server) faceThumbnail(w http.ResponseWriter, r *http.Request) error {
	size, err := intParam(r, "size", 96, 16, 512)
	if err != nil {
		return err
	}
	return s.withLibrary(r, false, func(ol *openLibrary) error {
		f, err := libFace(r, ol)
		if err != nil {
			return err
		}
		cache := filepath.Join(ol.dir, libThumbsDir, fmt.Sprintf("%s-%d.jpg", f.ID, size))
		if b, err := os.ReadFile(cache); err == nil {
			writeImage(w, "image/jpeg", b)
			return nil
		}
		data, err := os.ReadFile(filepath.Join(ol.dir, libPhotosDir, f.Photo))
		if err != nil {
			return fmt.Errorf("server: photo %s: %w", f.Photo[:12], err)
		}
		s.libs.thumbs <- struct{}{}
		img, err := imageio.Decode(data, imageio.Options{})
		<-s.libs.thumbs
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		if err := imageio.EncodeJPEG(&buf, raster.Crop(img, f.Box.Square().Scale(1.25), size, size), 85); err != nil {
			return err
		}
		cacheThumb(cache, buf.Bytes())
		writeImage(w, "image/jpeg", buf.Bytes())
		return nil
	})
}

// cacheThumb keeps a thumbnail (best effort: a failure only costs a decode
// next time).
func cacheThumb(path string, b []byte) {
	f, err := os.CreateTemp(filepath.Dir(path), "thumb-*.tmp")
	if err != nil {
		return
	}
	_, err = f.Write(b)
	if err = errors.Join(err, f.Close()); err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
}

// writeImage answers image bytes that the browser must not reinterpret.
func writeImage(w http.ResponseWriter, ctype string, b []byte) {
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "private, max-age=3600")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.Write(b)
}

// intParam reads an integer query parameter within [lo, hi].
func intParam(r *http.Request, name string, def, lo, hi int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, badRequest(fmt.Sprintf("%s must be an integer from %d to %d", name, lo, hi))
	}
	return n, nil
}

// drawBox draws a face's box in green, its width about 1/60 of the face.
func drawBox(m *face.Image, b face.Rect) {
	b = b.Clamp(m.W, m.H)
	t := max(1, int(min(b.Dx(), b.Dy())/60))
	x0, y0, x1, y1 := int(b.Min.X), int(b.Min.Y), min(m.W-1, int(b.Max.X)), min(m.H-1, int(b.Max.Y))
	for k := 0; k < t; k++ {
		for x := x0; x <= x1; x++ {
			setGreen(m, x, y0+k)
			setGreen(m, x, y1-k)
		}
		for y := y0; y <= y1; y++ {
			setGreen(m, x0+k, y)
			setGreen(m, x1-k, y)
		}
	}
}

func setGreen(m *face.Image, x, y int) {
	if x < 0 || y < 0 || x >= m.W || y >= m.H {
		return
	}
	i := 3 * (y*m.W + x)
	m.Pix[i], m.Pix[i+1], m.Pix[i+2] = 0, 255, 0
}
