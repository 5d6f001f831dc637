package library

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// expiredReason marks a face whose template was erased by Expire.
const expiredReason = "expired"

// ExpireReport says what Expire erased.
type ExpireReport struct {
	People int `json:"people"` // unnamed, unconfirmed people removed
	Faces  int `json:"faces"`  // templates erased
}

// SetExpiry sets how long unnamed, unconfirmed people are kept after their
// newest photo was added (0 keeps them forever). `add` applies it after
// grouping; Expire applies it at once.
func (l *Library) SetExpiry(d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("library: expiry %v is negative", d)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.people.ExpireAfter = int64(d / time.Second)
	return l.savePeople()
}

// StoredExpiry reads the expiry setting of the library in dir without
// opening it (0: never, or no setting stored yet); key is the library's
// sealing key (nil for a library stored unsealed).
func StoredExpiry(dir string, key []byte) (time.Duration, error) {
	b, _, err := readPeopleFile(dir, key)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	var st struct {
		ExpireAfter int64 `json:"expire_after"`
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return 0, fmt.Errorf("library: %s: %w", peopleFile, err)
	}
	return time.Duration(st.ExpireAfter) * time.Second, nil
}

// Expiry returns the library's expiry (0 = never).
func (l *Library) Expiry() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return time.Duration(l.people.ExpireAfter) * time.Second
}

// Expire erases the templates of every unnamed, unconfirmed person whose
// newest photo was added more than ttl before now (ttl 0: the library's
// expiry; nothing happens when that is 0 too). The faces stay listed as
// ignored ("expired") so that re-indexing does not bring them back, and
// the log is rewritten without their templates, so they are gone from
// disk, not only hidden.
func (l *Library) Expire(now time.Time, ttl time.Duration) (ExpireReport, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if ttl <= 0 {
		ttl = time.Duration(l.people.ExpireAfter) * time.Second
	}
	var rep ExpireReport
	if ttl <= 0 {
		return rep, nil
	}
	cutoff := now.Add(-ttl).Unix()
	faces := l.allFaces()
	newest := map[int]int64{}
	confirmed := map[int]bool{}
	for _, f := range faces {
		pid, ok := l.people.Assign[f.id]
		if !ok {
			continue
		}
		confirmed[pid] = confirmed[pid] || l.people.Pinned[f.id]
		newest[pid] = max(newest[pid], f.photo.Added)
	}
	expired := map[int]bool{}
	for pid, added := range newest {
		if l.people.Names[pid] == "" && !confirmed[pid] && added < cutoff {
			expired[pid] = true
		}
	}
	if len(expired) == 0 {
		return rep, nil
	}
	rep.People = len(expired)
	for _, f := range faces {
		pid, ok := l.people.Assign[f.id]
		if !ok || !expired[pid] {
			continue
		}
		f.photo.faces[f.index].Vector = nil
		delete(l.people.Assign, f.id)
		l.people.Ignore[f.id] = expiredReason
		rep.Faces++
	}
	if err := l.compactLog(); err != nil {
		return rep, err
	}
	return rep, l.savePeople()
}

// compactLog rewrites the log from the library's state (photos first, then
// the other paths), atomically, and reopens it for appending. The caller
// holds l.mu.
func (l *Library) compactLog() error {
	l.version++
	if err := l.log.commit(); err != nil {
		return err
	}
	var buf bytes.Buffer
	enc := lineEncoder{w: &buf, key: l.opts.Key}
	if err := enc.Encode(record{Type: "meta", Format: formatTag, Model: l.model}); err != nil {
		return err
	}
	hashes := make([]string, 0, len(l.photos))
	for h := range l.photos {
		hashes = append(hashes, h)
	}
	sort.Strings(hashes)
	first := map[string]bool{}
	for _, h := range hashes {
		p := l.photos[h]
		r := record{Type: "photo", Hash: h, Width: p.Width, Height: p.Height, Added: p.Added, Faces: p.faces}
		if len(p.Paths) > 0 {
			st := l.paths[p.Paths[0]]
			r.Path, r.Size, r.MTime = p.Paths[0], st.size, st.mtime
			first[p.Paths[0]] = true
		}
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	paths := make([]string, 0, len(l.paths))
	for p := range l.paths {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		st := l.paths[p]
		switch {
		case first[p]:
			continue
		case st.reason != "":
			enc.Encode(record{Type: "error", Path: p, Size: st.size, MTime: st.mtime, Hash: st.hash, Reason: st.reason})
		default:
			enc.Encode(record{Type: "path", Path: p, Size: st.size, MTime: st.mtime, Hash: st.hash})
		}
	}
	path := filepath.Join(l.dir, logFile)
	if err := l.log.f.Close(); err != nil {
		return fmt.Errorf("library: %w", err)
	}
	if err := writeFileAtomic(path, buf.Bytes()); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("library: %w", err)
	}
	l.log = &logWriter{f: f, key: l.opts.Key}
	return nil
}

// lineEncoder writes log lines (sealed under key when it is set).
type lineEncoder struct {
	w   *bytes.Buffer
	key []byte
}

func (e lineEncoder) Encode(r record) error {
	b, err := encodeLine(e.key, r)
	if err != nil {
		return err
	}
	e.w.Write(b)
	return nil
}
