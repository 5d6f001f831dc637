package mesh_test

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/internal/testenv"
	"github.com/mienhq/mien/mesh"
	"github.com/mienhq/mien/models"
)

// benchFrame is a 640x480 frame with one face.
func benchFrame(b *testing.B, e *mien.Engine) (*face.Image, face.Detection) {
	src, _ := load(b, e, testenv.Shared(b, "fixtures/insightface/bulk_Rob_Lowe_0001.jpg"))
	return frame640(b, e, src)
}

// meshOnly opens the mesh model without the iris model.
func meshOnly(b *testing.B, e *mien.Engine) *mesh.Model {
	mm, _ := e.Pack().Model(models.RoleMesh)
	mb, err := e.Pack().Read(mm)
	if err != nil {
		b.Fatal(err)
	}
	m, err := mesh.New(mb, mm, nil, models.Model{}, mesh.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { m.Close() })
	return m
}

// BenchmarkLocate640 is the mesh model alone (crop, pack, run, unmap).
func BenchmarkLocate640(b *testing.B) {
	_, e := openMesh(b)
	m := meshOnly(b, e)
	img, d := benchFrame(b, e)
	roi := mesh.FromDetection(d, m.Scale)
	var scr mesh.Scratch
	b.ReportAllocs()
	start := cpuTime()
	defer func() { reportCPU(b, start) }()
	for b.Loop() {
		if _, err := m.Locate(context.Background(), img, roi, &scr); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLocateIris640 is the mesh with iris refinement of both eyes.
func BenchmarkLocateIris640(b *testing.B) {
	m, e := openMesh(b)
	img, d := benchFrame(b, e)
	roi := mesh.FromDetection(d, m.Scale)
	var scr mesh.Scratch
	b.ReportAllocs()
	start := cpuTime()
	defer func() { reportCPU(b, start) }()
	for b.Loop() {
		if _, err := m.Locate(context.Background(), img, roi, &scr); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTrack640 is one tracked frame: mesh, iris, pose, signals and
// smoothing, the region taken from the previous frame.
func BenchmarkTrack640(b *testing.B) {
	m, e := openMesh(b)
	img, d := benchFrame(b, e)
	tr := mesh.NewTracker(m, mesh.TrackOptions{Smooth: true})
	tr.Reset(d)
	ts := 0.0
	b.ReportAllocs()
	start := cpuTime()
	defer func() { reportCPU(b, start) }()
	for b.Loop() {
		ts += 1.0 / 30
		if _, ok, err := tr.Step(context.Background(), img, ts); err != nil || !ok {
			b.Fatalf("lost the face: %v", err)
		}
	}
}

// BenchmarkTrack640FastPRelu is BenchmarkTrack640 with Options.FastPRelu.
func BenchmarkTrack640FastPRelu(b *testing.B) { benchTrackWith(b, mesh.Options{FastPRelu: true}) }

// BenchmarkTrack640FastIris is BenchmarkTrack640 with Options.FastIris (as
// liveness sessions run it).
func BenchmarkTrack640FastIris(b *testing.B) { benchTrackWith(b, mesh.Options{FastIris: true}) }

func benchTrackWith(b *testing.B, opts mesh.Options) {
	_, e := openMesh(b)
	m := openWith(b, e, opts)
	img, d := benchFrame(b, e)
	tr := mesh.NewTracker(m, mesh.TrackOptions{Smooth: true})
	tr.Reset(d)
	ts := 0.0
	b.ReportAllocs()
	start := cpuTime()
	defer func() { reportCPU(b, start) }()
	for b.Loop() {
		ts += 1.0 / 30
		if _, ok, err := tr.Step(context.Background(), img, ts); err != nil || !ok {
			b.Fatalf("lost the face: %v", err)
		}
	}
}

// BenchmarkTrack640TwoCores is BenchmarkTrack640 with two sessions per
// model, so that the two eyes' iris runs go to both cores.
func BenchmarkTrack640TwoCores(b *testing.B) {
	_, e := openMesh(b)
	m := openWith(b, e, mesh.Options{Sessions: 2})
	img, d := benchFrame(b, e)
	tr := mesh.NewTracker(m, mesh.TrackOptions{Smooth: true})
	tr.Reset(d)
	ts := 0.0
	b.ReportAllocs()
	start := cpuTime()
	defer func() { reportCPU(b, start) }()
	for b.Loop() {
		ts += 1.0 / 30
		if _, ok, err := tr.Step(context.Background(), img, ts); err != nil || !ok {
			b.Fatalf("lost the face: %v", err)
		}
	}
}

// BenchmarkPipeline640 is BenchmarkTrack640 through mesh.Pipeline: the
// mesh of frame N+1 on one goroutine while the iris, pose and signals of
// frame N run on another (two sessions per model).
func BenchmarkPipeline640(b *testing.B) {
	_, e := openMesh(b)
	m := openWith(b, e, mesh.Options{Sessions: 2})
	img, d := benchFrame(b, e)
	ctx := context.Background()
	p := mesh.NewPipeline(ctx, mesh.NewTracker(m, mesh.TrackOptions{Smooth: true}), func(context.Context, *face.Image) (face.Detection, bool, error) {
		return d, true, nil
	})
	done := make(chan int)
	go func() {
		n := 0
		for r := range p.Results() {
			if !r.OK || r.Err != nil {
				b.Errorf("lost the face: %v", r.Err)
			}
			n++
		}
		done <- n
	}()
	b.ReportAllocs()
	start := cpuTime()
	ts := 0.0
	for b.Loop() {
		ts += 1.0 / 30
		if err := p.Submit(ctx, img, ts, nil); err != nil {
			b.Fatal(err)
		}
	}
	p.Close()
	<-done
	reportCPU(b, start)
}

// BenchmarkRedetect640 is what a lost track costs on top: the engine's detector.
func BenchmarkRedetect640(b *testing.B) {
	_, e := openMesh(b)
	img, _ := benchFrame(b, e)
	b.ReportAllocs()
	start := cpuTime()
	defer func() { reportCPU(b, start) }()
	for b.Loop() {
		if _, err := e.Detect(context.Background(), img, mien.Options{}.Detect); err != nil {
			b.Fatal(err)
		}
	}
}

// cpuTime is the process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU adds the CPU time per operation, which the load of other
// processes on a shared machine inflates far less than the wall time.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N)/1e6, "cpu-ms/op")
}
