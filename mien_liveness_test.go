package mien_test

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/detect"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/internal/testenv"
	"github.com/mienhq/mien/liveness"
	"github.com/mienhq/mien/models"
)

// livenessEngine opens the installed standard pack's files with the manifest
// this checkout ships (whose liveness calibration an older install may lack).
func livenessEngine(t testing.TB, opts mien.Options) *mien.Engine {
	t.Helper()
	installed := testenv.Pack(t, "standard")
	man, err := models.BuiltinPack("standard")
	if err != nil {
		t.Fatal(err)
	}
	opts.Runtime = testenv.Runtime(t)
	opts.Workers = 1
	eng, err := mien.Open(&models.Pack{Manifest: man, Dir: installed.Dir}, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	return eng
}

func centralFace(t testing.TB, eng *mien.Engine, rel string) (*face.Image, face.Detection) {
	t.Helper()
	data, err := os.ReadFile(testenv.Shared(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	img, err := eng.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	dets, err := eng.Detect(context.Background(), img, detect.Options{})
	if err != nil || len(dets) == 0 {
		t.Fatalf("%s: %d faces, %v", rel, len(dets), err)
	}
	return img, dets[0]
}

// TestLivenessFixtures: the labelled anti-spoof fixtures fall on the right
// side of the shipped threshold (the models README's check, kept true).
func TestLivenessFixtures(t *testing.T) {
	eng := livenessEngine(t, mien.Options{})
	for rel, live := range map[string]bool{
		"fixtures/antispoof/image_T1.jpg":                true,
		"fixtures/antispoof/image_F1.jpg":                false,
		"fixtures/antispoof/image_F2.jpg":                false,
		"fixtures/insightface/bulk_rgb_fake.jpg":         false,
		"fixtures/pexels/pexels-tim-douglas-6567248.jpg": true,
	} {
		img, d := centralFace(t, eng, rel)
		r, err := eng.Liveness(context.Background(), img, d)
		if err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		if r.Live != live || len(r.Models) != 2 || r.Score < 0 || r.Score > 1 {
			t.Errorf("%s: live=%v (score %.4f, threshold %.4f, models %v), want live=%v", rel, r.Live, r.Score, r.Threshold, r.Models, live)
		}
		if mean := (r.Models[0].Live + r.Models[1].Live) / 2; mean-r.Score > 1e-6 || r.Score-mean > 1e-6 {
			t.Errorf("%s: score %.6f is not the mean of %v", rel, r.Score, r.Models)
		}
	}
}

// TestLivenessThresholdOverride: an override moves the decision, never the score.
func TestLivenessThresholdOverride(t *testing.T) {
	base := livenessEngine(t, mien.Options{})
	strict := livenessEngine(t, mien.Options{LivenessThreshold: 0.99999})
	img, d := centralFace(t, base, "fixtures/pexels/pexels-tim-douglas-6567248.jpg")
	a, err := base.Liveness(context.Background(), img, d)
	if err != nil {
		t.Fatal(err)
	}
	b, err := strict.Liveness(context.Background(), img, d)
	if err != nil {
		t.Fatal(err)
	}
	if a.Score != b.Score || b.Threshold != 0.99999 || !a.Live || b.Live {
		t.Fatalf("default %+v, strict %+v", a, b)
	}
}

// TestLivenessBadBox: a box outside the image is a clear error, not a score.
func TestLivenessBadBox(t *testing.T) {
	eng := livenessEngine(t, mien.Options{})
	img, d := centralFace(t, eng, "fixtures/antispoof/image_T1.jpg")
	d.Box = face.R(float32(img.W)+10, 0, float32(img.W)+60, 50)
	if _, err := eng.Liveness(context.Background(), img, d); !errors.Is(err, liveness.ErrBadBox) {
		t.Fatalf("got %v, want liveness.ErrBadBox", err)
	}
}

// TestLivenessNeedsAntiSpoofModels: the default pack has no MiniFASNet.
func TestLivenessNeedsAntiSpoofModels(t *testing.T) {
	eng := testenv.Engine(t, "default")
	img, d := centralFace(t, eng, "fixtures/antispoof/image_T1.jpg")
	if _, err := eng.Liveness(context.Background(), img, d); !errors.Is(err, mien.ErrNoLiveness) {
		t.Fatalf("got %v, want ErrNoLiveness", err)
	}
}

// BenchmarkLiveness is the per-face cost of the passive stage alone (both
// models: two crops, two 80x80 runs), after detection.
func BenchmarkLiveness(b *testing.B) {
	eng := livenessEngine(b, mien.Options{})
	img, d := centralFace(b, eng, "fixtures/antispoof/image_T1.jpg")
	ctx := context.Background()
	if _, err := eng.Liveness(ctx, img, d); err != nil { // opens the models
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := eng.Liveness(ctx, img, d); err != nil {
			b.Fatal(err)
		}
	}
}
