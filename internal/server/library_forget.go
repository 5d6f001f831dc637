package server

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mienhq/mien/library"
)

// trashPrefix names a library directory being deleted: forget renames the
// directory first (atomically taking it away from every request), then
// removes it; a deletion a crash interrupted is finished on the next start.
const trashPrefix = ".forget-"

// forget deletes everything a library holds: templates, boxes, grouping,
// names, photos, thumbnails and its directory. Deletion wins over the
// library's readers: from the start no request can open the library (404),
// current requests are waited for (at most retireWait; long grouping is
// cancelled), and the directory is removed even if one still runs.
func (ls *libraries) forget(tenant, id string) error {
	td, err := ls.tenantDir(tenant)
	if err != nil {
		return err
	}
	if !libIDPattern.MatchString(id) {
		return errNoLibrary
	}
	dir := filepath.Join(td, id)
	ls.mu.Lock()
	if _, err := os.Stat(filepath.Join(dir, libMetaFile)); ls.deleting[dir] || err != nil {
		ls.mu.Unlock()
		return errNoLibrary
	}
	ls.deleting[dir] = true
	ol := ls.open[dir]
	delete(ls.open, dir)
	if t := ls.grouping[dir]; t != nil {
		t.Stop()
		delete(ls.grouping, dir)
	}
	ls.mu.Unlock()
	defer func() {
		ls.mu.Lock()
		delete(ls.deleting, dir)
		ls.mu.Unlock()
	}()
	if ol != nil {
		ls.retire(ol)
	}
	b := make([]byte, 8)
	rand.Read(b)
	trash := filepath.Join(td, trashPrefix+id+"-"+hex.EncodeToString(b))
	if err := os.Rename(dir, trash); err != nil {
		return fmt.Errorf("server: forgetting library %s: %w", id, err)
	}
	syncDir(td)
	if err := removeTrash(trash); err != nil {
		return fmt.Errorf("server: forgetting library %s: %w", id, err)
	}
	os.Remove(td) // the tenant's directory, when it is empty now
	return nil
}

// retire marks an open library gone and closes it once its current
// requests are done, waiting for them at most retireWait; past that the
// library is closed when the last one finishes.
func (ls *libraries) retire(ol *openLibrary) {
	ol.cancel()
	locked := make(chan struct{})
	go func() {
		ol.mu.Lock()
		ol.gone = true
		close(locked)
	}()
	wait := ls.retireWait
	if wait <= 0 {
		wait = 5 * time.Second
	}
	finish := func() {
		ol.lib.Close()
		clear(ol.key)
		ol.mu.Unlock()
	}
	select {
	case <-locked:
		finish()
	case <-time.After(wait):
		go func() {
			<-locked
			finish()
		}()
	}
}

// removeTrash removes a library directory renamed for deletion, its key
// overwritten first.
func removeTrash(dir string) error {
	return errors.Join(destroyKey(dir), os.RemoveAll(dir))
}

// sweepTrash finishes the deletions a crash interrupted.
func (ls *libraries) sweepTrash() {
	if ls.root == "" {
		return
	}
	left, _ := filepath.Glob(filepath.Join(ls.root, "*", trashPrefix+"*"))
	for _, d := range left {
		removeTrash(d)
		os.Remove(filepath.Dir(d))
	}
}

// cleanOrphans removes what a crash left beside a library: photos written
// but never recorded (an upload killed between the two) or recorded as
// removed, and thumbnails of faces the library does not hold, or half
// written.
func cleanOrphans(dir string, lib *library.Library) error {
	photos, err := os.ReadDir(filepath.Join(dir, libPhotosDir))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	for _, e := range photos {
		if !photoIDPattern.MatchString(e.Name()) || !lib.Has(e.Name()) {
			if err := os.RemoveAll(filepath.Join(dir, libPhotosDir, e.Name())); err != nil {
				return err
			}
		} else if err := library.Tighten(filepath.Join(dir, libPhotosDir), e.Name()); err != nil {
			return err
		}
	}
	thumbs, err := os.ReadDir(filepath.Join(dir, libThumbsDir))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	for _, e := range thumbs {
		if fid, ok := thumbFace(e.Name()); ok {
			if _, err := lib.Face(fid); err == nil {
				if err := library.Tighten(filepath.Join(dir, libThumbsDir), e.Name()); err != nil {
					return err
				}
				continue
			}
		}
		if err := os.RemoveAll(filepath.Join(dir, libThumbsDir, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

// thumbFace returns the face id of a thumbnail's file name (FACE-SIZE.jpg).
func thumbFace(name string) (string, bool) {
	base, ok := strings.CutSuffix(name, ".jpg")
	if !ok {
		return "", false
	}
	i := strings.LastIndexByte(base, '-')
	if i < 0 || !faceIDPattern.MatchString(base[:i]) {
		return "", false
	}
	return base[:i], true
}

// syncDir fsyncs a directory (best effort), making a rename durable.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// tightenLibrary makes the libraries' root, the tenant's directory and the
// library's directories 0700 and its meta.json 0600 where they are wider (a
// library made by an older version); cleanOrphans does the photos and
// thumbnails.
func tightenLibrary(root, tenantDir, dir string) error {
	for _, d := range []string{root, tenantDir, filepath.Join(dir, libPhotosDir), filepath.Join(dir, libThumbsDir)} {
		if err := library.Tighten(d); err != nil {
			return err
		}
	}
	return library.Tighten(dir, libMetaFile, libKeyFile)
}
