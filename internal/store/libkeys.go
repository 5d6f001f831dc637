package store

import (
	"crypto/rand"
	"fmt"
)

// Photo libraries (internal/server) keep each library's photos, thumbnails
// and templates sealed under a data key of the library's own, stored in the
// library's directory wrapped by the master key, like a collection's key.
// The store only wraps and unwraps: the wrapped key lives beside the
// library, so forgetting the library destroys it with the files.

func libraryKeyAAD(id string) []byte { return []byte("library-key:" + id) }

// NewLibraryKey makes a photo library's data key (32 bytes) and returns it
// with its form wrapped by the master key for the library id.
func (s *Store) NewLibraryKey(id string) (key, wrapped []byte, err error) {
	key = make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, nil, err
	}
	wrapped, err = seal(s.master, key, libraryKeyAAD(id))
	return key, wrapped, err
}

// UnwrapLibraryKey returns a photo library's data key from its wrapped
// form; it fails under another master key or for another library id.
func (s *Store) UnwrapLibraryKey(id string, wrapped []byte) ([]byte, error) {
	k, err := open(s.master, wrapped, libraryKeyAAD(id))
	if err != nil {
		return nil, fmt.Errorf("store: library %s: %w", id, err)
	}
	return k, nil
}
