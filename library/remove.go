package library

import "fmt"

// removedReason marks a path whose photo the user removed from the library:
// `add` skips the file while it is unchanged (a changed file, or the same
// content at another path, is indexed anew).
const removedReason = "removed from the library"

// RemovePhoto erases one photo from the library: its faces, their
// templates, boxes and curation (names of people left without faces are
// dropped with them). The log is rewritten without it, so it is gone from
// disk, not only hidden. It returns how many faces were erased.
func (l *Library) RemovePhoto(hash string) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	p, ok := l.photos[hash]
	if !ok {
		return 0, fmt.Errorf("%w: photo %q", ErrNotFound, hash)
	}
	gone := map[string]bool{}
	for i := range p.faces {
		id := faceID(hash, i)
		gone[id] = true
		delete(l.people.Assign, id)
		delete(l.people.Pinned, id)
		delete(l.people.Ignore, id)
	}
	apart := l.people.Apart[:0]
	for _, pair := range l.people.Apart {
		if !gone[pair[0]] && !gone[pair[1]] {
			apart = append(apart, pair)
		}
	}
	l.people.Apart = apart
	held := map[int]bool{}
	for _, pid := range l.people.Assign {
		held[pid] = true
	}
	for pid := range l.people.Names {
		if !held[pid] {
			delete(l.people.Names, pid)
		}
	}
	for path, st := range l.paths {
		if st.hash == hash {
			l.paths[path] = pathState{size: st.size, mtime: st.mtime, hash: hash, reason: removedReason}
		}
	}
	delete(l.photos, hash)
	delete(l.byPrefix, hash[:12])
	l.invalidate()
	if err := l.compactLog(); err != nil {
		return 0, err
	}
	return len(p.faces), l.savePeople()
}
