package models

import (
	"embed"
	"encoding/json"
	"fmt"
	"sort"
)

//go:embed packs/*.json
var builtinFS embed.FS

// Builtin returns the manifests of the packs mien knows, by name.
func Builtin() ([]Manifest, error) {
	entries, err := builtinFS.ReadDir("packs")
	if err != nil {
		return nil, fmt.Errorf("models: %w", err)
	}
	var out []Manifest
	for _, e := range entries {
		b, err := builtinFS.ReadFile("packs/" + e.Name())
		if err != nil {
			return nil, fmt.Errorf("models: %w", err)
		}
		var m Manifest
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("models: embedded %s: %w", e.Name(), err)
		}
		if err := m.Validate(); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// BuiltinPack returns the embedded manifest of a named pack.
func BuiltinPack(name string) (Manifest, error) {
	all, err := Builtin()
	if err != nil {
		return Manifest{}, err
	}
	var names []string
	for _, m := range all {
		if m.Name == name {
			return m, nil
		}
		names = append(names, m.Name)
	}
	return Manifest{}, fmt.Errorf("models: no pack named %q (known packs: %v)", name, names)
}

// ThresholdAt returns the calibrated cosine threshold at a false-match rate.
func (m Model) ThresholdAt(far float64) (float32, bool) {
	for _, t := range m.Thresholds {
		if t.FAR == far {
			return t.Cosine, true
		}
	}
	return 0, false
}
