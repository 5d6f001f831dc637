package server

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/mienhq/mien/library"
)

// A library's photos, thumbnails, templates and names are sealed with
// AES-256-GCM under a data key of the library's own (library.Seal). The
// key is kept in the library's directory (LIBRARY/key), wrapped by the
// server's master key (store.NewLibraryKey), and overwritten before the
// directory is removed when the library is forgotten, so no copy of a
// file that survives on disk can be read again.

// libKeyFile holds the library's data key, wrapped by the master key.
const libKeyFile = "key"

// keyStore wraps and unwraps libraries' data keys under the master key
// (*store.Store).
type keyStore interface {
	NewLibraryKey(id string) (key, wrapped []byte, err error)
	UnwrapLibraryKey(id string, wrapped []byte) ([]byte, error)
}

// libraryKey returns a library's data key, making one for a library that
// has none (made before sealing: opening it seals its files). With no
// key store libraries are stored unsealed (nil).
func (ls *libraries) libraryKey(tenant, id, dir string) ([]byte, error) {
	if ls.keys == nil {
		return nil, nil
	}
	path := filepath.Join(dir, libKeyFile)
	wrapped, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		key, wrapped, err := ls.keys.NewLibraryKey(tenant + "/" + id)
		if err != nil {
			return nil, err
		}
		if err := writeFileSync(path, wrapped); err != nil {
			return nil, err
		}
		return key, nil
	}
	if err != nil {
		return nil, err
	}
	return ls.keys.UnwrapLibraryKey(tenant+"/"+id, wrapped)
}

// destroyKey overwrites a library's wrapped key in place and syncs it, so
// that the key is gone from the file's blocks, not only unlinked.
func destroyKey(dir string) error {
	path := filepath.Join(dir, libKeyFile)
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	st, err := f.Stat()
	if err == nil {
		_, err = f.WriteAt(make([]byte, st.Size()), 0)
	}
	err = errors.Join(err, f.Sync(), f.Close())
	return errors.Join(err, os.Remove(path))
}

// photoAAD and thumbAAD bind a sealed file to its name.
func photoAAD(hash string) []byte { return []byte("library-photo:" + hash) }
func thumbAAD(name string) []byte { return []byte("library-thumb:" + name) }

// sealed seals data under the library's key (as it is without one).
func (ol *openLibrary) sealed(data, aad []byte) ([]byte, error) {
	if ol.key == nil {
		return data, nil
	}
	return library.Seal(ol.key, data, aad)
}

// unsealed reads a file of the library and unseals it.
func (ol *openLibrary) unsealed(path string, aad []byte) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil || ol.key == nil {
		return b, err
	}
	if !library.IsSealed(b) {
		return nil, fmt.Errorf("server: %s is not sealed", filepath.Base(path))
	}
	return library.Unseal(ol.key, b, aad)
}

// writePhoto stores an uploaded photo's bytes, sealed.
func (ol *openLibrary) writePhoto(hash string, data []byte) error {
	b, err := ol.sealed(data, photoAAD(hash))
	if err != nil {
		return err
	}
	return writeFileSync(filepath.Join(ol.dir, libPhotosDir, hash), b)
}

// readPhoto returns a stored photo's bytes.
func (ol *openLibrary) readPhoto(hash string) ([]byte, error) {
	b, err := ol.unsealed(filepath.Join(ol.dir, libPhotosDir, hash), photoAAD(hash))
	if err != nil {
		return nil, fmt.Errorf("server: photo %s: %w", hash[:12], err)
	}
	return b, nil
}

// sealPhotos seals in place the photos a library made before sealing
// holds in plain; thumbnails in plain are removed (they are cut again).
// The caller has the library to itself (get, before publishing it).
func sealPhotos(dir string, key []byte) error {
	if key == nil {
		return nil
	}
	for _, sub := range []string{libPhotosDir, libThumbsDir} {
		ents, err := os.ReadDir(filepath.Join(dir, sub))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		for _, e := range ents {
			path := filepath.Join(dir, sub, e.Name())
			b, err := os.ReadFile(path)
			if err != nil || library.IsSealed(b) {
				continue
			}
			if sub == libThumbsDir {
				os.Remove(path)
				continue
			}
			if err := resealPhoto(path, e.Name(), key, b); err != nil {
				return err
			}
		}
	}
	return nil
}

// resealPhoto replaces a plain photo by its sealed form (write, sync,
// rename) and overwrites nothing else.
func resealPhoto(path, hash string, key, plain []byte) error {
	b, err := library.Seal(key, plain, photoAAD(hash))
	if err != nil {
		return err
	}
	tmp := path + ".sealing"
	os.Remove(tmp)
	if err := writeFileSync(tmp, b); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	syncDir(filepath.Dir(path))
	return nil
}

// storedExpiry reads the expiry setting of a library that is not open.
func (ls *libraries) storedExpiry(tenant, id string) (time.Duration, error) {
	dir := filepath.Join(ls.root, tenant, id)
	ls.mu.Lock() // beside get, which may be making the same library's key
	defer ls.mu.Unlock()
	if _, err := os.Stat(filepath.Join(dir, libMetaFile)); err != nil || ls.deleting[dir] {
		return 0, errNoLibrary
	}
	key, err := ls.libraryKey(tenant, id, dir)
	if err != nil {
		return 0, err
	}
	defer clear(key)
	return library.StoredExpiry(filepath.Join(dir, libIndexDir), key)
}
