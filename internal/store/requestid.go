package store

import (
	"context"
	"maps"

	"github.com/mienhq/mien/internal/reqid"
)

// withRequestID adds the id of the request an entry is written in (from
// ctx, set by the server) to the entry's detail, as "request_id": the audit
// table has no column for it, and the detail is hashed with the entry.
func withRequestID(ctx context.Context, detail map[string]any) map[string]any {
	id := reqid.From(ctx)
	if id == "" {
		return detail
	}
	d := maps.Clone(detail)
	if d == nil {
		d = map[string]any{}
	}
	d["request_id"] = id
	return d
}
