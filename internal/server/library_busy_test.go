package server_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/detect"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/imageio"
	"github.com/mienhq/mien/internal/server"
	"github.com/mienhq/mien/internal/store"
)

// heldEngine finds one face in any image, once release is closed. It needs
// no models.
type heldEngine struct{ release chan struct{} }

func (h *heldEngine) Analyze(ctx context.Context, data []byte, _ detect.Options) (*mien.Analysis, error) {
	select {
	case <-h.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	info, err := imageio.DecodeConfig(data, imageio.Options{})
	if err != nil {
		return nil, err
	}
	v := make([]float32, 512)
	v[0] = 1
	return &mien.Analysis{Width: info.Width, Height: info.Height, Faces: []mien.Face{{
		Detection: face.Detection{Box: face.R(1, 1, 7, 7), Score: 0.9}, Embedding: face.Embedding{Model: "held", Vector: v}}}}, nil
}
func (*heldEngine) Compare(a, b face.Embedding) (float32, error) { return 0, nil }
func (*heldEngine) Threshold(float64) (float32, error)           { return 0.5, nil }
func (*heldEngine) ModelID() string                              { return "held" }

func tinyPNG(t *testing.T, shade uint8) []byte {
	m := face.NewImage(8, 8)
	for i := range m.Pix {
		m.Pix[i] = shade
	}
	var b bytes.Buffer
	if err := imageio.EncodePNG(&b, m); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestLibraryBusy fills the engine queue with uploads: the next one is
// answered 429 and stores nothing. It also checks tenant isolation without
// models.
func TestLibraryBusy(t *testing.T) {
	eng := &heldEngine{release: make(chan struct{})}
	e := serve(t, eng, store.Options{}, server.Options{Workers: 1, Queue: 1, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	lib := e.library(e.admin, "held")
	var wg sync.WaitGroup
	codes := make([]int, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i], _ = e.upload(e.admin, lib, tinyPNG(t, uint8(10+i)))
		}()
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		_, _, m := e.raw("GET", "/metrics", e.admin, nil, "")
		if bytes.Contains(m, []byte("mien_queue_depth 1")) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the queue never filled:\n%s", m)
		}
		time.Sleep(10 * time.Millisecond)
	}
	body, ct := form(map[string][][]byte{"photos": {tinyPNG(t, 99)}}, nil)
	code, hdr, out := e.raw("POST", lib+"/photos", e.admin, body, ct)
	if code != 429 || hdr.Get("Retry-After") == "" || !strings.Contains(string(out), `"busy"`) {
		t.Fatalf("full queue: %d %s", code, out)
	}
	close(eng.release)
	wg.Wait()
	if codes[0] != 200 || codes[1] != 200 {
		t.Fatalf("held uploads: %v", codes)
	}
	if code, _ := e.call("GET", lib+"/photos/"+hashOf(tinyPNG(t, 99)), e.admin, nil, ""); code != 404 {
		t.Fatalf("the refused photo is known: %d", code)
	}
	files, _ := os.ReadDir(filepath.Join(libDir(t, e, lib), "photos"))
	if code, info := e.call("GET", lib, e.admin, nil, ""); code != 200 || info["photos"] != 2.0 || len(files) != 2 {
		t.Fatalf("library: %d %v, %d files", code, info, len(files))
	}
	// Another tenant reaches none of it, and cannot delete it.
	for _, path := range []string{lib, lib + "/people", lib + "/photos", lib + "/export"} {
		if code, _ := e.call("GET", path, e.other, nil, ""); code != 404 {
			t.Errorf("other tenant GET %s: %d", path, code)
		}
	}
	if code, _ := e.call("DELETE", lib, e.other, nil, ""); code != 404 {
		t.Errorf("other tenant DELETE: %d", code)
	}
	if _, list := e.call("GET", "/v1/libraries", e.admin, nil, ""); len(list["libraries"].([]any)) != 1 {
		t.Fatalf("libraries: %v", list)
	}
}
