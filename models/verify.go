package models

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// FileStatus is the state of one installed model file.
type FileStatus struct {
	ID      string `json:"id"`
	File    string `json:"file"`
	OK      bool   `json:"ok"`
	Problem string `json:"problem,omitempty"`
}

// Verify checks that every file of the pack in dir is present with the
// manifest's size and sha256.
func Verify(dir string) ([]FileStatus, error) {
	p, err := Load(dir)
	if err != nil {
		return nil, err
	}
	var out []FileStatus
	for _, m := range p.Manifest.Models {
		st := FileStatus{ID: m.ID, File: m.File}
		fi, err := os.Stat(filepath.Join(dir, m.File))
		switch {
		case err != nil:
			st.Problem = "missing"
		case m.Size > 0 && fi.Size() != m.Size:
			st.Problem = fmt.Sprintf("size %d, manifest says %d", fi.Size(), m.Size)
		default:
			sum, err := fileSHA256(filepath.Join(dir, m.File))
			if err != nil {
				st.Problem = err.Error()
			} else if sum != m.SHA256 {
				st.Problem = "sha256 mismatch (corrupt or replaced)"
			} else {
				st.OK = true
			}
		}
		out = append(out, st)
	}
	return out, nil
}

// Installed is a pack found in a models directory.
type Installed struct {
	Name string `json:"name"`
	Dir  string `json:"dir"`
	// Manifest is the installed manifest.
	Manifest Manifest `json:"-"`
}

// List returns the packs installed in modelsDir (subdirectories holding a
// manifest), by name.
func List(modelsDir string) ([]Installed, error) {
	entries, err := os.ReadDir(modelsDir)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("models: %w", err)
	}
	var out []Installed
	for _, e := range entries {
		dir := filepath.Join(modelsDir, e.Name())
		p, err := Load(dir)
		if err != nil {
			continue
		}
		out = append(out, Installed{Name: p.Manifest.Name, Dir: dir, Manifest: p.Manifest})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
