package server

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"

	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/imageio"
	"github.com/mienhq/mien/library"
	"github.com/mienhq/mien/raster"
)

// storedPhoto finds the request's photo and reads its stored bytes.
func storedPhoto(r *http.Request, ol *openLibrary) (library.PhotoExport, []byte, error) {
	p, err := photo(r, ol)
	if err != nil {
		return p, nil, err
	}
	data, err := ol.readPhoto(p.Hash)
	return p, data, err
}

// photoImage serves the photo as uploaded, or with boxed=true an upright
// JPEG (longest side at most max, default 1600) with the faces boxed.
func (s *Server) photoImage(w http.ResponseWriter, r *http.Request) error {
	return s.withLibrary(r, false, func(ol *openLibrary) error {
		p, data, err := storedPhoto(r, ol)
		if err != nil {
			return err
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
		p, data, err := storedPhoto(r, ol)
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		if err := ol.lib.WriteSidecar(&buf, p.Hash, data); err != nil {
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
		name := fmt.Sprintf("%s-%d.jpg", f.ID, size)
		cache := filepath.Join(ol.dir, libThumbsDir, name)
		if b, err := ol.unsealed(cache, thumbAAD(name)); err == nil {
			writeImage(w, "image/jpeg", b)
			return nil
		}
		data, err := ol.readPhoto(f.Photo)
		if err != nil {
			return err
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
		if sealed, err := ol.sealed(buf.Bytes(), thumbAAD(name)); err == nil {
			cacheThumb(cache, sealed)
		}
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
