// Package library is a private photo library: it indexes a folder of
// someone's photos (every face's box, landmarks, quality and template),
// groups the faces into people and keeps the user's curation.
//
// A library lives in one directory of its own and nowhere else: its
// templates are never written to a gallery or any shared index, and no API
// searches them from outside the library. Forget deletes the directory.
// Nothing beyond geometry, quality measures, templates and user-given
// names is stored: it never infers age, gender or any other attribute.
//
// A Library is safe for concurrent use; one process at a time opens it (Open
// takes an exclusive lock, ErrLocked otherwise).
package library

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"github.com/mienhq/mien/cluster"
)

// Options configure a library.
type Options struct {
	// Cluster configures grouping; the zero value is the measured default.
	Cluster cluster.Options
	// MinFaceSize leaves faces whose box is smaller (shorter side, pixels)
	// out of grouping (0 = 0: group every face).
	MinFaceSize float32
}

// Library is one open library.
type Library struct {
	dir  string
	opts Options

	mu     sync.Mutex
	model  string
	photos map[string]*Photo // by content hash
	paths  map[string]pathState
	people peopleState
	log    *logWriter
	lock   *os.File // held while open: one writer across processes
	// version counts changes to the photos and the people, so that Group,
	// which clusters without holding mu, knows whether its snapshot is
	// still current.
	version uint64
}

// Photo is an indexed photo.
type Photo struct {
	Hash   string   `json:"hash"`
	Paths  []string `json:"paths"`
	Width  int      `json:"width"`
	Height int      `json:"height"`
	Added  int64    `json:"added"`
	faces  []faceRec
}

// pathState is what the library knows of a file path.
type pathState struct {
	size, mtime int64
	hash        string // "" for a file that could not be read
	reason      string // why the file was unusable, if it was
}

// peopleState is the grouping and the curation, stored in people.json.
type peopleState struct {
	Model  string            `json:"model"`
	NextID int               `json:"next_id"`
	Assign map[string]int    `json:"assign"` // face id -> person id
	Names  map[int]string    `json:"names,omitempty"`
	Pinned map[string]bool   `json:"pinned,omitempty"`  // faces the user placed or confirmed
	Apart  [][2]string       `json:"apart,omitempty"`   // cannot-link face pairs
	Ignore map[string]string `json:"ignored,omitempty"` // face id -> reason
	// ExpireAfter is how long (seconds) unnamed, unconfirmed people are
	// kept after their newest photo was added; 0 keeps them.
	ExpireAfter int64 `json:"expire_after,omitempty"`
}

// ErrNotLibrary is returned by Forget for a directory that is not a library.
var ErrNotLibrary = errors.New("library: not a mien library")

// ErrLocked is returned by Open and Forget when another process (a running
// mien serve, or another library command) has the library open.
var ErrLocked = errors.New("library: the library is open in another process (a running `mien serve` or `mien library` command); close it first")

// lockFile is held (flock) by the process that has the library open.
const lockFile = ".lock"

// Open opens the library in dir, creating the directory when absent.
func Open(dir string, opts Options) (*Library, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("library: %w", err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	l := &Library{dir: dir, opts: opts, photos: map[string]*Photo{}, paths: map[string]pathState{}, lock: lock}
	if err := readLog(filepath.Join(dir, logFile), l.apply); err != nil {
		lock.Close()
		return nil, err
	}
	if err := l.loadPeople(); err != nil {
		lock.Close()
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, logFile), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		lock.Close()
		return nil, fmt.Errorf("library: %w", err)
	}
	l.log = &logWriter{f: f}
	return l, nil
}

