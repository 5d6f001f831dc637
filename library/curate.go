package library

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/quality"
)

// ErrNotFound is returned for an unknown person or face id.
var ErrNotFound = errors.New("library: not found")

// Person is a group of faces.
type Person struct {
	ID    int    `json:"id"`
	Name  string `json:"name,omitempty"`
	Faces int    `json:"faces"`
	// Photos counts distinct photos the person appears in.
	Photos int `json:"photos"`
	// Confirmed is true when the user named or curated the person.
	Confirmed bool `json:"confirmed"`
}

// Face is one stored face, without its template.
type Face struct {
	ID        string          `json:"id"`
	Photo     string          `json:"photo"` // content hash
	Path      string          `json:"path"`  // first known path
	Box       face.Rect       `json:"box"`
	Landmarks face.Landmarks5 `json:"landmarks"`
	Score     float32         `json:"score"`
	Quality   quality.Quality `json:"quality"`
	Person    int             `json:"person,omitempty"` // 0: in no person
	Ignored   string          `json:"ignored,omitempty"`
}

// People lists the people, most faces first.
func (l *Library) People() []Person {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.peopleLocked()
}

func (l *Library) peopleLocked() []Person {
	byID := map[int]*Person{}
	photos := map[int]map[string]bool{}
	for fid, pid := range l.people.Assign {
		p := byID[pid]
		if p == nil {
			p = &Person{ID: pid, Name: l.people.Names[pid]}
			byID[pid] = p
			photos[pid] = map[string]bool{}
		}
		p.Faces++
		photos[pid][fid[:12]] = true
		if l.people.Pinned[fid] {
			p.Confirmed = true
		}
	}
	out := make([]Person, 0, len(byID))
	for pid, p := range byID {
		p.Photos = len(photos[pid])
		out = append(out, *p)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Faces != out[j].Faces {
			return out[i].Faces > out[j].Faces
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// Faces lists every face (person 0 = all faces), sorted by id.
func (l *Library) Faces(person int) []Face {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []Face
	for _, f := range l.allFaces() {
		pid := l.people.Assign[f.id]
		if person != 0 && pid != person {
			continue
		}
		out = append(out, l.faceInfo(f))
	}
	return out
}

func (l *Library) faceInfo(f faceRef) Face {
	fr := f.photo.faces[f.index]
	path := ""
	if len(f.photo.Paths) > 0 {
		path = f.photo.Paths[0]
	}
	return Face{ID: f.id, Photo: f.photo.Hash, Path: path, Box: fr.Box, Landmarks: fr.Landmarks, Score: fr.Score,
		Quality: fr.Quality, Person: l.people.Assign[f.id], Ignored: l.people.Ignore[f.id]}
}

// Photos lists the indexed photos, sorted by first path.
func (l *Library) Photos() []Photo {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Photo, 0, len(l.photos))
	for _, p := range l.photos {
		q := *p
		q.Paths = append([]string(nil), p.Paths...)
		out = append(out, q)
	}
	sort.Slice(out, func(i, j int) bool { return firstPath(out[i]) < firstPath(out[j]) })
	return out
}

func firstPath(p Photo) string {
	if len(p.Paths) == 0 {
		return ""
	}
	return p.Paths[0]
}

// facesOf lists the ids of a person's faces, sorted. The caller holds l.mu.
func (l *Library) facesOf(pid int) []string {
	var out []string
	for fid, p := range l.people.Assign {
		if p == pid {
			out = append(out, fid)
		}
	}
	sort.Strings(out)
	return out
}

func (l *Library) checkPerson(pid int) error {
	for _, p := range l.people.Assign {
		if p == pid {
			return nil
		}
	}
	return fmt.Errorf("%w: person %d", ErrNotFound, pid)
}

// resolveFace finds a face by id. An id has exactly one spelling (12
// lowercase hex digits, a dash and the index in decimal without leading
// zeros), so no alias ("...-01") can name a face under another key of the
// curation. The caller holds l.mu.
func (l *Library) resolveFace(id string) (faceRef, error) {
	if validFaceID(id) {
		prefix, idx, _ := strings.Cut(id, "-")
		i, _ := strconv.Atoi(idx)
		if p := l.byPrefix[prefix]; p != nil && i < len(p.faces) {
			return faceRef{id: faceID(p.Hash, i), photo: p, index: i}, nil
		}
	}
	return faceRef{}, fmt.Errorf("%w: face %q", ErrNotFound, id)
}

func isLowerHex(s string) bool {
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// Name names a person and confirms its current faces, so they stay
// together when the library is regrouped.
func (l *Library) Name(pid int, name string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.checkPerson(pid); err != nil {
		return err
	}
	name = strings.TrimSpace(name)
	if name == "" {
		delete(l.people.Names, pid)
	} else {
		l.people.Names[pid] = name
	}
	for _, f := range l.facesOf(pid) {
		l.people.Pinned[f] = true
	}
	return l.savePeople()
}

// Merge moves every face of the people in from into person into; the
// merged faces are confirmed together. into keeps its name, or takes the
// first name among from when it has none.
func (l *Library) Merge(into int, from ...int) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, p := range append([]int{into}, from...) {
		if err := l.checkPerson(p); err != nil {
			return err
		}
	}
	for _, p := range from {
		if p == into {
			continue
		}
		for _, f := range l.facesOf(p) {
			l.people.Assign[f] = into
		}
		if l.people.Names[into] == "" && l.people.Names[p] != "" {
			l.people.Names[into] = l.people.Names[p]
		}
		delete(l.people.Names, p)
	}
	for _, f := range l.facesOf(into) {
		l.people.Pinned[f] = true
	}
	l.dropApartWithin(into)
	return l.savePeople()
}

// dropApartWithin removes cannot-link pairs inside one person (a user's
// later merge overrides an earlier split). The caller holds l.mu.
func (l *Library) dropApartWithin(pid int) {
	out := l.people.Apart[:0]
	for _, p := range l.people.Apart {
		if l.people.Assign[p[0]] == pid && l.people.Assign[p[1]] == pid {
			continue
		}
		out = append(out, p)
	}
	l.people.Apart = out
}

// Split moves the given faces of a person into a new person and returns
// its id. Both parts are confirmed and kept apart when regrouping.
func (l *Library) Split(pid int, faceIDs []string) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(faceIDs) == 0 {
		return 0, fmt.Errorf("library: split needs at least one face")
	}
	for _, f := range faceIDs {
		if l.people.Assign[f] != pid {
			return 0, fmt.Errorf("%w: face %q in person %d", ErrNotFound, f, pid)
		}
	}
	rest := len(l.facesOf(pid)) - len(faceIDs)
	nid := l.people.NextID
	l.people.NextID++
	for _, f := range faceIDs {
		l.people.Assign[f] = nid
	}
	for _, f := range append(l.facesOf(pid), faceIDs...) {
		l.people.Pinned[f] = true
	}
	if rest > 0 {
		l.people.Apart = append(l.people.Apart, [2]string{l.facesOf(pid)[0], faceIDs[0]})
	}
	return nid, l.savePeople()
}

// Move puts a face into another person (to=0: into a new person of its
// own) and returns the person it went to. The face is confirmed there and
// kept apart from the person it left.
func (l *Library) Move(faceID string, to int) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f, err := l.resolveFace(faceID)
	if err != nil {
		return 0, err
	}
	if _, ign := l.people.Ignore[f.id]; ign {
		return 0, fmt.Errorf("library: face %s is ignored; unignore it first", f.id)
	}
	if to != 0 {
		if err := l.checkPerson(to); err != nil {
			return 0, err
		}
	} else {
		to = l.people.NextID
		l.people.NextID++
	}
	old, had := l.people.Assign[f.id]
	l.people.Assign[f.id] = to
	l.people.Pinned[f.id] = true
	if had && old != to {
		l.keepApart(f.id, l.facesOf(old))
	}
	l.dropApartWithin(to)
	return to, l.savePeople()
}

