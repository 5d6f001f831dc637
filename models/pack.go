package models

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// ManifestFile is the manifest's file name inside a pack directory.
const ManifestFile = "pack.json"

// ErrNotInstalled is returned when a pack or one of its files is missing.
var ErrNotInstalled = errors.New("models: pack not installed")

// Pack is an installed pack: its manifest and the directory holding its files.
// A Pack is safe for concurrent use.
type Pack struct {
	Manifest Manifest
	Dir      string
}

// Load reads the pack installed in dir. It checks the manifest, not the files
// (Read checks each file's sha256 when it is loaded).
func Load(dir string) (*Pack, error) {
	b, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: no %s in %s", ErrNotInstalled, ManifestFile, dir)
	}
	if err != nil {
		return nil, fmt.Errorf("models: %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("models: %s in %s: %w", ManifestFile, dir, err)
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return &Pack{Manifest: m, Dir: dir}, nil
}

// Validate checks that every model has the fields an installer and an engine need.
func (m Manifest) Validate() error {
	if m.Name == "" {
		return errors.New("models: manifest has no name")
	}
	seen := map[string]bool{}
	for i, mod := range m.Models {
		switch {
		case mod.ID == "" || mod.Role == "" || mod.Arch == "" || mod.File == "":
			return fmt.Errorf("models: pack %s model %d: id, role, arch and file are required", m.Name, i)
		case len(mod.SHA256) != 64:
			return fmt.Errorf("models: pack %s model %s: sha256 must be 64 hex digits", m.Name, mod.ID)
		case mod.License == "":
			return fmt.Errorf("models: pack %s model %s: licence is required", m.Name, mod.ID)
		case seen[mod.ID]:
			return fmt.Errorf("models: pack %s: model id %s appears twice", m.Name, mod.ID)
		}
		seen[mod.ID] = true
	}
	return m.validateLiveness()
}

// validateLiveness checks that a liveness calibration names anti-spoof
// models of the pack and a threshold in (0, 1).
func (m Manifest) validateLiveness() error {
	l := m.Liveness
	if l == nil {
		return nil
	}
	if len(l.Models) == 0 || !(l.Threshold > 0 && l.Threshold < 1) {
		return fmt.Errorf("models: pack %s: liveness calibration needs models and a threshold in (0, 1), got %v and %g", m.Name, l.Models, l.Threshold)
	}
	for _, id := range l.Models {
		ok := false
		for _, mod := range m.Models {
			ok = ok || (mod.ID == id && mod.Role == RoleAntiSpoof)
		}
		if !ok {
			return fmt.Errorf("models: pack %s: liveness calibration names %q, which is not an anti-spoof model of the pack", m.Name, id)
		}
	}
	return nil
}

// Models returns the pack's models of a role, highest priority first.
func (p *Pack) Models(role string) []Model {
	var out []Model
	for _, m := range p.Manifest.Models {
		if m.Role == role {
			out = append(out, m)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Priority > out[j].Priority })
	return out
}

// Model returns the highest-priority model of a role.
func (p *Pack) Model(role string) (Model, bool) {
	ms := p.Models(role)
	if len(ms) == 0 {
		return Model{}, false
	}
	return ms[0], true
}

// ModelByID returns the model with the given id.
func (p *Pack) ModelByID(id string) (Model, bool) {
	for _, m := range p.Manifest.Models {
		if m.ID == id {
			return m, true
		}
	}
	return Model{}, false
}

// Read returns a model file's bytes after checking its sha256.
func (p *Pack) Read(m Model) ([]byte, error) {
	b, err := os.ReadFile(filepath.Join(p.Dir, m.File))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s is missing from %s", ErrNotInstalled, m.File, p.Dir)
	}
	if err != nil {
		return nil, fmt.Errorf("models: %w", err)
	}
	if got := SHA256(b); got != m.SHA256 {
		return nil, fmt.Errorf("models: %s: sha256 is %s, manifest says %s (file corrupt or replaced; reinstall the pack)", m.File, got, m.SHA256)
	}
	return b, nil
}

// SHA256 returns the hex sha256 of b.
func SHA256(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}
