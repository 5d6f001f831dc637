package library

import (
	"context"
	"sort"

	"github.com/mienhq/mien/cluster"
)

// faceRef locates a stored face.
type faceRef struct {
	id    string
	photo *Photo
	index int
}

// allFaces lists every stored face, sorted by id (once per change of the
// photos: callers must not modify the slice). The caller holds l.mu.
func (l *Library) allFaces() []faceRef {
	if l.faceList != nil {
		return l.faceList
	}
	var out []faceRef
	for _, p := range l.photos {
		for i := range p.faces {
			out = append(out, faceRef{id: faceID(p.Hash, i), photo: p, index: i})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	l.faceList = out
	return out
}

// groupable reports whether a face takes part in grouping. The caller
// holds l.mu.
func (l *Library) groupable(f faceRef) bool {
	if _, ign := l.people.Ignore[f.id]; ign {
		return false
	}
	fr := f.photo.faces[f.index]
	return len(fr.Vector) > 0 && min(fr.Box.Dx(), fr.Box.Dy()) >= l.opts.MinFaceSize
}

// Group places faces into people and returns how many faces it placed.
// Incrementally (full=false) only faces not yet in a person are placed:
// each joins an existing person or forms new people with other new faces,
// and existing people are left as they are. With full=true every face is
// re-clustered from scratch, honouring the curation: faces the user placed
// stay together, pairs the user separated stay apart, and each person keeps
// its id and name where most of its faces go.
func (l *Library) Group(ctx context.Context, full bool) (int, error) {
	// The clustering (seconds for tens of thousands of faces) runs without
	// the lock, on a snapshot, so the library keeps answering meanwhile; a
	// change in between (an upload, a curation) makes it start again, and
	// the last attempt holds the lock throughout.
	for attempt := 1; ; attempt++ {
		last := attempt == 3
		l.mu.Lock()
		faces, vecs, cons, placed := l.groupInput(full)
		version := l.version
		if placed == len(faces) && !full {
			l.mu.Unlock()
			return 0, nil
		}
		if !last {
			l.mu.Unlock()
		}
		labels, err := cluster.Cluster(ctx, vecs, l.opts.Cluster, cons)
		if !last {
			l.mu.Lock()
		}
		if err != nil {
			l.mu.Unlock()
			return 0, err
		}
		if l.version != version {
			l.mu.Unlock()
			continue
		}
		n := l.relabel(faces, labels, full)
		err = l.savePeople()
		l.mu.Unlock()
		return n, err
	}
}

// groupInput collects the groupable faces, their templates and the
// constraints of the grouping and the curation, and counts the faces
// already placed. The caller holds l.mu.
func (l *Library) groupInput(full bool) ([]faceRef, [][]float32, cluster.Constraints, int) {
	var faces []faceRef
	for _, f := range l.allFaces() {
		if l.groupable(f) {
			faces = append(faces, f)
		}
	}
	pos := make(map[string]int, len(faces))
	vecs := make([][]float32, len(faces))
	for i, f := range faces {
		pos[f.id] = i
		vecs[i] = f.photo.faces[f.index].Vector
	}
	cons, placed := l.constraints(faces, pos, full)
	return faces, vecs, cons, placed
}

// constraints turns the grouping and the curation into cluster
// constraints and counts the faces already placed. The caller holds l.mu.
func (l *Library) constraints(faces []faceRef, pos map[string]int, full bool) (cluster.Constraints, int) {
	groups := map[int][]int{}
	placed := 0
	for i, f := range faces {
		pid, ok := l.people.Assign[f.id]
		if !ok {
			continue
		}
		placed++
		if full && !l.people.Pinned[f.id] {
			continue
		}
		groups[pid] = append(groups[pid], i)
	}
	var c cluster.Constraints
	ids := make([]int, 0, len(groups))
	for id := range groups {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	for _, id := range ids {
		c.MustLink = append(c.MustLink, groups[id])
	}
	c.Separate = !full
	for _, p := range l.people.Apart {
		a, okA := pos[p[0]]
		b, okB := pos[p[1]]
		if okA && okB {
			c.CannotLink = append(c.CannotLink, [2]int{a, b})
		}
	}
	return c, placed
}

// relabel maps cluster labels to person ids: each cluster takes the id
// most of its previously placed faces had (largest clusters choose first),
// or a new id. It returns the number of faces whose person changed or that
// were newly placed. The caller holds l.mu.
func (l *Library) relabel(faces []faceRef, labels []int, full bool) int {
	members := map[int][]int{}
	for i, lab := range labels {
		members[lab] = append(members[lab], i)
	}
	order := make([]int, 0, len(members))
	for lab := range members {
		order = append(order, lab)
	}
	sort.Slice(order, func(i, j int) bool {
		a, b := members[order[i]], members[order[j]]
		if len(a) != len(b) {
			return len(a) > len(b)
		}
		return order[i] < order[j]
	})
	taken := map[int]bool{}
	assign := make(map[string]int, len(faces))
	for _, lab := range order {
		votes := map[int]int{}
		for _, i := range members[lab] {
			if pid, ok := l.people.Assign[faces[i].id]; ok && !taken[pid] {
				votes[pid]++
			}
		}
		best, bestN := 0, 0
		for pid, n := range votes {
			if n > bestN || (n == bestN && pid < best) {
				best, bestN = pid, n
			}
		}
		if best == 0 {
			best = l.people.NextID
			l.people.NextID++
		}
		taken[best] = true
		for _, i := range members[lab] {
			assign[faces[i].id] = best
		}
	}
	changed := 0
	for id, pid := range assign {
		if old, ok := l.people.Assign[id]; !ok || old != pid {
			changed++
		}
	}
	for pid := range l.people.Names {
		if !taken[pid] {
			delete(l.people.Names, pid) // every face of the person went elsewhere
		}
	}
	l.people.Assign = assign
	return changed
}
