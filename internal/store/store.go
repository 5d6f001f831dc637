// Package store is mien's embedded database: SQLite in WAL mode holding
// tenants, hashed API keys, collections bound to a recognizer model,
// subjects with their consent records, templates sealed with AES-256-GCM
// under a per-collection data key (itself wrapped by the master key), and
// an append-only, hash-chained audit log. It never holds images, and the
// audit log never holds templates.
//
// A Store is safe for concurrent use.
package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // database/sql driver "sqlite"
)

// Errors callers act on.
var (
	ErrNotFound     = errors.New("store: not found")
	ErrExists       = errors.New("store: already exists")
	ErrUnauthorized = errors.New("store: unknown or revoked API key")
	ErrConsent      = errors.New("store: consent record incomplete or expired")
)

// Store is an open database.
type Store struct {
	db     *sql.DB
	master []byte
	now    func() time.Time
	// scrubPending is set while an erasure's WAL checkpoint has not completed.
	scrubPending atomic.Bool
	// secured: the schema has the key check and the audit anchor (keycheck.go).
	secured bool
}

// Options configure Open.
type Options struct {
	// MasterKey wraps every collection's data key (32 bytes, required).
	MasterKey []byte
	// Now returns the current time (tests); nil means time.Now.
	Now func() time.Time
}

// Open opens (creating and migrating) the database file at path.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if len(opts.MasterKey) != 32 {
		return nil, fmt.Errorf("store: the master key must be 32 bytes, got %d", len(opts.MasterKey))
	}
	if err := privateFiles(path); err != nil {
		return nil, err
	}
	// synchronous=FULL: an acknowledged write survives power loss, not only a crash.
	// secure_delete and temp_store: see erase.go.
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=foreign_keys(ON)&_pragma=busy_timeout(5000)" +
		"&_pragma=secure_delete(ON)&_pragma=temp_store(MEMORY)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	db.SetMaxOpenConns(1) // one writer; SQLite serialises writes anyway
	s := &Store{db: db, master: append([]byte(nil), opts.MasterKey...), now: opts.Now}
	if s.now == nil {
		s.now = time.Now
	}
	// Tests that build an older database run with fewer migrations.
	s.secured = slices.Contains(migrations, migrationSecurity)
	err = s.migrate(ctx)
	if err == nil && s.secured {
		err = s.checkMasterKey(ctx)
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the database, first finishing any erasure whose WAL
// checkpoint could not complete (erase.go).
func (s *Store) Close() error {
	if s.scrubPending.Load() {
		s.scrub(context.Background())
	}
	return s.db.Close()
}

// migrations are applied in order; each runs once, in its own transaction.
var migrations = []string{
	`CREATE TABLE tenants (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL);
	 CREATE TABLE api_keys (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
	   hash TEXT NOT NULL UNIQUE, role TEXT NOT NULL, created_at INTEGER NOT NULL, revoked_at INTEGER);
	 CREATE TABLE collections (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
	   name TEXT NOT NULL, model TEXT NOT NULL, wrapped_key BLOB NOT NULL, created_at INTEGER NOT NULL, UNIQUE(tenant_id, name));
	 CREATE TABLE subjects (id TEXT PRIMARY KEY, collection_id TEXT NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
	   external_id TEXT NOT NULL, name TEXT NOT NULL, consent_purpose TEXT NOT NULL, consent_at INTEGER NOT NULL,
	   consent_expires INTEGER NOT NULL, consent_evidence TEXT NOT NULL, created_at INTEGER NOT NULL,
	   UNIQUE(collection_id, external_id));
	 CREATE INDEX subjects_expiry ON subjects(consent_expires);
	 CREATE TABLE templates (id INTEGER PRIMARY KEY AUTOINCREMENT, subject_id TEXT NOT NULL REFERENCES subjects(id) ON DELETE CASCADE,
	   collection_id TEXT NOT NULL, sealed BLOB NOT NULL, quality TEXT NOT NULL, created_at INTEGER NOT NULL);
	 CREATE INDEX templates_collection ON templates(collection_id);
	 CREATE TABLE audit (seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, tenant_id TEXT NOT NULL, actor TEXT NOT NULL,
	   action TEXT NOT NULL, object TEXT NOT NULL, detail TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
	 CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
	 CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;`,
	// 2: the Rekognition-compatible endpoint (rekognition.go, awskeys.go).
	migrationRekognition,
	// 3: the master key's check value, the audit head's anchor, keys' last use, an index of
	// templates by subject (keycheck.go). Found by its content, so it may move.
	migrationSecurity,
	// 4: each collection's decision settings, its default FPIR (gallery_settings.go).
	migrationGallerySettings,
	// 5: answers kept for Rekognition's ClientRequestToken (tokens.go).
	migrationRequestAnswers,
	// cameras, their events, per-minute counts, the webhook outbox (cameras.go).
	migrationCameras,
	// a collection's enrolment may require a liveness token (liveness_policy.go).
	migrationLivenessPolicy,
}

// migrate applies the migrations not yet applied.
func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	var have int
	if err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if have > len(migrations) {
		return fmt.Errorf("store: database schema version %d is newer than this mien (%d)", have, len(migrations))
	}
	for v := have + 1; v <= len(migrations); v++ {
		err := s.tx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, migrations[v-1]); err != nil {
				return err
			}
			if migrations[v-1] == migrationSecurity {
				if err := s.initSecurity(ctx, tx); err != nil {
					return err
				}
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations(version, applied_at) VALUES (?, ?)`, v, s.now().Unix())
			return err
		})
		if errors.Is(err, ErrWrongKey) {
			return err
		}
		if err != nil {
			return fmt.Errorf("store: migration %d: %w", v, err)
		}
	}
	return nil
}

// SchemaVersion returns the applied schema version.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}

// tx runs fn in a transaction, committing when it returns nil.
func (s *Store) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// newID returns a random identifier with a readable prefix.
func newID(prefix string) string {
	b := make([]byte, 12)
	rand.Read(b)
	return prefix + "_" + hex.EncodeToString(b)
}
