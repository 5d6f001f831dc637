package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"time"

	"github.com/mienhq/mien/count"
	"github.com/mienhq/mien/detect"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/track"
	"github.com/mienhq/mien/video"
)

func init() {
	register(command{name: "watch", summary: "count people crossing a line in a video file or stream: watch SOURCE --count x1,y1,x2,y2", run: runWatch})
}

// faceDetector is all a counting camera may use of the engine: detection.
// No template is ever computed on this path.
type faceDetector interface {
	Detect(ctx context.Context, img *face.Image, opts detect.Options) ([]face.Detection, error)
}

// frameSource is what watch reads frames from (a *video.Source).
type frameSource interface {
	Each(ctx context.Context, fn func(*video.Frame) error) error
	Health() video.Health
}

// watchEvent is one line of watch's output.
type watchEvent struct {
	Event   string  `json:"event"` // "in" or "out"
	Track   uint64  `json:"track"`
	Frame   uint64  `json:"frame"`
	Seconds float64 `json:"seconds"` // frame / fps: the position in a file, or time since start for a stream
}

// watchSummary is the last line of watch's output.
type watchSummary struct {
	In       int          `json:"in"`
	Out      int          `json:"out"`
	Frames   uint64       `json:"frames"`
	Tracks   uint64       `json:"tracks"`
	DetectMS float64      `json:"detect_ms_per_frame"`
	TrackMS  float64      `json:"track_ms_per_frame"`
	Source   video.Health `json:"source"`
}

type watchFlags struct {
	line                string
	fps                 float64
	width, height       int
	minSize, hysteresis float64
	ffmpeg, transport   string
	realtime            bool
}

func runWatch(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "watch", "SOURCE --count x1,y1,x2,y2 [flags]",
		"Detect and track faces in a video file, RTSP/HTTP stream or V4L2 device and print, as JSON lines, each\n"+
			"track crossing the line (\"in\": from the right of x1,y1->x2,y2 to its left as seen on screen, i.e. left\n"+
			"to right for a line drawn top to bottom), then a summary. Counting only: no face template is computed\n"+
			"and nothing is stored. Line coordinates are in pixels of the --size frame.")
	var ef engineFlags
	ef.register(fs)
	var wf watchFlags
	fs.StringVar(&wf.line, "count", "", "the counting line x1,y1,x2,y2 (required)")
	fs.Float64Var(&wf.fps, "fps", 5, "frames analysed per second")
	fs.IntVar(&wf.width, "width", 1280, "frame width the source is scaled to")
	fs.IntVar(&wf.height, "height", 720, "frame height the source is scaled to")
	fs.Float64Var(&wf.minSize, "min-size", 32, "ignore faces smaller than this many pixels")
	fs.Float64Var(&wf.hysteresis, "hysteresis", 8, "half-width of the band around the line, pixels")
	fs.StringVar(&wf.ffmpeg, "ffmpeg", "ffmpeg", "the ffmpeg binary")
	fs.StringVar(&wf.transport, "transport", "tcp", "RTSP transport: tcp or udp")
	fs.BoolVar(&wf.realtime, "realtime", false, "read a file at its own pace and drop frames when behind, as a live camera")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 || wf.line == "" {
		fs.Usage()
		return usageError{errors.New("watch: give one SOURCE and --count x1,y1,x2,y2 (--collection is not built yet)")}
	}
	line, err := count.ParseLine(wf.line)
	if err != nil {
		return usageError{fmt.Errorf("watch: %w", err)}
	}
	src, err := openWatchSource(fs.Arg(0), wf)
	if err != nil {
		return err
	}
	eng, err := openEngine(env, ef)
	if err != nil {
		return err
	}
	defer eng.Close()
	if err := src.Start(ctx); err != nil {
		return err
	}
	defer src.Stop()
	sum, err := watchCount(ctx, src, eng, line, wf, env.Stdout)
	if err != nil {
		return err
	}
	return json.NewEncoder(env.Stdout).Encode(map[string]watchSummary{"summary": sum})
}

func openWatchSource(src string, wf watchFlags) (*video.Source, error) {
	if wf.fps <= 0 {
		return nil, usageError{errors.New("watch: --fps must be above 0")}
	}
	ff, err := exec.LookPath(wf.ffmpeg)
	if err != nil {
		return nil, fmt.Errorf("watch: ffmpeg not found (%w); install it (apt-get install ffmpeg) or give --ffmpeg PATH", err)
	}
	kind, _, err := video.ParseSource(src)
	if err != nil {
		return nil, usageError{fmt.Errorf("watch: %w", err)}
	}
	offline := kind == video.KindFile && !wf.realtime
	s, err := video.New(src, video.Options{FFmpeg: ff, Width: wf.width, Height: wf.height, FPS: wf.fps,
		Transport: wf.transport, Realtime: wf.realtime, NoDrop: offline, MaxAttempts: map[bool]int{true: 1}[offline]})
	if err != nil {
		return nil, usageError{fmt.Errorf("watch: %w", err)}
	}
	return s, nil
}

// watchCount runs detect -> track -> count over the source's frames,
// printing each crossing as a JSON line to out.
func watchCount(ctx context.Context, src frameSource, det faceDetector, line count.Line, wf watchFlags, out io.Writer) (watchSummary, error) {
	var sum watchSummary
	// a lost track coasts for at most a second and a half, and ends once its
	// prediction has left the frame
	tr, err := track.New(track.Options{MaxLost: max(1, int(1.5*wf.fps)),
		Bounds: face.R(0, 0, float32(wf.width), float32(wf.height))})
	if err != nil {
		return sum, err
	}
	counter, err := count.NewCounter(line, float32(wf.hysteresis))
	if err != nil {
		return sum, err
	}
	enc := json.NewEncoder(out)
	opts := detect.Options{MinSize: float32(wf.minSize)}
	var in []track.Detection
	var detTime, trackTime time.Duration
	err = src.Each(ctx, func(f *video.Frame) error {
		t0 := time.Now()
		dets, err := det.Detect(ctx, f.Image, opts)
		if err != nil {
			return fmt.Errorf("watch: frame %d: %w", f.Seq, err)
		}
		t1 := time.Now()
		in = in[:0]
		for _, d := range dets {
			in = append(in, track.Detection{Detection: d})
		}
		res := tr.Update(in)
		for _, t := range res.Tracks {
			if t.ID == 0 || t.Det < 0 {
				continue
			}
			sum.Tracks = max(sum.Tracks, t.ID)
			if dir := counter.Observe(t.ID, t.Box.Center()); dir != count.None {
				ev := watchEvent{Event: dir.String(), Track: t.ID, Frame: f.Seq, Seconds: float64(f.Seq-1) / wf.fps}
				if err := enc.Encode(ev); err != nil {
					return err
				}
			}
		}
		for _, t := range res.Ended {
			counter.Forget(t.ID)
		}
		detTime += t1.Sub(t0)
		trackTime += time.Since(t1)
		sum.Frames++
		return nil
	})
	if err != nil && !errors.Is(err, video.ErrStopped) && !errors.Is(err, context.Canceled) {
		return sum, err
	}
	sum.In, sum.Out, sum.Source = counter.In, counter.Out, src.Health()
	if sum.Frames > 0 {
		sum.DetectMS = float64(detTime.Microseconds()) / 1000 / float64(sum.Frames)
		sum.TrackMS = float64(trackTime.Microseconds()) / 1000 / float64(sum.Frames)
	}
	if errors.Is(err, context.Canceled) {
		err = nil // interrupted: still print the summary
	}
	return sum, err
}
