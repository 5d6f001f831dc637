//go:build !unix

package library

import (
	"fmt"
	"os"
	"path/filepath"
)

// lockDir opens the library's lock file; this platform has no flock, so a
// second process is not kept out.
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, lockFile), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("library: %w", err)
	}
	return f, nil
}
