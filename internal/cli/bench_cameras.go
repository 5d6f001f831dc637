package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/mienhq/mien/count"
	"github.com/mienhq/mien/detect"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/track"
	"github.com/mienhq/mien/video"
)

// camBenchFlags are bench cameras' settings.
type camBenchFlags struct {
	clip               string
	streams            int
	fps                float64
	width, height      int
	seconds            float64
	threads            int
	skip, scale        string
	ffmpeg             string
	minSize            float64
	detScale           float32
	jsonOut            string
	decodeOnly, nodet  bool
	noDeblock          bool
	queue              int
	latest             bool
	slots              int // detector sessions (the engine's workers)
	cpuProf, blockProf string
	mutexProf          string
}

// camBenchStream is one camera's figures.
type camBenchStream struct {
	Analysed uint64       `json:"frames_analysed"`
	Dropped  uint64       `json:"frames_dropped"`
	Faces    int          `json:"faces"`
	Health   video.Health `json:"health"`
}

// camBenchReport is bench cameras' answer.
type camBenchReport struct {
	Streams  int     `json:"streams"`
	FPS      float64 `json:"fps_per_stream_wanted"`
	Size     string  `json:"analysed_size"`
	Decoder  string  `json:"decoder"`
	Seconds  float64 `json:"seconds"`
	Load     string  `json:"uptime_before"`
	LoadEnd  string  `json:"uptime_after"`
	Analysed uint64  `json:"frames_analysed"`
	Dropped  uint64  `json:"frames_dropped"`
	// AnalysedFPS is frames analysed per second per stream, on average.
	AnalysedFPS float64 `json:"analysed_fps_per_stream"`
	DetectMS    float64 `json:"detect_ms_per_frame"` // wall, under contention
	TrackMS     float64 `json:"track_ms_per_frame"`
	// Stage CPU milliseconds per analysed frame, each measured on its own
	// thread (whatever the load): detection (resize, packing and the ONNX
	// run), tracking with the line count, and reading the frames from the
	// pipes (mien's CPU less the two, with the Go runtime's own work).
	DetectCPUMS float64 `json:"detect_cpu_ms_per_frame"`
	TrackCPUMS  float64 `json:"track_cpu_ms_per_frame"`
	ReadCPUMS   float64 `json:"read_cpu_ms_per_frame"`
	// DecodeCPUMS is DecodeCPU in milliseconds per analysed frame.
	DecodeCPUMS float64 `json:"decode_cpu_ms_per_frame"`
	// LatencyMS is the mean and the largest age of a frame when its tracking
	// ends (from its arrival from ffmpeg: time queued, waiting for a
	// detector session, detecting, tracking).
	LatencyMS    float64 `json:"latency_ms_mean"`
	LatencyMaxMS float64 `json:"latency_ms_max"`
	// CoresUsed is the CPU-seconds of mien and its ffmpeg processes per second of the run.
	CoresUsed float64 `json:"cores_used"`
	// Delivered is the frames ffmpeg delivered at the analysis rate (those
	// analysed, those dropped and those left queued).
	Delivered uint64 `json:"frames_delivered"`
	// DecodeCPU is the ffmpeg processes' CPU-seconds per delivered frame:
	// decoding every frame of the camera between two delivered ones, scaling
	// and converting one. MienCPU is mien's CPU-seconds per analysed frame
	// (detection, tracking, pipes). Both hardly depend on the load.
	DecodeCPU float64 `json:"decode_cpu_s_per_frame"`
	MienCPU   float64 `json:"mien_cpu_s_per_frame"`
	// StreamsOn2Cores is how many streams at the wanted rate two idle cores
	// would carry at these CPU costs.
	StreamsOn2Cores float64          `json:"streams_on_2_idle_cores"`
	PerStream       []camBenchStream `json:"per_stream"`
}

