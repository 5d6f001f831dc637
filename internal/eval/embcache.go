package eval

import (
	"encoding/gob"
	"fmt"
	"io"
	"path"
	"strings"
)

// Record is one image's embedding in an embedding set: the face nearest the
// image centre, with what is known of its quality. An image where no face
// was found has a nil Vector.
type Record struct {
	// Path is the image path relative to the image directory (NAME/NAME_0001.jpg).
	Path   string
	Vector []float32
	// DetScore is the detector's confidence.
	DetScore float32
	// FaceSize is the shorter side of the face box in pixels.
	FaceSize float32
	// Sharpness is the variance of the Laplacian of the aligned crop.
	Sharpness float32
	// Yaw and Pitch are the landmark head-pose estimates in degrees.
	Yaw, Pitch float32
}

// Identity is the person a record shows: the directory name of its path.
func (r Record) Identity() string {
	dir, _ := path.Split(strings.ReplaceAll(r.Path, "\\", "/"))
	return strings.TrimSuffix(dir, "/")
}

// Set is a cached embedding run over an image directory.
type Set struct {
	// Pipeline describes how the embeddings were made (pack, detector,
	// alignment, flip), so runs of different pipelines are never mixed.
	Pipeline string
	// Model is the recognizer's id.
	Model   string
	Records []Record
}

const setMagic = "mien-embeddings/1"

// WriteSet writes an embedding set (gob, after a magic string).
func WriteSet(w io.Writer, s *Set) error {
	if _, err := io.WriteString(w, setMagic+"\n"); err != nil {
		return fmt.Errorf("eval: writing embeddings: %w", err)
	}
	if err := gob.NewEncoder(w).Encode(s); err != nil {
		return fmt.Errorf("eval: writing embeddings: %w", err)
	}
	return nil
}

// ReadSet reads what WriteSet wrote.
func ReadSet(r io.Reader) (*Set, error) {
	head := make([]byte, len(setMagic)+1)
	if _, err := io.ReadFull(r, head); err != nil || string(head) != setMagic+"\n" {
		return nil, fmt.Errorf("eval: not an embedding file (want %q header)", setMagic)
	}
	var s Set
	if err := gob.NewDecoder(r).Decode(&s); err != nil {
		return nil, fmt.Errorf("eval: reading embeddings: %w", err)
	}
	for i, rec := range s.Records {
		if rec.Vector != nil && len(rec.Vector) != len(s.Records[0].Vector) && s.Records[0].Vector != nil {
			return nil, fmt.Errorf("eval: reading embeddings: record %d (%s) has %d dimensions", i, rec.Path, len(rec.Vector))
		}
	}
	return &s, nil
}
