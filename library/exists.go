package library

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Exists reports whether dir holds a library (Open creates one when it does
// not: callers that must not create one ask first).
func Exists(dir string) (bool, error) {
	_, err := os.Stat(filepath.Join(dir, logFile))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	}
	return false, fmt.Errorf("library: %w", err)
}
