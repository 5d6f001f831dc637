// Package web holds the operator's web UI: one static page embedded in the
// binary (no build step), which talks to the /v1 API with an API key.
package web

import (
	"embed"
	"io/fs"
)

//go:embed static
var static embed.FS

// FS returns the UI's files (index.html at the root).
func FS() fs.FS {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	return sub
}