// keepApart records cannot-link pairs between a face and (up to 64 of) a
// person's faces, confirmed ones first. The caller holds l.mu.
func (l *Library) keepApart(id string, others []string) {
	sort.SliceStable(others, func(i, j int) bool { return l.people.Pinned[others[i]] && !l.people.Pinned[others[j]] })
	for i, o := range others {
		if i == 64 {
			break
		}
		l.people.Apart = append(l.people.Apart, [2]string{id, o})
	}
}

// NotPerson takes a face out of its person ("not this person"): it becomes
// a person of its own and is kept apart from the one it left.
func (l *Library) NotPerson(faceID string) (int, error) { return l.Move(faceID, 0) }

// Ignore leaves a face out of every person (reason: "ignore", or
// "not-a-face" for a false detection).
func (l *Library) Ignore(faceID, reason string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	f, err := l.resolveFace(faceID)
	if err != nil {
		return err
	}
	if reason == "" {
		reason = "ignore"
	}
	l.people.Ignore[f.id] = reason
	delete(l.people.Assign, f.id)
	delete(l.people.Pinned, f.id)
	return l.savePeople()
}

// Unignore returns an ignored face to grouping; it is placed on the next
// Group.
func (l *Library) Unignore(faceID string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	f, err := l.resolveFace(faceID)
	if err != nil {
		return err
	}
	if l.people.Ignore[f.id] == expiredReason {
		return fmt.Errorf("library: face %s expired and its template was erased; re-index the photo to bring it back", f.id)
	}
	delete(l.people.Ignore, f.id)
	return l.savePeople()
}
