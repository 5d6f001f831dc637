package store

// Erasure that reaches the disk. Deleting a row in SQLite only unlinks it:
// its bytes stay in the freed space of its page, in free pages, and in every
// frame of the write-ahead log that held the page. So the store
//
//   - opens every connection with secure_delete=ON: SQLite overwrites deleted
//     content (cells, freed pages, overflow pages) with zeros, in the tables
//     and their indexes;
//   - after each erasure (subject, collection, faces, expired consent, an
//     access key's secret), checkpoints the WAL into the database file with
//     TRUNCATE: the zeroed pages replace the old ones in the file, and the
//     log that still held the old pages is cut to zero bytes;
//   - keeps SQLite's temporary files in memory (temp_store=MEMORY), so sorts
//     and indexes built for queries never spill rows into the temp directory.
//
// A collection's wrapped data key sits in its collections row and goes the
// same way: once it is zeroed, templates that somehow survived elsewhere
// (a backup, a disk block the filesystem had not reused) cannot be unsealed.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
)

// privateFiles creates the database file readable by its owner only and
// narrows an existing one (and its -wal and -shm files, which SQLite creates
// with the database file's mode) to 0600.
func privateFiles(path string) error {
	if path == "" || strings.HasPrefix(path, ":memory:") || strings.HasPrefix(path, "file:") {
		return nil
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	f.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("store: %w", err)
		}
	}
	return nil
}

// scrub checkpoints the WAL into the database file and truncates it. It
// fails (busy) while another connection reads an older snapshot; the
// erasure is then finished by the next one, by PurgeExpired or by Close.
func (s *Store) scrub(ctx context.Context) error {
	var busy, logFrames, done int
	err := s.db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logFrames, &done)
	if err == nil && busy != 0 {
		err = fmt.Errorf("store: checkpoint busy (%d of %d frames)", done, logFrames)
	}
	s.scrubPending.Store(err != nil)
	return err
}

// erased is called after an erasure has committed. The erasure stands even
// when the checkpoint must wait (it is retried): its error is not the
// caller's.
func (s *Store) erased(ctx context.Context) {
	s.scrub(context.WithoutCancel(ctx))
}
