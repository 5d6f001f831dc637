package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mienhq/mien/library"
)

// A tenant's photo libraries live under Options.LibraryDir, one directory
// per tenant and library:
//
//	LibraryDir/TENANT/LIBRARY/meta.json    id, name, creation time
//	                         /index/       the library package's files (faces.jsonl, people.json)
//	                         /photos/HASH  the uploaded photos, named by their SHA-256
//	                         /thumbs/      face thumbnails cut on demand
//
// The directory is derived from the API key's tenant and a validated id,
// so no request reaches another tenant's library or a path outside it. A
// library's templates live only in its index files: no gallery, index or
// identify call ever sees them, and the API never returns them.
const (
	libMetaFile  = "meta.json"
	libIndexDir  = "index"
	libPhotosDir = "photos"
	libThumbsDir = "thumbs"
)

var (
	libIDPattern    = regexp.MustCompile(`^lib_[0-9a-f]{24}$`)
	tenantIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	errNoLibrary    = &apiError{http.StatusNotFound, "not_found", "no such library"}
	errLibrariesOff = &apiError{http.StatusNotFound, "not_found", "photo libraries are off on this server (no data directory)"}
)

// libMeta is a library's meta.json.
type libMeta struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	CreatedAt int64  `json:"created_at"`
}

// libraries is the set of open libraries. Each is opened once per process
// (the library package allows one writer) and stays open until it has been
// idle for a while (closeIdle); the next request opens it again.
type libraries struct {
	root     string
	mu       sync.Mutex
	open     map[string]*openLibrary // by directory
	thumbs   chan struct{}           // photos decoded for thumbnails at once
	delay    time.Duration           // grouping after uploads (0: within them)
	group    func(tenant, id string) // groups a library's new faces
	grouping map[string]*time.Timer  // scheduled groupings, by directory
	// deleting holds the directories being forgotten: get answers not
	// found for them, so no request opens a library that is going away.
	deleting map[string]bool
	// keys wraps each library's data key (nil: libraries stored unsealed).
	keys keyStore
	// retireWait bounds how long forget waits for a library's current
	// requests before it removes the directory anyway (0: 5 s).
	retireWait time.Duration
}

// openLibrary is one open library. Reads hold mu for reading; uploads,
// curation and deletion hold it for writing, so a deleted library is never
// written again.
type openLibrary struct {
	mu     sync.RWMutex
	dir    string
	tenant string
	meta   libMeta
	lib    *library.Library
	key    []byte       // the library's data key (nil: stored unsealed)
	gone   bool         // forgotten
	closed bool         // closed for idleness: get opens it again
	used   atomic.Int64 // last get, Unix nanoseconds
	// ctx is cancelled when the library is forgotten or closed, stopping
	// long work on it (grouping) so that deletion does not wait for it.
	ctx    context.Context
	cancel context.CancelFunc
}

func newLibraries(root string, workers int, delay time.Duration, group func(tenant, id string), keys keyStore) *libraries {
	ls := &libraries{root: root, keys: keys, open: map[string]*openLibrary{}, thumbs: make(chan struct{}, max(1, workers)),
		delay: delay, group: group, grouping: map[string]*time.Timer{}, deleting: map[string]bool{}}
	ls.sweepTrash() // deletions a crash interrupted
	return ls
}

// scheduleGroup (re)starts a library's grouping timer: it fires delay after
// the last call, so a burst of uploads is grouped once. The caller holds
// ls.mu.
func (ls *libraries) scheduleGroup(tenant, id string) {
	dir := filepath.Join(ls.root, tenant, id)
	if t, ok := ls.grouping[dir]; ok {
		t.Reset(ls.delay)
		return
	}
	ls.grouping[dir] = time.AfterFunc(ls.delay, func() {
		ls.mu.Lock()
		delete(ls.grouping, dir)
		ls.mu.Unlock()
		ls.group(tenant, id)
	})
}

// groupLater schedules a library's grouping after an upload.
func (ls *libraries) groupLater(tenant, id string) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	ls.scheduleGroup(tenant, id)
}

// tenantDir is the directory of a tenant's libraries.
func (ls *libraries) tenantDir(tenant string) (string, error) {
	if ls == nil || ls.root == "" {
		return "", errLibrariesOff
	}
	if !tenantIDPattern.MatchString(tenant) {
		return "", fmt.Errorf("server: tenant id %q is not safe as a directory name", tenant)
	}
	return filepath.Join(ls.root, tenant), nil
}

