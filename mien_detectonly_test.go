package mien_test

import (
	"context"
	"errors"
	"testing"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/detect"
	"github.com/mienhq/mien/internal/testenv"
)

// TestDetectOnly: an engine opened for detection alone (a counting camera)
// finds faces but cannot compute a template: every call that would make one
// fails with ErrDetectOnly.
func TestDetectOnly(t *testing.T) {
	pack := testenv.Pack(t, "standard")
	eng, err := mien.Open(pack, mien.Options{Runtime: testenv.Runtime(t), DetectOnly: true, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	ctx := context.Background()
	img, err := eng.Decode(read(t, "fixtures/insightface/bulk_Rob_Lowe_0001.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	dets, err := eng.Detect(ctx, img, detect.Options{})
	if err != nil || len(dets) == 0 {
		t.Fatalf("detect-only engine found %d faces: %v", len(dets), err)
	}
	if _, err := eng.Embed(ctx, img, dets[0]); !errors.Is(err, mien.ErrDetectOnly) {
		t.Fatalf("Embed: %v, want ErrDetectOnly", err)
	}
	if _, err := eng.AnalyzeImage(ctx, img, detect.Options{}); !errors.Is(err, mien.ErrDetectOnly) {
		t.Fatalf("AnalyzeImage: %v, want ErrDetectOnly", err)
	}
	if _, err := eng.Threshold(1e-3); !errors.Is(err, mien.ErrDetectOnly) {
		t.Fatalf("Threshold: %v, want ErrDetectOnly", err)
	}
	if eng.ModelID() != "" {
		t.Fatalf("a detect-only engine names recognizer %q", eng.ModelID())
	}
}
