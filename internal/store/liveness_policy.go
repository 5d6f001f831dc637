package store

// migrationLivenessPolicy adds a collection's liveness policy to its
// decision settings: when set, enrolment needs a one-time liveness token (a
// face seen live in a challenge session), not photos alone.
var migrationLivenessPolicy = `
	ALTER TABLE collection_settings ADD COLUMN require_liveness INTEGER NOT NULL DEFAULT 0;`