func runBenchCameras(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "bench cameras", "--clip FILE [flags]",
		"Load: N cameras played from one clip at its own pace (ffmpeg -re, looped; frames dropped when behind, as a live\n"+
			"camera), each analysed at --fps: decode -> detect -> track -> line count, detection only (no recognizer loaded).\n"+
			"Reports frames analysed and dropped per stream, milliseconds per stage, CPU-seconds per analysed frame for\n"+
			"decoding (the ffmpeg processes) and for mien (detection, tracking), the load before and after, and how many\n"+
			"streams two idle cores would carry at those costs.")
	var ef engineFlags
	ef.register(fs)
	var bf camBenchFlags
	fs.StringVar(&bf.clip, "clip", "", "the clip every camera plays (e.g. walk-1280x720.mp4 from scripts/make-clips.sh)")
	fs.IntVar(&bf.streams, "streams", 8, "cameras at once")
	fs.Float64Var(&bf.fps, "fps", 5, "frames analysed per second per camera")
	fs.IntVar(&bf.width, "width", 480, "frame width decoded to, the detector's input (480x270 finds faces of 80 px on 720p as 640x360 does: TestDetectRecallBySize)")
	fs.IntVar(&bf.height, "height", 270, "frame height decoded to")
	fs.Float64Var(&bf.seconds, "seconds", 30, "how long the run lasts")
	fs.IntVar(&bf.threads, "threads", 1, "ffmpeg decoder threads per camera (0: ffmpeg's choice)")
	fs.StringVar(&bf.skip, "skip-frame", "", "ffmpeg -skip_frame: noref, bidir or nokey (empty: decode every frame)")
	fs.IntVar(&bf.queue, "queue", 4, "frames each camera's queue holds before dropping the oldest (1: the latest frame wins)")
	fs.BoolVar(&bf.latest, "latest", true, "latest frame wins: a camera waits for a free detector session first, then analyses its newest frame (older ones dropped, counted)")
	fs.BoolVar(&bf.noDeblock, "no-deblock", true, "skip H.264's deblocking filter when decoding (ffmpeg -skip_loop_filter all), as a counting camera in the server does")
	fs.StringVar(&bf.scale, "scale-flags", "fast_bilinear", "ffmpeg scaler (fast_bilinear, bilinear, bicubic, ...; empty: ffmpeg's default)")
	fs.StringVar(&bf.ffmpeg, "ffmpeg", "ffmpeg", "the ffmpeg binary")
	fs.Func("detect-scale", "scale the decoded frame by this factor (0..1) for detection (1: detect on the decoded frame, up to the detector's 640)", func(v string) error {
		f, err := strconv.ParseFloat(v, 32)
		if err != nil || f <= 0 || f > 1 {
			return fmt.Errorf("bench cameras: --detect-scale %q is not in (0, 1]", v)
		}
		bf.detScale = float32(f)
		return nil
	})
	fs.Float64Var(&bf.minSize, "min-size", 12, "ignore faces smaller than this many pixels (of the decoded frame)")
	fs.BoolVar(&bf.decodeOnly, "decode-only", false, "decode only: no detection, no tracking (the decoding cost alone)")
	fs.StringVar(&bf.jsonOut, "json", "", "write the report as JSON to this file")
	fs.StringVar(&bf.cpuProf, "cpuprofile", "", "write a Go CPU profile of the run to this file")
	fs.StringVar(&bf.blockProf, "blockprofile", "", "write a Go blocking profile (where goroutines waited) to this file")
	fs.StringVar(&bf.mutexProf, "mutexprofile", "", "write a Go mutex contention profile to this file")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if bf.clip == "" || bf.streams < 1 || bf.fps <= 0 || bf.seconds <= 0 {
		fs.Usage()
		return usageError{errors.New("bench cameras: --clip FILE is required; --streams, --fps and --seconds must be positive")}
	}
	ff, err := exec.LookPath(bf.ffmpeg)
	if err != nil {
		return fmt.Errorf("bench cameras: ffmpeg not found (%w)", err)
	}
	bf.slots = max(1, ef.workers)
	if ef.workers <= 0 {
		bf.slots = max(1, env.Config.Workers)
	}
	var det faceDetector
	if !bf.decodeOnly {
		eng, err := openEngineFor(env, ef, true)
		if err != nil {
			return err
		}
		defer eng.Close()
		det = eng
	}
	stop, err := benchProfiles(bf.cpuProf, bf.blockProf, bf.mutexProf)
	if err != nil {
		return err
	}
	rep, err := benchCameras(ctx, ff, det, bf)
	if perr := stop(); err == nil {
		err = perr
	}
	if err != nil {
		return err
	}
	printCamBench(env, rep)
	if bf.jsonOut != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		return os.WriteFile(bf.jsonOut, append(b, '\n'), 0o644)
	}
	return nil
}

