package library

import (
	"encoding/base64"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Reads are answered from orderings kept between changes: the photos in
// export order and every face by id are sorted once, when first needed
// after a photo or a path changed, not on every read (a library of 30,000
// photos took 10 s per read with a sort on each).

// Summary counts what a library holds, without listing it.
type Summary struct {
	Model       string
	Photos      int
	Faces       int
	Ignored     int // faces left out of every person
	People      int
	NamedPeople int
	Ungrouped   int // faces grouping would place but that are in no person yet
}

// Summary counts the library's photos, faces and people.
func (l *Library) Summary() Summary {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := Summary{Model: l.model, Photos: len(l.photos)}
	for _, f := range l.allFaces() {
		s.Faces++
		if _, ign := l.people.Ignore[f.id]; ign {
			s.Ignored++
		} else if _, ok := l.people.Assign[f.id]; !ok && l.groupable(f) {
			s.Ungrouped++
		}
	}
	people := map[int]bool{}
	for _, pid := range l.people.Assign {
		people[pid] = true
	}
	s.People = len(people)
	for pid, name := range l.people.Names {
		if name != "" && people[pid] {
			s.NamedPeople++
		}
	}
	return s
}

// invalidate drops the kept orderings after photos or paths changed. The
// caller holds l.mu.
func (l *Library) invalidate() {
	l.sorted, l.faceList = nil, nil
}

// photoKey is a photo's place in export order: its first path, else its hash.
func photoKey(p *Photo) string {
	if len(p.Paths) > 0 {
		return p.Paths[0]
	}
	return p.Hash
}

// sortedPhotos returns the photos in export order (first path, then
// hash), sorted once per change. Callers must not modify the slice. The
// caller holds l.mu.
func (l *Library) sortedPhotos() []*Photo {
	if l.sorted != nil || len(l.photos) == 0 {
		return l.sorted
	}
	out := make([]*Photo, 0, len(l.photos))
	for _, p := range l.photos {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return photoBefore(out[i], photoKey(out[j]), out[j].Hash) })
	l.sorted = out
	return out
}

func photoBefore(p *Photo, key, hash string) bool {
	k := photoKey(p)
	return k < key || (k == key && p.Hash < hash)
}

// photoExport is a photo with its faces in index order. The caller holds l.mu.
func (l *Library) photoExport(p *Photo) PhotoExport {
	out := PhotoExport{Hash: p.Hash, Paths: append([]string(nil), p.Paths...), Width: p.Width, Height: p.Height,
		Faces: make([]Face, 0, len(p.faces))}
	for i := range p.faces {
		out.Faces = append(out.Faces, l.faceInfo(faceRef{id: faceID(p.Hash, i), photo: p, index: i}))
	}
	return out
}

// Page selects part of a listing.
type Page struct {
	// Limit is the most items answered (0: all).
	Limit int
	// After is the cursor a previous page answered as next ("": the start).
	After string
}

// ErrBadCursor is returned for a page cursor no listing answered.
var ErrBadCursor = errors.New("library: bad page cursor (pass back the next value of the previous page)")

// PhotosPage lists photos in export order (first path, then hash) with
// their faces, and the cursor of the next page ("" after the last).
func (l *Library) PhotosPage(pg Page) ([]PhotoExport, string, error) {
	var key, hash string
	if pg.After != "" {
		b, err := base64.RawURLEncoding.DecodeString(pg.After)
		var ok bool
		if key, hash, ok = strings.Cut(string(b), "\x00"); err != nil || !ok {
			return nil, "", ErrBadCursor
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	ps := l.sortedPhotos()
	start := 0
	if pg.After != "" {
		start = sort.Search(len(ps), func(i int) bool {
			return !photoBefore(ps[i], key, hash) && !(photoKey(ps[i]) == key && ps[i].Hash == hash)
		})
	}
	end := len(ps)
	if pg.Limit > 0 {
		end = min(end, start+pg.Limit)
	}
	out := make([]PhotoExport, 0, end-start)
	for _, p := range ps[start:end] {
		out = append(out, l.photoExport(p))
	}
	next := ""
	if end < len(ps) && end > start {
		last := ps[end-1]
		next = base64.RawURLEncoding.EncodeToString([]byte(photoKey(last) + "\x00" + last.Hash))
	}
	return out, next, nil
}

// FacesPage lists faces by id (person 0: every face, else that person's),
// and the cursor of the next page ("" after the last).
func (l *Library) FacesPage(person int, pg Page) ([]Face, string, error) {
	if pg.After != "" && !validFaceID(pg.After) {
		return nil, "", ErrBadCursor
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	all := l.allFaces()
	i := sort.Search(len(all), func(i int) bool { return all[i].id > pg.After })
	out := []Face{}
	for ; i < len(all); i++ {
		f := all[i]
		if person != 0 && l.people.Assign[f.id] != person {
			continue
		}
		if pg.Limit > 0 && len(out) == pg.Limit {
			return out, out[len(out)-1].ID, nil
		}
		out = append(out, l.faceInfo(f))
	}
	return out, "", nil
}

// PeoplePage lists people, most faces first (then by id), and the cursor
// of the next page ("" after the last).
func (l *Library) PeoplePage(pg Page) ([]Person, string, error) {
	faces, id := 0, 0
	if pg.After != "" {
		f, p, ok := strings.Cut(pg.After, ".")
		var e1, e2 error
		faces, e1 = strconv.Atoi(f)
		id, e2 = strconv.Atoi(p)
		if !ok || e1 != nil || e2 != nil {
			return nil, "", ErrBadCursor
		}
	}
	people := l.People()
	start := 0
	if pg.After != "" {
		start = sort.Search(len(people), func(i int) bool {
			return people[i].Faces < faces || (people[i].Faces == faces && people[i].ID > id)
		})
	}
	end := len(people)
	if pg.Limit > 0 {
		end = min(end, start+pg.Limit)
	}
	next := ""
	if end < len(people) && end > start {
		next = fmt.Sprintf("%d.%d", people[end-1].Faces, people[end-1].ID)
	}
	return people[start:end], next, nil
}

// validFaceID reports whether id is spelt as a face id.
func validFaceID(id string) bool {
	prefix, idx, ok := strings.Cut(id, "-")
	i, err := strconv.Atoi(idx)
	return ok && err == nil && i >= 0 && strconv.Itoa(i) == idx && len(prefix) == 12 && isLowerHex(prefix)
}
