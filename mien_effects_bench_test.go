package mien_test

import (
	"context"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/effects"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/imageio"
	"github.com/mienhq/mien/internal/testenv"
	"github.com/mienhq/mien/mesh"
	"github.com/mienhq/mien/raster"
)

// benchTrackEffects tracks the mesh on a 640x480 frame with one face (the
// 4:3 centre of bulk_Rob_Lowe_0001.jpg, as the mesh benchmarks) and
// renders p, frame after frame; p nil tracks only.
func benchTrackEffects(b *testing.B, p *effects.Params) {
	e := testenv.Engine(b, "standard")
	m, err := e.OpenMesh(mesh.Options{Sessions: 2})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	data, err := os.ReadFile(testenv.Shared(b, "fixtures/insightface/bulk_Rob_Lowe_0001.jpg"))
	if err != nil {
		b.Fatal(err)
	}
	src, err := imageio.Decode(data, imageio.Options{})
	if err != nil {
		b.Fatal(err)
	}
	img := raster.Crop(src, face.R(0, 31.25, 250, 218.75), 640, 480)
	tr := mesh.NewTracker(m, mesh.TrackOptions{Smooth: true})
	r := effects.NewRenderer()
	dst := face.NewImage(640, 480)
	ctx := context.Background()
	ts := 0.0
	var ef effects.Face
	b.ReportAllocs()
	start := cpu()
	for b.Loop() {
		ts += 1.0 / 30
		f, ok, err := e.TrackMesh(ctx, tr, img, ts)
		if err != nil || !ok {
			b.Fatalf("lost the face: %v", err)
		}
		if p == nil {
			continue
		}
		ef = mien.EffectsFace(f)
		if err := r.Render(dst, img, &ef, *p); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpu()-start)/float64(b.N)/1e6, "cpu-ms/op")
}

// BenchmarkTrackOnly640 is mesh tracking alone (mesh, iris, pose, signals,
// smoothing), the baseline of the next one.
func BenchmarkTrackOnly640(b *testing.B) { benchTrackEffects(b, nil) }

// BenchmarkTrackEffects640 is a tracked frame with every effect but the
// puppet: glasses, skin smoothing, slimming, eye enlarging, tone lift.
func BenchmarkTrackEffects640(b *testing.B) {
	s, err := effects.Builtin("glasses")
	if err != nil {
		b.Fatal(err)
	}
	benchTrackEffects(b, &effects.Params{Sticker: s, Beautify: 0.6, Slim: 0.5, EyeEnlarge: 0.5, ToneLift: 0.5})
}

// BenchmarkTrackSticker640 is a tracked frame with glasses only.
func BenchmarkTrackSticker640(b *testing.B) {
	s, _ := effects.Builtin("glasses")
	benchTrackEffects(b, &effects.Params{Sticker: s})
}

func cpu() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
