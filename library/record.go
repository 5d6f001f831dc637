package library

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"time"

	"github.com/mienhq/mien"
)

// Analysed is a photo its caller read, hashed and analysed itself (a server
// that runs the engine within its own bounded queue), for Record.
type Analysed struct {
	// Path is where the photo's bytes are kept; it is what exports list.
	Path string
	// Hash is the hex SHA-256 of the bytes.
	Hash  string
	Size  int64
	MTime int64 // unix nanoseconds
	// Analysis holds the faces; it may be nil for content the library
	// already holds (Has), which is then recorded under Path only.
	Analysis *mien.Analysis
}

// Record adds photos analysed by the caller with the recognizer model,
// commits them to the log at once and places their new faces into people,
// as Add does. It checks every photo before recording any, so a bad one
// changes nothing; Unreadable stays empty (the caller reports those).
func (l *Library) Record(ctx context.Context, model string, photos []Analysed) (*AddReport, error) {
	rep, err := l.RecordUngrouped(model, photos)
	if err != nil {
		return rep, err
	}
	start := time.Now()
	n, err := l.Group(ctx, false)
	rep.Grouped = n
	rep.Seconds += time.Since(start).Seconds()
	return rep, err
}

// Ungrouped counts the faces that grouping would place but that are in no
// person yet (recorded by RecordUngrouped, or left by an interrupted Group).
func (l *Library) Ungrouped() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, f := range l.allFaces() {
		if _, ok := l.people.Assign[f.id]; !ok && l.groupable(f) {
			n++
		}
	}
	return n
}

// RecordUngrouped is Record without the grouping: the new faces are in no
// person until the caller runs Group (a server groups a burst of uploads
// once, after it).
func (l *Library) RecordUngrouped(model string, photos []Analysed) (*AddReport, error) {
	start := time.Now()
	for _, p := range photos {
		if _, err := hex.DecodeString(p.Hash); err != nil || len(p.Hash) != 64 {
			return nil, fmt.Errorf("library: %q is not a hex SHA-256", p.Hash)
		}
		if p.Path == "" {
			return nil, fmt.Errorf("library: photo %s has no path", p.Hash[:12])
		}
		if p.Analysis == nil && !l.Has(p.Hash) {
			return nil, fmt.Errorf("library: photo %s was not analysed", p.Hash[:12])
		}
	}
	if err := l.checkModel(model); err != nil {
		return nil, err
	}
	rep := &AddReport{Files: len(photos)}
	now := time.Now().Unix()
	for _, p := range photos {
		r := record{Type: "path", Path: p.Path, Size: p.Size, MTime: p.MTime, Hash: p.Hash}
		if p.Analysis != nil && !l.Has(p.Hash) {
			r.Type, r.Width, r.Height, r.Added = "photo", p.Analysis.Width, p.Analysis.Height, now
			r.Faces = faceRecords(p.Analysis)
		}
		if err := l.record(r, rep); err != nil {
			return rep, err
		}
	}
	if err := l.commit(); err != nil {
		return rep, err
	}
	rep.Seconds = time.Since(start).Seconds()
	return rep, nil
}

// faceRecords turns an analysis into stored faces: geometry, quality
// measures and the template, nothing else.
func faceRecords(an *mien.Analysis) []faceRec {
	var out []faceRec
	for _, fc := range an.Faces {
		out = append(out, faceRec{Box: fc.Box, Score: fc.Score, Landmarks: fc.Landmarks,
			Quality: fc.Quality, Vector: fc.Embedding.Vector})
	}
	return out
}

// Has reports whether the library holds a photo with this content hash.
func (l *Library) Has(hash string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, ok := l.photos[hash]
	return ok
}

// Model returns the recognizer whose templates the library holds ("" when
// it holds none yet).
func (l *Library) Model() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.model
}

// Photo returns one photo by content hash with its faces (no templates).
func (l *Library) Photo(hash string) (PhotoExport, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	p, ok := l.photos[hash]
	if !ok {
		return PhotoExport{}, fmt.Errorf("%w: photo %q", ErrNotFound, hash)
	}
	return l.photoExport(p), nil
}

// Face returns one face by id (no template).
func (l *Library) Face(id string) (Face, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f, err := l.resolveFace(id)
	if err != nil {
		return Face{}, err
	}
	return l.faceInfo(f), nil
}

// WriteSidecar writes the XMP sidecar (MWG face regions) of one photo,
// given its bytes (for its EXIF orientation: regions are written in the
// stored orientation, see StoredRegions).
func (l *Library) WriteSidecar(w io.Writer, hash string, photo []byte) error {
	p, err := l.Photo(hash)
	if err != nil {
		return err
	}
	return l.writeSidecar(w, p, orientation(photo))
}