// get opens (once) a tenant's library; an id that is malformed, unknown or
// another tenant's is not found.
func (ls *libraries) get(tenant, id string) (*openLibrary, error) {
	td, err := ls.tenantDir(tenant)
	if err != nil {
		return nil, err
	}
	if !libIDPattern.MatchString(id) {
		return nil, errNoLibrary
	}
	dir := filepath.Join(td, id)
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if ls.deleting[dir] {
		return nil, errNoLibrary
	}
	if ol, ok := ls.open[dir]; ok {
		ol.used.Store(time.Now().UnixNano())
		return ol, nil
	}
	b, err := os.ReadFile(filepath.Join(dir, libMetaFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, errNoLibrary
	}
	if err != nil {
		return nil, err
	}
	var m libMeta
	if err := json.Unmarshal(b, &m); err != nil || m.ID != id {
		return nil, fmt.Errorf("server: library %s: bad %s", id, libMetaFile)
	}
	if err := tightenLibrary(ls.root, td, dir); err != nil {
		return nil, err
	}
	key, err := ls.libraryKey(tenant, id, dir)
	if err != nil {
		return nil, err
	}
	lib, err := library.Open(filepath.Join(dir, libIndexDir), library.Options{Key: key})
	if err != nil {
		return nil, err
	}
	if err := errors.Join(cleanOrphans(dir, lib), sealPhotos(dir, key)); err != nil {
		lib.Close()
		return nil, err
	}
	ol := &openLibrary{dir: dir, tenant: tenant, meta: m, lib: lib, key: key}
	ol.ctx, ol.cancel = context.WithCancel(context.Background())
	ol.used.Store(time.Now().UnixNano())
	ls.open[dir] = ol
	if ls.delay > 0 && lib.Ungrouped() > 0 { // uploads whose grouping a restart interrupted
		ls.scheduleGroup(tenant, id)
	}
	return ol, nil
}

// acquire gets a library and locks it, for writing or reading; it opens
// the library again when it was closed for idleness in between. The caller
// calls unlock.
func (ls *libraries) acquire(tenant, id string, write bool) (ol *openLibrary, unlock func(), err error) {
	for {
		if ol, err = ls.get(tenant, id); err != nil {
			return nil, nil, err
		}
		if write {
			ol.mu.Lock()
			unlock = ol.mu.Unlock
		} else {
			ol.mu.RLock()
			unlock = ol.mu.RUnlock
		}
		switch {
		case ol.closed:
			unlock()
		case ol.gone:
			unlock()
			return nil, nil, errNoLibrary
		default:
			return ol, unlock, nil
		}
	}
}

// closeIdle closes the libraries not used since before (and not in use
// now), freeing their memory, and returns how many it closed.
func (ls *libraries) closeIdle(before time.Time) (int, error) {
	if ls == nil {
		return 0, nil
	}
	ls.mu.Lock()
	defer ls.mu.Unlock()
	n := 0
	var errs error
	for dir, ol := range ls.open {
		if ol.used.Load() >= before.UnixNano() || !ol.mu.TryLock() {
			continue
		}
		ol.closed = true
		ol.cancel()
		errs = errors.Join(errs, ol.lib.Close())
		clear(ol.key)
		delete(ls.open, dir)
		ol.mu.Unlock()
		n++
	}
	return n, errs
}

// isOpen reports whether a library is open in this process.
func (ls *libraries) isOpen(tenant, id string) bool {
	td, err := ls.tenantDir(tenant)
	if err != nil {
		return false
	}
	ls.mu.Lock()
	defer ls.mu.Unlock()
	_, ok := ls.open[filepath.Join(td, id)]
	return ok
}

// create makes a new, empty library for a tenant.
func (ls *libraries) create(tenant, name string) (*openLibrary, error) {
	td, err := ls.tenantDir(tenant)
	if err != nil {
		return nil, err
	}
	b := make([]byte, 12)
	rand.Read(b)
	m := libMeta{ID: "lib_" + hex.EncodeToString(b), Name: name, CreatedAt: time.Now().Unix()}
	dir := filepath.Join(td, m.ID)
	for _, d := range []string{libIndexDir, libPhotosDir, libThumbsDir} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			return nil, err
		}
	}
	if _, err := ls.libraryKey(tenant, m.ID, dir); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	data, _ := json.Marshal(m)
	if err := writeFileSync(filepath.Join(dir, libMetaFile), data); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return ls.get(tenant, m.ID)
}

// list returns a tenant's libraries, oldest first.
func (ls *libraries) list(tenant string) ([]*openLibrary, error) {
	td, err := ls.tenantDir(tenant)
	if err != nil {
		return nil, err
	}
	ents, err := os.ReadDir(td)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []*openLibrary
	for _, e := range ents {
		if !e.IsDir() || !libIDPattern.MatchString(e.Name()) {
			continue
		}
		ol, err := ls.get(tenant, e.Name())
		if errors.Is(err, errNoLibrary) {
			continue // being created (meta.json is written last) or deleted
		}
		if err != nil {
			return nil, err
		}
		out = append(out, ol)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].meta.CreatedAt < out[j].meta.CreatedAt })
	return out, nil
}

// writeFileSync writes a new file and fsyncs it and its directory.
func writeFileSync(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	err = errors.Join(err, f.Sync(), f.Close())
	if err != nil {
		os.Remove(path)
		return err
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
