package library

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// metaFile holds how the user wants people shown (a cover face, hidden),
// apart from people.json so that grouping never rewrites it.
const metaFile = "people_meta.json"

// PersonMeta is how a person is shown: its cover face, and whether the
// user hid it from the people list.
type PersonMeta struct {
	Cover  string `json:"cover,omitempty"`
	Hidden bool   `json:"hidden,omitempty"`
}

// peopleMeta is people_meta.json.
type peopleMeta struct {
	People map[int]PersonMeta `json:"people"`
}

// readMeta reads people_meta.json (empty when absent). The caller holds l.mu.
func (l *Library) readMeta() (peopleMeta, error) {
	m := peopleMeta{People: map[int]PersonMeta{}}
	b, err := os.ReadFile(filepath.Join(l.dir, metaFile))
	if errors.Is(err, os.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return m, fmt.Errorf("library: %w", err)
	}
	if IsSealed(b) { // sealed under the library's key (Options.Key)
		if l.opts.Key == nil {
			return m, ErrSealed
		}
		if b, err = Unseal(l.opts.Key, b, aadMeta); err != nil {
			return m, err
		}
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("library: %s: %w", metaFile, err)
	}
	if m.People == nil {
		m.People = map[int]PersonMeta{}
	}
	return m, nil
}

// currentMeta drops what no longer holds: settings of people that are gone
// and covers that left their person. The caller holds l.mu.
func (l *Library) currentMeta(m peopleMeta) peopleMeta {
	held := map[int]bool{}
	for _, pid := range l.people.Assign {
		held[pid] = true
	}
	for pid, pm := range m.People {
		if pm.Cover != "" && l.people.Assign[pm.Cover] != pid {
			pm.Cover = ""
		}
		if !held[pid] || pm == (PersonMeta{}) {
			delete(m.People, pid)
			continue
		}
		m.People[pid] = pm
	}
	return m
}

// PeopleMeta returns the settings of the current people (a person without
// any is absent).
func (l *Library) PeopleMeta() (map[int]PersonMeta, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	m, err := l.readMeta()
	if err != nil {
		return nil, err
	}
	return l.currentMeta(m).People, nil
}

// updateMeta changes one person's settings and writes people_meta.json.
func (l *Library) updateMeta(pid int, fn func(*PersonMeta) error) (PersonMeta, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.checkPerson(pid); err != nil {
		return PersonMeta{}, err
	}
	m, err := l.readMeta()
	if err != nil {
		return PersonMeta{}, err
	}
	pm := m.People[pid]
	if err := fn(&pm); err != nil {
		return PersonMeta{}, err
	}
	m.People[pid] = pm
	m = l.currentMeta(m)
	b, err := json.Marshal(m)
	if err != nil {
		return PersonMeta{}, err
	}
	if l.opts.Key != nil {
		if b, err = Seal(l.opts.Key, b, aadMeta); err != nil {
			return PersonMeta{}, err
		}
	}
	return pm, writeFileAtomic(filepath.Join(l.dir, metaFile), b)
}

// SetCover makes a face of the person its cover ("" returns to the default).
func (l *Library) SetCover(pid int, faceID string) (PersonMeta, error) {
	return l.updateMeta(pid, func(pm *PersonMeta) error {
		if faceID != "" && l.people.Assign[faceID] != pid {
			return fmt.Errorf("%w: face %q in person %d", ErrNotFound, faceID, pid)
		}
		pm.Cover = faceID
		return nil
	})
}

// SetHidden hides a person from the people list, or shows it again.
func (l *Library) SetHidden(pid int, hidden bool) (PersonMeta, error) {
	return l.updateMeta(pid, func(pm *PersonMeta) error {
		pm.Hidden = hidden
		return nil
	})
}

// Suggestion proposes merging two people: they carry the same name, or
// the average similarity between their faces is at least the minimum.
type Suggestion struct {
	A          int     `json:"a"`
	B          int     `json:"b"`
	Reason     string  `json:"reason"` // "same_name" or "similar"
	Similarity float32 `json:"similarity"`
}

// Suggestions lists people that may be one person, most likely first, at
// most limit of them. People the user kept apart (a split or a move between
// them), differently named people and hidden people are never proposed.
func (l *Library) Suggestions(minSimilarity float32, limit int) ([]Suggestion, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	m, err := l.readMeta()
	if err != nil {
		return nil, err
	}
	means, ids := l.personMeans(l.currentMeta(m))
	apart := map[[2]int]bool{}
	for _, p := range l.people.Apart {
		a, b := l.people.Assign[p[0]], l.people.Assign[p[1]]
		apart[[2]int{a, b}], apart[[2]int{b, a}] = true, true
	}
	out := []Suggestion{}
	for i, a := range ids {
		for _, b := range ids[i+1:] {
			if apart[[2]int{a, b}] {
				continue
			}
			na, nb := strings.ToLower(l.people.Names[a]), strings.ToLower(l.people.Names[b])
			sim := dot(means[a], means[b])
			switch {
			case na != "" && na == nb:
				out = append(out, Suggestion{A: a, B: b, Reason: "same_name", Similarity: sim})
			case (na == "" || nb == "") && sim >= minSimilarity:
				out = append(out, Suggestion{A: a, B: b, Reason: "similar", Similarity: sim})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if (out[i].Reason == "same_name") != (out[j].Reason == "same_name") {
			return out[i].Reason == "same_name"
		}
		return out[i].Similarity > out[j].Similarity
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// personMeans returns the mean template of each shown person (the average
// cosine between two people is the dot product of their means) and their
// ids, sorted. The caller holds l.mu.
func (l *Library) personMeans(m peopleMeta) (map[int][]float32, []int) {
	means, counts := map[int][]float32{}, map[int]int{}
	for _, p := range l.photos {
		for i, fr := range p.faces {
			pid := l.people.Assign[faceID(p.Hash, i)]
			if pid == 0 || len(fr.Vector) == 0 || m.People[pid].Hidden {
				continue
			}
			s := means[pid]
			if s == nil {
				s = make([]float32, len(fr.Vector))
				means[pid] = s
			}
			for k, v := range fr.Vector {
				if k < len(s) {
					s[k] += v
				}
			}
			counts[pid]++
		}
	}
	ids := make([]int, 0, len(means))
	for pid, s := range means {
		for k := range s {
			s[k] /= float32(counts[pid])
		}
		ids = append(ids, pid)
	}
	sort.Ints(ids)
	return means, ids
}

func dot(a, b []float32) float32 {
	var s float32
	for i := range min(len(a), len(b)) {
		s += a[i] * b[i]
	}
	return s
}

// PhotoPaths returns every photo's paths, by content hash.
func (l *Library) PhotoPaths() map[string][]string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[string][]string, len(l.photos))
	for h, p := range l.photos {
		out[h] = append([]string(nil), p.Paths...)
	}
	return out
}