// benchCameras runs the streams for the time asked and measures them.
func benchCameras(ctx context.Context, ff string, det faceDetector, bf camBenchFlags) (camBenchReport, error) {
	rep := camBenchReport{Streams: bf.streams, FPS: bf.fps, Size: fmt.Sprintf("%dx%d", bf.width, bf.height), Seconds: bf.seconds,
		Decoder: fmt.Sprintf("threads %d, skip_frame %q, no-deblock %v, scale %q", bf.threads, bf.skip, bf.noDeblock, bf.scale), Load: uptime()}
	var srcs []*video.Source
	for range bf.streams {
		s, err := video.New(bf.clip, video.Options{FFmpeg: ff, Width: bf.width, Height: bf.height, FPS: bf.fps, Realtime: true, Loop: true,
			Threads: bf.threads, SkipFrame: bf.skip, ScaleFlags: bf.scale, NoDeblock: bf.noDeblock, Queue: bf.queue})
		if err != nil {
			return rep, err
		}
		srcs = append(srcs, s)
	}
	self0, kids0 := cpuTimes()
	rctx, cancel := context.WithTimeout(ctx, time.Duration(bf.seconds*float64(time.Second)))
	defer cancel()
	rep.PerStream = make([]camBenchStream, len(srcs))
	var detT, trackT, detC, trackC, age, maxAge time.Duration
	var mu sync.Mutex
	var wg sync.WaitGroup
	var slots chan struct{}
	if bf.latest {
		slots = make(chan struct{}, max(1, bf.slots))
	}
	start := time.Now()
	for i, s := range srcs {
		if err := s.Start(rctx); err != nil {
			return rep, err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := benchStream(rctx, s, det, slots, bf, &rep.PerStream[i])
			mu.Lock()
			detT, trackT, detC, trackC = detT+c.detWall, trackT+c.trackWall, detC+c.detCPU, trackC+c.trackCPU
			age, maxAge = age+c.age, max(maxAge, c.maxAge)
			mu.Unlock()
		}()
	}
	wg.Wait()
	el := time.Since(start).Seconds()
	for i, s := range srcs {
		rep.PerStream[i].Health = s.Health()
		s.Stop() // waits for ffmpeg: its CPU time is then counted in the children's
		rep.PerStream[i].Dropped = rep.PerStream[i].Health.Dropped
	}
	self1, kids1 := cpuTimes()
	rep.LoadEnd = uptime()
	for _, st := range rep.PerStream {
		rep.Analysed += st.Analysed
		rep.Dropped += st.Dropped
		rep.Delivered += st.Health.FramesIn
	}
	if rep.Analysed == 0 {
		return rep, errors.New("bench cameras: no frame was analysed")
	}
	n := float64(rep.Analysed)
	rep.AnalysedFPS = n / el / float64(bf.streams)
	rep.DetectMS = float64(detT.Microseconds()) / 1000 / n
	rep.TrackMS = float64(trackT.Microseconds()) / 1000 / n
	rep.DecodeCPU = (kids1 - kids0) / float64(max(rep.Delivered, 1))
	rep.MienCPU = (self1 - self0) / n
	rep.DetectCPUMS = float64(detC.Microseconds()) / 1000 / n
	rep.TrackCPUMS = float64(trackC.Microseconds()) / 1000 / n
	rep.ReadCPUMS = max(0, rep.MienCPU*1000-rep.DetectCPUMS-rep.TrackCPUMS)
	rep.DecodeCPUMS = (kids1 - kids0) * 1000 / n
	rep.LatencyMS = float64(age.Microseconds()) / 1000 / n
	rep.LatencyMaxMS = float64(maxAge.Microseconds()) / 1000
	rep.CoresUsed = (self1 - self0 + kids1 - kids0) / el
	rep.StreamsOn2Cores = 2 / ((rep.DecodeCPU + rep.MienCPU) * bf.fps)
	return rep, nil
}

// stageTimes are one camera's wall and CPU time per stage.
type stageTimes struct{ detWall, trackWall, detCPU, trackCPU, age, maxAge time.Duration }

