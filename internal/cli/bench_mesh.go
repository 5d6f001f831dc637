package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"time"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/mesh"
	"github.com/mienhq/mien/video"
)

// benchMeshFlags are mien bench mesh's flags.
type benchMeshFlags struct {
	ef            engineFlags
	width, height int
	frames        int
	passes        int
	ffmpeg        string
}

func runBenchMesh(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "bench mesh", "[flags] CLIP",
		"Face mesh tracking over a video clip (one face): frames per second and CPU milliseconds per frame, one goroutine\n"+
			"against the two-goroutine pipeline, from frames in memory and with ffmpeg decoding live, and time per stage.")
	var bf benchMeshFlags
	bf.ef.register(fs)
	size := fs.String("size", "640x480", "frame size WIDTHxHEIGHT the clip is decoded to")
	fs.IntVar(&bf.frames, "frames", 300, "frames of the clip held in memory for the in-memory runs")
	fs.IntVar(&bf.passes, "passes", 2, "times the in-memory frames are tracked in each run")
	fs.StringVar(&bf.ffmpeg, "ffmpeg", "ffmpeg", "the ffmpeg binary")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return usageError{errors.New("bench mesh: give one video clip")}
	}
	if _, err := fmt.Sscanf(*size, "%dx%d", &bf.width, &bf.height); err != nil || bf.width <= 0 || bf.height <= 0 {
		return usageError{fmt.Errorf("bench mesh: --size %q is not WIDTHxHEIGHT", *size)}
	}
	if bf.frames < 1 || bf.passes < 1 {
		return usageError{errors.New("bench mesh: --frames and --passes must be at least 1")}
	}
	eng, err := openEngine(env, bf.ef)
	if err != nil {
		return err
	}
	defer eng.Close()
	m, err := eng.OpenMesh(mesh.Options{})
	if err != nil {
		return err
	}
	defer m.Close()
	// The pipeline's model has two sessions per model, so that its second
	// half may run both eyes' iris at once when a core is free.
	m2, err := eng.OpenMesh(mesh.Options{Sessions: 2})
	if err != nil {
		return err
	}
	defer m2.Close()
	return benchMesh(ctx, env.Stdout, eng, [2]*mesh.Model{m, m2}, fs.Arg(0), bf)
}

func benchMesh(ctx context.Context, out io.Writer, eng *mien.Engine, ms [2]*mesh.Model, clip string, bf benchMeshFlags) error {
	m, m2 := ms[0], ms[1]
	newSrc := func(noDrop bool) (*video.Source, error) {
		ff, err := exec.LookPath(bf.ffmpeg)
		if err != nil {
			return nil, fmt.Errorf("bench mesh: ffmpeg not found (%w); install it or give --ffmpeg PATH", err)
		}
		return video.New(clip, video.Options{FFmpeg: ff, Width: bf.width, Height: bf.height, NoDrop: noDrop, MaxAttempts: 1})
	}
	if _, err := os.Stat(clip); err != nil {
		return fmt.Errorf("bench mesh: %w", err)
	}
	src, err := newSrc(true)
	if err != nil {
		return err
	}
	frames, err := loadFrames(ctx, src, bf.frames)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "mien bench mesh: %s, %d frames of %dx%d in memory, %d passes, %d CPUs, GOMAXPROCS %d, iris %v\n",
		clip, len(frames), bf.width, bf.height, bf.passes, runtime.NumCPU(), runtime.GOMAXPROCS(0), m.HasIris())
	fmt.Fprintf(out, "%-44s %8s %9s %12s %8s\n", "run", "frames", "frames/s", "CPU ms/frame", "tracked")
	var stages stageSums
	seq, err := benchMeshRun(ctx, eng, m, &memSource{frames: frames, passes: bf.passes}, &stages)
	if err != nil {
		return err
	}
	seq.print(out, "one goroutine (TrackMesh), frames in memory")
	pipe, err := benchMeshRun(ctx, eng, m2, &memSource{frames: frames, passes: bf.passes, pipeline: true}, nil)
	if err != nil {
		return err
	}
	pipe.print(out, "pipeline, two goroutines, frames in memory")
	if src, err = newSrc(true); err != nil {
		return err
	}
	live, err := benchMeshLive(ctx, eng, m2, src)
	if err != nil {
		return err
	}
	live.print(out, "pipeline + ffmpeg decoding the clip live")
	stages.print(out)
	return nil
}