// apply replays one log record.
func (l *Library) apply(r record) error {
	switch r.Type {
	case "meta":
		if r.Format != formatTag {
			return fmt.Errorf("library: unknown format %q", r.Format)
		}
		l.model = r.Model
	case "photo":
		p, ok := l.photos[r.Hash]
		if !ok {
			p = &Photo{Hash: r.Hash, Width: r.Width, Height: r.Height, Added: r.Added, faces: r.Faces}
			l.photos[r.Hash] = p
		}
		if r.Path != "" { // a compacted log keeps photos whose paths all moved away
			l.setPath(r.Path, pathState{size: r.Size, mtime: r.MTime, hash: r.Hash})
		}
	case "path":
		l.setPath(r.Path, pathState{size: r.Size, mtime: r.MTime, hash: r.Hash})
	case "error":
		l.setPath(r.Path, pathState{size: r.Size, mtime: r.MTime, hash: r.Hash, reason: r.Reason})
	default:
		return fmt.Errorf("library: unknown record type %q", r.Type)
	}
	return nil
}

// setPath records what is at path, moving it off the photo it held before.
func (l *Library) setPath(path string, st pathState) {
	if old, ok := l.paths[path]; ok && old.hash != "" && old.hash != st.hash {
		if p := l.photos[old.hash]; p != nil {
			p.Paths = remove(p.Paths, path)
		}
	}
	l.paths[path] = st
	if p := l.photos[st.hash]; p != nil && st.reason == "" && !contains(p.Paths, path) {
		p.Paths = append(p.Paths, path)
		sort.Strings(p.Paths)
	}
}

func (l *Library) loadPeople() error {
	l.people = peopleState{Model: l.model, NextID: 1, Assign: map[string]int{}, Names: map[int]string{},
		Pinned: map[string]bool{}, Ignore: map[string]string{}}
	b, err := os.ReadFile(filepath.Join(l.dir, peopleFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("library: %w", err)
	}
	if err := json.Unmarshal(b, &l.people); err != nil {
		return fmt.Errorf("library: %s: %w", peopleFile, err)
	}
	for _, m := range []any{&l.people.Assign, &l.people.Names, &l.people.Pinned, &l.people.Ignore} {
		switch m := m.(type) {
		case *map[string]int:
			if *m == nil {
				*m = map[string]int{}
			}
		case *map[int]string:
			if *m == nil {
				*m = map[int]string{}
			}
		case *map[string]bool:
			if *m == nil {
				*m = map[string]bool{}
			}
		case *map[string]string:
			if *m == nil {
				*m = map[string]string{}
			}
		}
	}
	return nil
}

// savePeople writes people.json atomically. The caller holds l.mu.
func (l *Library) savePeople() error {
	l.version++
	l.people.Model = l.model
	b, err := json.Marshal(l.people)
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(l.dir, peopleFile), b)
}

// Close closes the library's files.
func (l *Library) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.log == nil {
		return nil
	}
	err := l.log.commit()
	err = errors.Join(err, l.log.f.Close(), l.lock.Close())
	l.log = nil
	return err
}

// Dir returns the library's directory.
func (l *Library) Dir() string { return l.dir }

// Forget deletes everything the library in dir holds: templates, boxes,
// grouping, names and the directory itself. It refuses a directory that
// holds anything but a library's files.
func Forget(dir string) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("library: %w", err)
	}
	known := map[string]bool{logFile: true, peopleFile: true, peopleFile + ".tmp": true, lockFile: true, metaFile: true, metaFile + ".tmp": true}
	found := false
	for _, e := range ents {
		if !known[e.Name()] {
			return fmt.Errorf("%w: %s holds %s", ErrNotLibrary, dir, e.Name())
		}
		found = true
	}
	if !found && len(ents) > 0 {
		return fmt.Errorf("%w: %s", ErrNotLibrary, dir)
	}
	lock, err := lockDir(dir) // refuse while another process has it open
	if err != nil {
		return err
	}
	defer lock.Close()
	for _, e := range ents {
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("library: %w", err)
		}
	}
	if err := os.Remove(filepath.Join(dir, lockFile)); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("library: %w", err)
	}
	return os.Remove(dir)
}

// faceID names face i of the photo with the given content hash.
func faceID(hash string, i int) string { return fmt.Sprintf("%s-%d", hash[:12], i) }

func contains(s []string, x string) bool {
	for _, y := range s {
		if y == x {
			return true
		}
	}
	return false
}

func remove(s []string, x string) []string {
	out := s[:0]
	for _, y := range s {
		if y != x {
			out = append(out, y)
		}
	}
	return out
}
