package store

// What the gallery service needs beyond enrolment: a collection's own
// decision settings (its default false-positive identification rate, a
// "security level") and more photos for a subject already enrolled.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
)

// migrationGallerySettings holds each collection's decision settings. A
// collection without a row uses the server's defaults.
var migrationGallerySettings = `
	CREATE TABLE collection_settings (collection_id TEXT PRIMARY KEY REFERENCES collections(id) ON DELETE CASCADE,
	  fpir REAL NOT NULL, updated_at INTEGER NOT NULL);`

// Settings are a collection's decision settings.
type Settings struct {
	// FPIR is the collection's default false-positive identification rate:
	// the share of people not enrolled whom identify would match to anyone
	// (0: the server's default).
	FPIR float64 `json:"fpir"`
	// RequireLiveness makes enrolment in the collection need a liveness
	// token: a live face seen in a challenge session (liveness_policy.go).
	RequireLiveness bool  `json:"require_liveness"`
	UpdatedAt       int64 `json:"updated_at,omitempty"`
}

// MaxFPIR is the largest false-positive identification rate a collection
// may set as its default.
const MaxFPIR = 0.5

// CheckFPIR returns why fpir cannot be a false-positive identification rate.
func CheckFPIR(fpir float64) error {
	if math.IsNaN(fpir) || fpir <= 0 || fpir > MaxFPIR {
		return fmt.Errorf("store: fpir %g must be over 0 and at most %g", fpir, MaxFPIR)
	}
	return nil
}

// CollectionSettings returns a collection's settings (zero when it set none).
func (s *Store) CollectionSettings(ctx context.Context, collectionID string) (Settings, error) {
	var st Settings
	err := s.db.QueryRowContext(ctx, `SELECT fpir, require_liveness, updated_at FROM collection_settings WHERE collection_id = ?`, collectionID).
		Scan(&st.FPIR, &st.RequireLiveness, &st.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return Settings{}, nil
	}
	return st, wrapErr(err)
}

// SetCollectionSettings stores a tenant's collection's settings, audited;
// an FPIR of 0 returns the collection to the server's default (and with
// RequireLiveness false, the row goes).
func (s *Store) SetCollectionSettings(ctx context.Context, tenantID, collectionID string, st Settings, actor string) (Settings, error) {
	if st.FPIR != 0 {
		if err := CheckFPIR(st.FPIR); err != nil {
			return Settings{}, err
		}
	}
	st.UpdatedAt = s.now().Unix()
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if err := ownedTx(ctx, tx, tenantID, collectionID); err != nil {
			return err
		}
		var err error
		if st.FPIR == 0 && !st.RequireLiveness {
			_, err = tx.ExecContext(ctx, `DELETE FROM collection_settings WHERE collection_id = ?`, collectionID)
		} else {
			_, err = tx.ExecContext(ctx, `INSERT INTO collection_settings(collection_id, fpir, require_liveness, updated_at) VALUES (?,?,?,?)
				ON CONFLICT(collection_id) DO UPDATE SET fpir = excluded.fpir, require_liveness = excluded.require_liveness,
				updated_at = excluded.updated_at`, collectionID, st.FPIR, st.RequireLiveness, st.UpdatedAt)
		}
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, Entry{TenantID: tenantID, Actor: actor, Action: "collection.settings", Object: collectionID,
			Detail: map[string]any{"fpir": st.FPIR, "require_liveness": st.RequireLiveness}})
	})
	if err != nil {
		return Settings{}, wrapErr(err)
	}
	return st, nil
}

// AddTemplates stores more templates of an enrolled subject under the
// consent record it was enrolled with, in one transaction (all or none),
// audited. A subject whose consent has expired gets none (ErrConsent).
func (s *Store) AddTemplates(ctx context.Context, tenantID, collectionID, subjectID string, tpls []Template, actor string) ([]TplRef, error) {
	if len(tpls) == 0 {
		return nil, fmt.Errorf("store: no template to add")
	}
	key, err := s.collectionKey(ctx, tenantID, collectionID)
	if err != nil {
		return nil, err
	}
	var refs []TplRef
	err = s.tx(ctx, func(tx *sql.Tx) error {
		var exp int64
		err := tx.QueryRowContext(ctx, `SELECT consent_expires FROM subjects WHERE id = ? AND collection_id = ?`, subjectID, collectionID).Scan(&exp)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: subject %s", ErrNotFound, subjectID)
		}
		if err != nil {
			return err
		}
		if exp <= s.now().Unix() {
			return fmt.Errorf("%w: subject %s's consent has expired; enrol them again with a new consent record", ErrConsent, subjectID)
		}
		if refs, err = s.insertTemplates(ctx, tx, key, collectionID, subjectID, tpls); err != nil {
			return err
		}
		return s.audit(ctx, tx, Entry{TenantID: tenantID, Actor: actor, Action: "subject.add_templates", Object: subjectID,
			Detail: map[string]any{"collection": collectionID, "templates": len(tpls)}})
	})
	if err != nil {
		return nil, wrapErr(err)
	}
	return refs, nil
}
