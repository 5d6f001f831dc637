package library

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"

	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/quality"
)

// The library's files. The log is append-only JSON lines, one record per
// photo, flushed and fsynced per batch, so an interrupted run loses at most
// the batch in flight and a torn last line is cut off on open. The people
// file is small and replaced atomically (write, fsync, rename).
const (
	logFile    = "faces.jsonl"
	peopleFile = "people.json"
	formatTag  = "mien-library/1"
)

// record is one line of the log.
type record struct {
	Type   string    `json:"type"` // "meta", "photo", "path" or "error"
	Format string    `json:"format,omitempty"`
	Model  string    `json:"model,omitempty"`
	Hash   string    `json:"hash,omitempty"`
	Path   string    `json:"path,omitempty"`
	Size   int64     `json:"size,omitempty"`
	MTime  int64     `json:"mtime,omitempty"` // unix nanoseconds
	Added  int64     `json:"added,omitempty"` // unix seconds
	Width  int       `json:"width,omitempty"`
	Height int       `json:"height,omitempty"`
	Faces  []faceRec `json:"faces,omitempty"`
	Reason string    `json:"reason,omitempty"`
}

// faceRec is a face as stored: no attributes beyond geometry, quality
// measures and the template.
type faceRec struct {
	Box       face.Rect       `json:"box"`
	Score     float32         `json:"score"`
	Landmarks face.Landmarks5 `json:"landmarks"`
	Quality   quality.Quality `json:"quality"`
	Vector    vector          `json:"vector,omitempty"` // absent once erased (Expire)
}

// vector is a template stored as base64 little-endian float32.
type vector []float32

func (v vector) MarshalJSON() ([]byte, error) {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return json.Marshal(base64.StdEncoding.EncodeToString(b))
}

func (v *vector) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b)%4 != 0 {
		return fmt.Errorf("library: bad vector encoding")
	}
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	*v = out
	return nil
}

// logWriter appends records to the log, sealed under key when it is set.
type logWriter struct {
	f   *os.File
	key []byte
	buf bytes.Buffer
}

func (w *logWriter) add(r record) error {
	b, err := encodeLine(w.key, r)
	if err != nil {
		return err
	}
	w.buf.Write(b)
	return nil
}

// encodeLine encodes one log record as a line: JSON, or sealed JSON in
// base64 under key.
func encodeLine(key []byte, r record) ([]byte, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	if key != nil {
		if b, err = sealLine(key, b); err != nil {
			return nil, err
		}
	}
	return append(b, '\n'), nil
}

// commit writes the buffered records and fsyncs the file.
func (w *logWriter) commit() error {
	if w.buf.Len() == 0 {
		return nil
	}
	if _, err := w.f.Write(w.buf.Bytes()); err != nil {
		return fmt.Errorf("library: writing the log: %w", err)
	}
	w.buf.Reset()
	if err := w.f.Sync(); err != nil {
		return fmt.Errorf("library: syncing the log: %w", err)
	}
	return nil
}

// readLog replays the log through fn, unsealing sealed lines with key,
// and counts the plain lines (to be sealed when key is set). A torn last
// line (a crash mid-write) is cut off; a bad line elsewhere is an error.
func readLog(path string, key []byte, fn func(record) error) (plain int, err error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("library: %w", err)
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	var good int64
	for {
		line, err := r.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			if len(line) > 0 { // torn tail: drop it
				return plain, f.Truncate(good)
			}
			return plain, nil
		}
		if err != nil {
			return plain, fmt.Errorf("library: reading %s: %w", path, err)
		}
		js, sealed, err := openLine(key, bytes.TrimSuffix(line, []byte("\n")))
		if err != nil {
			return plain, fmt.Errorf("library: %s at byte %d: %w", path, good, err)
		}
		if !sealed {
			plain++
		}
		var rec record
		if err := json.Unmarshal(js, &rec); err != nil {
			return plain, fmt.Errorf("library: %s at byte %d: %w", path, good, err)
		}
		if err := fn(rec); err != nil {
			return plain, err
		}
		good += int64(len(line))
	}
}

// writeFileAtomic replaces path with data: write a temporary file, fsync
// it, rename it over path and fsync the directory.
func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("library: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("library: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("library: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("library: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("library: %w", err)
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// Tighten makes dir readable by its owner only (0700) and the named files
// in it 0600, where they are wider: a library made by an older version, or
// in a directory the user made, holds templates and names. Absent files
// are skipped.
func Tighten(dir string, files ...string) error {
	if err := tighten(dir, 0o700); err != nil {
		return err
	}
	for _, f := range files {
		if err := tighten(filepath.Join(dir, f), 0o600); err != nil {
			return err
		}
	}
	return nil
}

func tighten(path string, mode os.FileMode) error {
	st, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("library: %w", err)
	}
	if st.Mode()&os.ModeSymlink != 0 || st.Mode().Perm()&^mode == 0 {
		return nil
	}
	if err := os.Chmod(path, st.Mode().Perm()&mode); err != nil {
		return fmt.Errorf("library: %w", err)
	}
	return nil
}