// benchStream analyses one camera until the context ends. The goroutine is
// locked to its thread so that each stage's CPU time is its own. With slots
// (as many as the detector has sessions) it first waits for a free one, then
// takes the newest frame (latest frame wins): the frame analysed is at most
// one frame interval old, not one that aged in the wait.
func benchStream(ctx context.Context, s *video.Source, det faceDetector, slots chan struct{}, bf camBenchFlags, st *camBenchStream) (c stageTimes) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	tr, _ := track.New(track.Options{MaxLost: max(1, int(1.5*bf.fps)), Bounds: face.R(0, 0, float32(bf.width), float32(bf.height))})
	counter, _ := count.NewCounter(count.Line{A: face.Point{X: float32(bf.width) / 2}, B: face.Point{X: float32(bf.width) / 2, Y: float32(bf.height)}}, 4)
	opts := detect.Options{MinSize: float32(bf.minSize), Scale: bf.detScale}
	var in []track.Detection
	for {
		f, err := s.Next(ctx)
		if err != nil {
			return c
		}
		if det == nil {
			st.Analysed++
			s.Release(f)
			continue
		}
		if f, err = benchSlot(ctx, s, f, slots); err != nil {
			return c
		}
		st.Analysed++
		arrived := f.Time
		t0, c0 := time.Now(), threadCPU()
		dets, err := det.Detect(ctx, f.Image, opts)
		s.Release(f)
		if slots != nil {
			<-slots
		}
		if err != nil {
			return c
		}
		t1, c1 := time.Now(), threadCPU()
		in = in[:0]
		for _, d := range dets {
			in = append(in, track.Detection{Detection: d})
		}
		res := tr.Update(in)
		for _, t := range res.Tracks {
			if t.ID != 0 && t.Det >= 0 {
				counter.Observe(t.ID, t.Box.Center())
			}
		}
		st.Faces += len(dets)
		c.detWall += t1.Sub(t0)
		c.trackWall += time.Since(t1)
		c.detCPU += c1 - c0
		c.trackCPU += threadCPU() - c1
		age := time.Since(arrived)
		c.age += age
		c.maxAge = max(c.maxAge, age)
	}
}

// benchSlot waits for a detector slot (none: no wait) and swaps f for the
// newest frame queued meanwhile.
func benchSlot(ctx context.Context, s *video.Source, f *video.Frame, slots chan struct{}) (*video.Frame, error) {
	if slots == nil {
		return f, nil
	}
	select {
	case slots <- struct{}{}:
	case <-ctx.Done():
		s.Release(f)
		return nil, ctx.Err()
	}
	f, _ = s.Newest(f)
	return f, nil
}

// cpuTimes returns the CPU seconds (user + system) of this process and of
// its children that have ended.
func cpuTimes() (self, children float64) {
	var ru syscall.Rusage
	sec := func(r syscall.Rusage) float64 {
		return float64(r.Utime.Sec+r.Stime.Sec) + float64(r.Utime.Usec+r.Stime.Usec)/1e6
	}
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		self = sec(ru)
	}
	if syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru) == nil {
		children = sec(ru)
	}
	return self, children
}

// uptime is the load average line, for the record.
func uptime() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return fmt.Sprintf("load %s (%d CPUs)", strings.TrimSpace(string(b)), runtime.NumCPU())
}

func printCamBench(env *Env, r camBenchReport) {
	w := env.Stdout
	fmt.Fprintf(w, "bench cameras: %d streams, %g fps analysed each, decoded to %s (%s), %.0f s\n", r.Streams, r.FPS, r.Size, r.Decoder, r.Seconds)
	fmt.Fprintf(w, "  before: %s\n  after:  %s\n", r.Load, r.LoadEnd)
	fmt.Fprintf(w, "  delivered %d frames, analysed %d (%.2f fps per stream of %g wanted), dropped %d\n", r.Delivered, r.Analysed, r.AnalysedFPS, r.FPS, r.Dropped)
	fmt.Fprintf(w, "  per analysed frame: detect %.1f ms, track %.3f ms (wall, under this load)\n", r.DetectMS, r.TrackMS)
	fmt.Fprintf(w, "  CPU-seconds: decode %.4f per delivered frame, mien (detect + track) %.4f per analysed frame\n", r.DecodeCPU, r.MienCPU)
	fmt.Fprintf(w, "  CPU ms per analysed frame: decode %.1f, read %.1f, detect %.1f, track %.3f; %.2f cores used\n", r.DecodeCPUMS, r.ReadCPUMS, r.DetectCPUMS, r.TrackCPUMS, r.CoresUsed)
	fmt.Fprintf(w, "  frame age when analysed: mean %.0f ms, max %.0f ms (queued, waiting for a detector, detect, track)\n", r.LatencyMS, r.LatencyMaxMS)
	fmt.Fprintf(w, "  two idle cores would carry %.1f streams at %g fps at these costs\n", r.StreamsOn2Cores, r.FPS)
}
