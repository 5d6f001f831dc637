package mien_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/detect"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/internal/testenv"
	"github.com/mienhq/mien/liveness"
	"github.com/mienhq/mien/models"
	"github.com/mienhq/mien/onnx"
)

// antiSpoofPair opens one of the pack's MiniFASNet models twice: as the
// engine runs it (PRelu rewritten as depthwise convolutions) and as shipped.
func antiSpoofPair(t testing.TB, eng *mien.Engine, id string) (fast, shipped *liveness.Model) {
	t.Helper()
	m, ok := eng.Pack().ModelByID(id)
	if !ok || m.Role != models.RoleAntiSpoof {
		t.Fatalf("the standard pack has no anti-spoof model %s", id)
	}
	b, err := eng.Pack().Read(m)
	if err != nil {
		t.Fatal(err)
	}
	if _, n, err := onnx.PReluAsConv(b); err != nil || n != 33 {
		t.Fatalf("%s: rewrote %d PRelu (%v), want its 33", id, n, err)
	}
	if fast, err = liveness.New(b, m, liveness.Options{}); err != nil {
		t.Fatal(err)
	}
	if shipped, err = liveness.New(b, m, liveness.Options{Shipped: true}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fast.Close(); shipped.Close() })
	return fast, shipped
}

// spoofFaces returns every face (image and box) the engine detects in the
// real anti-spoof, Pexels and insightface fixtures and in every 97th LFW
// photo: live faces and real print, screen and synthetic attacks.
func spoofFaces(t testing.TB, eng *mien.Engine) (imgs []*face.Image, boxes []face.Rect, names []string) {
	t.Helper()
	var files []string
	for _, dir := range []string{"fixtures/antispoof", "fixtures/pexels", "fixtures/insightface"} {
		m, _ := filepath.Glob(filepath.Join(testenv.Shared(t, dir), "*.jp*g"))
		files = append(files, m...)
	}
	lfw, _ := filepath.Glob(filepath.Join(testenv.Shared(t, "data/lfw/images"), "*", "*.jpg"))
	sort.Strings(lfw)
	for i := 0; i < len(lfw); i += 97 {
		files = append(files, lfw[i])
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		img, err := eng.Decode(data)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		dets, err := eng.Detect(context.Background(), img, detect.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range dets {
			imgs, boxes, names = append(imgs, img), append(boxes, d.Box), append(names, filepath.Base(f))
		}
	}
	return imgs, boxes, names
}

// TestLivenessPReluAsConv: MiniFASNet V2 and V1SE as the engine runs them
// (their 33 PRelu each as depthwise convolutions, onnx.PReluAsConv) give
// the live probabilities of the models as shipped to 1e-5 on every face of
// the real fixtures and LFW samples; and the rewrite does change both
// graphs, so this is not a comparison of a model with itself.
func TestLivenessPReluAsConv(t *testing.T) {
	eng := livenessEngine(t, mien.Options{})
	imgs, boxes, names := spoofFaces(t, eng)
	if len(boxes) < 40 {
		t.Fatalf("only %d faces found in the fixtures and LFW samples", len(boxes))
	}
	ctx := context.Background()
	for _, id := range eng.Pack().Manifest.Liveness.Models {
		fast, shipped := antiSpoofPair(t, eng, id)
		var worst float64
		for i := range boxes {
			a, err := fast.Live(ctx, imgs[i], boxes[i])
			if err != nil {
				t.Fatalf("%s on %s: %v", id, names[i], err)
			}
			b, err := shipped.Live(ctx, imgs[i], boxes[i])
			if err != nil {
				t.Fatalf("%s on %s: %v", id, names[i], err)
			}
			d := float64(a - b)
			if d < 0 {
				d = -d
			}
			worst = max(worst, d)
			if d > 1e-5 {
				t.Errorf("%s on %s: live %.7f rewritten, %.7f shipped: differs by %.2g, over 1e-5", id, names[i], a, b, d)
			}
		}
		t.Logf("%s: %d faces, largest difference of the live probability %.3g", id, len(boxes), worst)
		if worst == 0 {
			// the rewrite rounds a * x differently: identical scores on every
			// face mean liveness.New ran the graph as shipped
			t.Errorf("%s: bit-identical on all %d faces: the rewritten graph was not run", id, len(boxes))
		}
	}
}

// BenchmarkAntiSpoofModel is one MiniFASNet run (crop, pack, 80x80 run,
// softmax) on a real face, as shipped and rewritten, with the process's
// CPU time per run beside the wall time.
func BenchmarkAntiSpoofModel(b *testing.B) {
	eng := livenessEngine(b, mien.Options{})
	img, d := centralFace(b, eng, "fixtures/antispoof/image_T1.jpg")
	ctx := context.Background()
	for _, id := range eng.Pack().Manifest.Liveness.Models {
		fast, shipped := antiSpoofPair(b, eng, id)
		for _, c := range []struct {
			name string
			m    *liveness.Model
		}{{"shipped", shipped}, {"rewritten", fast}} {
			b.Run(fmt.Sprintf("%s/%s", id, c.name), func(b *testing.B) {
				if _, err := c.m.Live(ctx, img, d.Box); err != nil { // warm-up
					b.Fatal(err)
				}
				b.ReportAllocs()
				c0 := cpu()
				for b.Loop() {
					if _, err := c.m.Live(ctx, img, d.Box); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(cpu()-c0)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
			})
		}
	}
}
