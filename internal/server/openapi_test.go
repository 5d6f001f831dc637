package server_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestOpenAPICoversRoutes checks that every authenticated /v1 route the
// server registers (s.handle("METHOD /path", ...) or a route table entry) is in openapi.json with
// that method. It reads the sources, so it needs no models.
func TestOpenAPICoversRoutes(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]any `json:"paths"`
	}
	b, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	files, _ := filepath.Glob("*.go")
	route := regexp.MustCompile(`(?:s\.handle\(|\{)"([A-Z]+) (/v1/[^"]*)"`)
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, _ := os.ReadFile(f)
		for _, m := range route.FindAllStringSubmatch(string(src), -1) {
			n++
			method, path := strings.ToLower(m[1]), m[2]
			if doc.Paths[path] == nil || doc.Paths[path][method] == nil {
				t.Errorf("%s: %s %s is not documented in openapi.json", f, m[1], path)
			}
		}
	}
	if n < 30 {
		t.Fatalf("found only %d routes: the pattern no longer matches routes.go", n)
	}
}
