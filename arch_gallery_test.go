package mien_test

import (
	"slices"
	"testing"
)

// TestOnlyGalleryTouchesIndex holds CONVENTIONS.md's rule that one place
// decides a match: of mien's packages, only internal/gallery imports the
// search index (the HTTP API and the Rekognition adapter go through it).
func TestOnlyGalleryTouchesIndex(t *testing.T) {
	pkgs := listPackages(t)
	if _, ok := pkgs["internal/gallery"]; !ok {
		t.Fatal("internal/gallery not found")
	}
	for rel, p := range pkgs {
		if rel != "internal/gallery" && slices.Contains(p.Imports, module+"/index") {
			t.Errorf("%s imports index: only internal/gallery may", rel)
		}
	}
}
