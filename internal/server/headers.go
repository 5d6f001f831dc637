package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"io/fs"
	"net/http"
	"strings"

	"github.com/mienhq/mien/web"
)

// apiCSP is the Content-Security-Policy of every answer but the web UI's:
// nothing may load from an answer, and nothing may frame it.
const apiCSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// uiCSP is the web UI's policy: scripts and styles from itself only (an
// inline script, should the page hold one, allowed by its hash), images
// from itself and from blob: URLs (photos it fetches with the key), API
// calls to itself, the camera's stream; never framed.
var uiCSP = func() string {
	script := "'self'"
	if page, err := fs.ReadFile(web.FS(), "index.html"); err == nil {
		if h := scriptHashes(page); h != "" {
			script += " " + h
		}
	}
	return "default-src 'none'; script-src " + script + "; style-src 'self'; img-src 'self' blob: data:; " +
		"media-src 'self' blob: mediastream:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
}()

// scriptHashes returns the CSP hash sources of page's inline scripts ("" if
// it has none).
func scriptHashes(page []byte) string {
	var out []string
	for {
		_, rest, ok := bytes.Cut(page, []byte("<script>"))
		if !ok {
			break
		}
		body, after, ok := bytes.Cut(rest, []byte("</script>"))
		if !ok {
			break
		}
		sum := sha256.Sum256(body)
		out = append(out, "'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'")
		page = after
	}
	return strings.Join(out, " ")
}

// setSecurityHeaders sets the headers every answer carries.
func setSecurityHeaders(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	if r.Method == http.MethodGet && (r.URL.Path == "/" || r.URL.Path == "/ui" || strings.HasPrefix(r.URL.Path, "/ui/")) {
		h.Set("Content-Security-Policy", uiCSP)
		h.Set("Permissions-Policy", "camera=(self), microphone=(), geolocation=()")
	} else {
		h.Set("Content-Security-Policy", apiCSP)
	}
}