// loadFrames decodes up to n frames of the source into memory.
func loadFrames(ctx context.Context, src *video.Source, n int) ([]*face.Image, error) {
	if err := src.Start(ctx); err != nil {
		return nil, err
	}
	defer src.Stop()
	var frames []*face.Image
	for len(frames) < n {
		f, err := src.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("bench mesh: %w", err)
		}
		frames = append(frames, copyImage(f.Image))
		src.Release(f)
	}
	if len(frames) == 0 {
		return nil, errors.New("bench mesh: the clip has no frame")
	}
	return frames, nil
}

// memSource replays frames held in memory, passes times over.
type memSource struct {
	frames   []*face.Image
	passes   int
	pipeline bool
	i        int
}

func (s *memSource) Next(ctx context.Context) (*video.Frame, error) {
	if s.i >= len(s.frames)*s.passes {
		return nil, io.EOF
	}
	s.i++
	return &video.Frame{Seq: uint64(s.i), Image: s.frames[(s.i-1)%len(s.frames)]}, nil
}

func (s *memSource) Release(*video.Frame) {}

// meshRun is one run's totals.
type meshRun struct {
	frames, tracked int
	wall, cpu       time.Duration
}

func (r meshRun) print(out io.Writer, name string) {
	fmt.Fprintf(out, "%-44s %8d %9.1f %12.2f %8d\n", name, r.frames, float64(r.frames)/r.wall.Seconds(),
		float64(r.cpu.Microseconds())/1000/float64(r.frames), r.tracked)
}

// frameTime is a clip's frame time at 30 frames/s.
func frameTime(f *video.Frame) float64 { return float64(f.Seq-1) / 30 }

// benchMeshRun tracks the frames of a memSource one at a time (adding
// each stage's time to stages) or through the pipeline.
func benchMeshRun(ctx context.Context, eng *mien.Engine, m *mesh.Model, src *memSource, stages *stageSums) (meshRun, error) {
	var r meshRun
	opts := mesh.TrackOptions{Smooth: true}
	cpu0, _ := cpuTime()
	start := time.Now()
	if src.pipeline {
		err := meshStream(ctx, eng, m, opts, src, frameTime, func(res mesh.Result) error {
			r.frames++
			if res.OK {
				r.tracked++
			}
			return res.Err
		})
		if err != nil {
			return r, err
		}
	} else {
		tr := mesh.NewTracker(m, opts)
		for {
			f, err := src.Next(ctx)
			if err != nil {
				break
			}
			fr, ok, err := eng.TrackMesh(ctx, tr, f.Image, frameTime(f))
			if err != nil {
				return r, err
			}
			r.frames++
			if ok {
				r.tracked++
				stages.add(fr.Timing)
			}
		}
	}
	r.wall = time.Since(start)
	cpu1, _ := cpuTime()
	r.cpu = cpu1 - cpu0
	return r, nil
}

// benchMeshLive runs the pipeline on frames ffmpeg decodes as it goes;
// the CPU time includes ffmpeg's.
func benchMeshLive(ctx context.Context, eng *mien.Engine, m *mesh.Model, src *video.Source) (meshRun, error) {
	var r meshRun
	self0, child0 := cpuTime()
	start := time.Now()
	if err := src.Start(ctx); err != nil {
		return r, err
	}
	err := meshStream(ctx, eng, m, mesh.TrackOptions{Smooth: true}, src, frameTime, func(res mesh.Result) error {
		r.frames++
		if res.OK {
			r.tracked++
		}
		return res.Err
	})
	r.wall = time.Since(start)
	src.Stop()
	if err != nil {
		return r, err
	}
	if r.frames == 0 {
		return r, errors.New("bench mesh: the clip gave no frame")
	}
	self1, child1 := cpuTime()
	r.cpu = self1 - self0 + child1 - child0
	return r, nil
}

// stageSums adds up the tracked frames' stage times.
type stageSums struct {
	n int
	t mesh.Timing
}

func (s *stageSums) add(t mesh.Timing) {
	s.n++
	s.t.Crop += t.Crop
	s.t.Mesh += t.Mesh
	s.t.Iris += t.Iris
	s.t.Pose += t.Pose
	s.t.Detect += t.Detect
}

func (s *stageSums) print(out io.Writer) {
	if s.n == 0 {
		return
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(s.n) }
	fmt.Fprintf(out, "stages (one goroutine, mean wall ms per tracked frame over %d frames): crop+pack %.2f, mesh model %.2f, "+
		"iris (both eyes, crops and model) %.2f, smoothing+pose+signals %.2f, detector (on loss only) %.2f\n",
		s.n, ms(s.t.Crop), ms(s.t.Mesh), ms(s.t.Iris), ms(s.t.Pose), ms(s.t.Detect))
}
