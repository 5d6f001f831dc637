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
	// Key, when set (32 bytes), seals the library's files with AES-256-GCM
	// (see Seal): its log of templates, boxes and paths and its people
	// file of names. A library stored plain is sealed when opened with a
	// key. nil keeps them plain JSON (the CLI's libraries, on their owner's
	// disk beside the photos themselves).
	Key []byte
}

// Library is one open library.
type Library struct {
	dir  string
	opts Options

	mu     sync.Mutex
	model  string
	photos map[string]*Photo // by content hash
	// byPrefix finds a photo by the first 12 hex digits of its hash (the
	// face ids' prefix).
	byPrefix map[string]*Photo
	// sorted (photos in export order) and faceList (every face by id) are
	// kept between changes; nil when a photo or a path changed since.
	sorted   []*Photo
	faceList []faceRef
	paths    map[string]pathState
	people   peopleState
	log      *logWriter
	lock     *os.File // held while open: one writer across processes
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
	if opts.Key != nil && len(opts.Key) != 32 {
		return nil, fmt.Errorf("library: a sealing key is 32 bytes, got %d", len(opts.Key))
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("library: %w", err)
	}
	if err := Tighten(dir, logFile, peopleFile, lockFile, metaFile); err != nil {
		return nil, err
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	l := &Library{dir: dir, opts: opts, photos: map[string]*Photo{}, byPrefix: map[string]*Photo{}, paths: map[string]pathState{}, lock: lock}
	plain, err := readLog(filepath.Join(dir, logFile), opts.Key, l.apply)
	if err != nil {
		lock.Close()
		return nil, err
	}
	plainPeople, err := l.loadPeople()
	if err != nil {
		lock.Close()
		return nil, err
	}
	l.pruneCuration()
	f, err := os.OpenFile(filepath.Join(dir, logFile), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		lock.Close()
		return nil, fmt.Errorf("library: %w", err)
	}
	l.log = &logWriter{f: f, key: opts.Key}
	if err := l.sealPlain(plain > 0, plainPeople); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

// sealPlain rewrites, sealed, the files a library opened with a key held
// in plain (a library made before sealing, or without a key): the log
// atomically (compacted), the people file and people_meta.json.
func (l *Library) sealPlain(log, people bool) error {
	if l.opts.Key == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if log {
		if err := l.compactLog(); err != nil {
			return err
		}
	}
	if people {
		if err := l.savePeople(); err != nil {
			return err
		}
	}
	b, err := os.ReadFile(filepath.Join(l.dir, metaFile))
	if err != nil || IsSealed(b) {
		return nil // none, or sealed already
	}
	if b, err = Seal(l.opts.Key, b, aadMeta); err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(l.dir, metaFile), b)
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
		if len(r.Hash) != 64 || !isLowerHex(r.Hash) {
			return fmt.Errorf("library: photo record with hash %q", r.Hash)
		}
		p, ok := l.photos[r.Hash]
		if !ok {
			p = &Photo{Hash: r.Hash, Width: r.Width, Height: r.Height, Added: r.Added, faces: r.Faces}
			l.photos[r.Hash] = p
			l.byPrefix[r.Hash[:12]] = p
			l.invalidate()
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
	l.invalidate()
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

// loadPeople reads people.json, and reports whether it was stored plain.
func (l *Library) loadPeople() (plain bool, err error) {
	l.people = peopleState{Model: l.model, NextID: 1}
	b, sealed, err := readPeopleFile(l.dir, l.opts.Key)
	if errors.Is(err, os.ErrNotExist) {
		err = nil
	} else if err == nil {
		if err = json.Unmarshal(b, &l.people); err != nil {
			err = fmt.Errorf("library: %s: %w", peopleFile, err)
		}
		plain = !sealed
	}
	if l.people.Assign == nil {
		l.people.Assign = map[string]int{}
	}
	if l.people.Names == nil {
		l.people.Names = map[int]string{}
	}
	if l.people.Pinned == nil {
		l.people.Pinned = map[string]bool{}
	}
	if l.people.Ignore == nil {
		l.people.Ignore = map[string]string{}
	}
	return plain, err
}

// readPeopleFile reads a library's people.json, unsealing it with key
// when it is sealed.
func readPeopleFile(dir string, key []byte) (js []byte, sealed bool, err error) {
	b, err := os.ReadFile(filepath.Join(dir, peopleFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, false, err
	}
	if err != nil {
		return nil, false, fmt.Errorf("library: %w", err)
	}
	if !IsSealed(b) {
		return b, false, nil
	}
	if key == nil {
		return nil, true, ErrSealed
	}
	b, err = Unseal(key, b, aadPeople)
	return b, true, err
}

// pruneCuration drops curation keys that name no stored face: aliases
// such as "3f2a9c1b04de-01" that versions before one spelling per id
// recorded as faces of their own. The caller holds l.mu or owns l.
func (l *Library) pruneCuration() {
	known := map[string]bool{}
	for _, f := range l.allFaces() {
		known[f.id] = true
	}
	for id := range l.people.Assign {
		if !known[id] {
			delete(l.people.Assign, id)
		}
	}
	for id := range l.people.Pinned {
		if !known[id] {
			delete(l.people.Pinned, id)
		}
	}
	for id := range l.people.Ignore {
		if !known[id] {
			delete(l.people.Ignore, id)
		}
	}
	apart := l.people.Apart[:0]
	for _, p := range l.people.Apart {
		if known[p[0]] && known[p[1]] {
			apart = append(apart, p)
		}
	}
	l.people.Apart = apart
}

// savePeople writes people.json atomically. The caller holds l.mu.
func (l *Library) savePeople() error {
	l.version++
	l.people.Model = l.model
	b, err := json.Marshal(l.people)
	if err != nil {
		return err
	}
	if l.opts.Key != nil {
		if b, err = Seal(l.opts.Key, b, aadPeople); err != nil {
			return err
		}
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
