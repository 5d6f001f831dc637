package server

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestLibraryRoutesDocumented holds openapi.json true to the library routes.
func TestLibraryRoutesDocumented(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	for _, rt := range (&Server{}).libraryRouteTable() {
		method, path, _ := strings.Cut(rt.pattern, " ")
		if doc.Paths[path][strings.ToLower(method)] == nil {
			t.Errorf("openapi.json lacks %s", rt.pattern)
		}
	}
}
