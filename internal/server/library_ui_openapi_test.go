package server

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestLibraryUIRoutesDocumented holds openapi.json true to the web app's
// library routes.
func TestLibraryUIRoutesDocumented(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	for _, rt := range (&Server{}).libraryUIRouteTable() {
		method, path, _ := strings.Cut(rt.pattern, " ")
		if doc.Paths[path][strings.ToLower(method)] == nil {
			t.Errorf("openapi.json lacks %s", rt.pattern)
		}
	}
}
