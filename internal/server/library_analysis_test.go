package server_test

import (
	"context"
	"sync"
	"testing"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/detect"
	"github.com/mienhq/mien/internal/server"
	"github.com/mienhq/mien/internal/store"
)

// noFlipEngine is heldEngine (released at once) that also analyses
// without the mirrored crop, and records which path each call took and
// with what detection options.
type noFlipEngine struct {
	heldEngine
	mu    sync.Mutex
	calls []string
	opts  []detect.Options
}

func (e *noFlipEngine) record(path string, o detect.Options) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.calls, e.opts = append(e.calls, path), append(e.opts, o)
}

func (e *noFlipEngine) Analyze(ctx context.Context, data []byte, o detect.Options) (*mien.Analysis, error) {
	e.record("flip", o)
	return e.heldEngine.Analyze(ctx, data, o)
}

func (e *noFlipEngine) AnalyzeNoFlip(ctx context.Context, data []byte, o detect.Options) (*mien.Analysis, error) {
	e.record("no-flip", o)
	return e.heldEngine.Analyze(ctx, data, o)
}

// TestLibraryUploadAnalysis: library uploads are analysed as `mien library
// add` does by default (faces of 40 px and up, detected at the size they
// need, no mirrored crop), and as Options.Library says otherwise.
func TestLibraryUploadAnalysis(t *testing.T) {
	cases := []struct {
		name string
		lib  server.LibraryAnalysis
		path string
		want detect.Options
	}{
		{"default", server.LibraryAnalysis{}, "no-flip", detect.Options{MinSize: 40, FaceSize: 40}},
		{"smallest face 60, flip", server.LibraryAnalysis{SmallestFace: 60, Flip: true}, "flip", detect.Options{MinSize: 60, FaceSize: 60}},
		{"every face", server.LibraryAnalysis{EveryFace: true, SmallestFace: 60}, "no-flip", detect.Options{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			eng := &noFlipEngine{heldEngine: heldEngine{release: make(chan struct{})}}
			close(eng.release)
			e := serve(t, eng, store.Options{}, server.Options{Library: c.lib})
			lib := e.library(e.admin, "family")
			if code, out := e.upload(e.admin, lib, tinyPNG(t, 10), tinyPNG(t, 20)); code != 200 {
				t.Fatalf("upload: %d %v", code, out)
			}
			eng.mu.Lock()
			defer eng.mu.Unlock()
			if len(eng.calls) != 2 {
				t.Fatalf("%d engine calls for 2 photos: %v", len(eng.calls), eng.calls)
			}
			for i, p := range eng.calls {
				if p != c.path || eng.opts[i] != c.want {
					t.Fatalf("call %d: %s with %+v, want %s with %+v", i, p, eng.opts[i], c.path, c.want)
				}
			}
		})
	}
}
