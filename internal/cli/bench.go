package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/detect"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/imageio"
	"github.com/mienhq/mien/raster"
)

func init() {
	register(command{name: "bench", summary: "measure faces per second and milliseconds per stage; bench cameras: N camera streams at once; bench mesh CLIP: face mesh tracking", run: runBench})
}

func runBench(ctx context.Context, env *Env, args []string) error {
	if len(args) > 0 && args[0] == "cameras" {
		return runBenchCameras(ctx, env, args[1:])
	}
	if len(args) > 0 && args[0] == "mesh" {
		return runBenchMesh(ctx, env, args[1:])
	}
	fs := newFlags(env, "bench", "[flags] IMAGE...",
		"End-to-end throughput (decode, detect, align, embed) with 1 and N workers, with and without flip, and time per stage.\n"+
			"mien bench mesh CLIP measures face mesh tracking over a video clip instead (mien bench mesh --help).")
	var ef engineFlags
	ef.register(fs)
	size := fs.String("size", "640x480", "re-encode every input as a JPEG of this size first (\"\" = use the files as they are)")
	dur := fs.Duration("duration", 10*time.Second, "how long each throughput run lasts")
	cpuProfile := fs.String("cpuprofile", "", "write a Go CPU profile of the whole run to this file")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return usageError{fmt.Errorf("bench: no image given (single-face photos work best)")}
	}
	stop, err := startCPUProfile(*cpuProfile)
	if err != nil {
		return err
	}
	defer stop()
	inputs, err := benchInputs(fs.Args(), *size)
	if err != nil {
		return err
	}
	workers := ef.workers
	if workers == 0 {
		workers = env.Config.Workers
	}
	fmt.Fprintf(env.Stdout, "mien bench: %d images (%s), %d CPUs, GOMAXPROCS %d\n", len(inputs), *size, runtime.NumCPU(), runtime.GOMAXPROCS(0))
	for _, flip := range []bool{false, true} {
		f := ef
		f.noFlip = !flip
		f.workers = workers
		eng, err := openEngine(env, f)
		if err != nil {
			return err
		}
		if !flip {
			if err := benchStages(ctx, env, eng, inputs); err != nil {
				eng.Close()
				return err
			}
		}
		for _, n := range uniqueInts(1, workers) {
			fps, err := benchThroughput(ctx, eng, inputs, n, *dur)
			if err != nil {
				eng.Close()
				return err
			}
			fmt.Fprintf(env.Stdout, "  flip=%-5v workers=%d: %6.1f faces/s\n", flip, n, fps)
		}
		eng.Close()
	}
	return nil
}

func uniqueInts(a, b int) []int {
	if a == b {
		return []int{a}
	}
	return []int{a, b}
}

// benchInputs reads the files and, when size is set, letterboxes each into
// a JPEG of that size (quality 90), so decoding cost matches the target.
func benchInputs(paths []string, size string) ([][]byte, error) {
	var w, h int
	if size != "" {
		if _, err := fmt.Sscanf(size, "%dx%d", &w, &h); err != nil || w <= 0 || h <= 0 {
			return nil, fmt.Errorf("bench: --size %q is not WIDTHxHEIGHT", size)
		}
	}
	var out [][]byte
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		if w > 0 {
			img, err := imageio.Decode(data, imageio.Options{})
			if err != nil {
				return nil, fmt.Errorf("%s: %w", p, err)
			}
			s := min(float32(w)/float32(img.W), float32(h)/float32(img.H))
			fw, fh := int(float32(img.W)*s), int(float32(img.H)*s)
			scaled := raster.Resize(img, fw, fh)
			px, py := float32((w-fw)/2), float32((h-fh)/2)
			canvas := raster.Crop(scaled, face.R(-px, -py, float32(w)-px, float32(h)-py), w, h)
			var buf bytes.Buffer
			if err := imageio.EncodeJPEG(&buf, canvas, 90); err != nil {
				return nil, err
			}
			data = buf.Bytes()
		}
		out = append(out, data)
	}
	return out, nil
}

// benchStages times each stage on one worker and prints the medians.
func benchStages(ctx context.Context, env *Env, eng *mien.Engine, inputs [][]byte) error {
	var dec, det, ali, emb []time.Duration
	for round := 0; round < 3; round++ {
		for _, data := range inputs {
			t0 := time.Now()
			img, err := eng.Decode(data)
			if err != nil {
				return err
			}
			t1 := time.Now()
			dets, err := eng.Detect(ctx, img, detect.Options{})
			if err != nil {
				return err
			}
			t2 := time.Now()
			dec, det = append(dec, t1.Sub(t0)), append(det, t2.Sub(t1))
			for _, d := range dets {
				t3 := time.Now()
				crop, err := eng.Align(img, d)
				if err != nil {
					return err
				}
				t4 := time.Now()
				if _, err := eng.Embed(ctx, img, d); err != nil {
					return err
				}
				ali, emb = append(ali, t4.Sub(t3)), append(emb, time.Since(t4)-t4.Sub(t3))
				_ = crop
			}
		}
	}
	fmt.Fprintf(env.Stdout, "  per stage, 1 worker, median ms: decode %.2f  detect %.2f  align %.2f  embed (no flip) %.2f\n",
		medianMs(dec), medianMs(det), medianMs(ali), medianMs(emb))
	return nil
}

func medianMs(d []time.Duration) float64 {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return float64(s[len(s)/2].Microseconds()) / 1000
}

// benchThroughput runs n workers through the full pipeline for d and returns faces per second.
func benchThroughput(ctx context.Context, eng *mien.Engine, inputs [][]byte, n int, d time.Duration) (float64, error) {
	var faces, next atomic.Int64
	var firstErr error
	var once sync.Once
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < n; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) && ctx.Err() == nil {
				data := inputs[int(next.Add(1))%len(inputs)]
				a, err := eng.Analyze(ctx, data, detect.Options{})
				if err != nil {
					once.Do(func() { firstErr = err })
					return
				}
				faces.Add(int64(len(a.Faces)))
			}
		}()
	}
	wg.Wait()
	return float64(faces.Load()) / time.Since(start).Seconds(), firstErr
}

// startCPUProfile writes a Go CPU profile to path until stop is called
// (nothing when path is empty).
func startCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
