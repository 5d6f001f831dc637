package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"

	"github.com/mienhq/mien/count"
	"github.com/mienhq/mien/detect"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/video"
)

func init() {
	register(command{name: "watch", summary: "watch a video file or stream: count line crossings (--count x1,y1,x2,y2) or gate on a collection (--collection ID)", run: runWatch})
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

type watchFlags struct {
	line                string
	fps                 float64
	width, height       int
	minSize, hysteresis float64
	ffmpeg, transport   string
	realtime            bool
	// the gate
	collection, data, camera string
	fpir                     float64
	frames                   int
	minFace                  float64
	live                     bool      // frame times from the clock (a stream), not from the position in a file
	noDeblock                bool      // skip H.264's deblocking filter when decoding (video.Options.NoDeblock)
	countWidth               int       // eval cameras: counting clips decoded this wide (0: the clip's size)
	antiSpoof                bool      // gate: faces must look live (passive anti-spoofing) before they are identified
	stderr                   io.Writer // warnings (nil: none)
}

func runWatch(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "watch", "SOURCE (--count x1,y1,x2,y2 | --collection ID) [flags]",
		"Detect and track faces in a video file, RTSP/HTTP stream or V4L2 device and print events as JSON lines, then a summary.\n"+
			"--count: each track crossing the line (\"in\": from the right of x1,y1->x2,y2 to its left as seen on screen, i.e. left\n"+
			"to right for a line drawn top to bottom); no face template is computed. Line coordinates are in pixels of the frame.\n"+
			"--collection: an access gate on that collection of the store in --data: each track is identified once from its\n"+
			"best frames fused (granted, with the subject id and score; denied_unknown; expired_consent; denied_not_live: a photo\n"+
			"or a screen, never identified). Nothing is stored;\n"+
			"templates of unknown faces are dropped as soon as decided.")
	var ef engineFlags
	ef.register(fs)
	wf := watchFlags{stderr: env.Stderr}
	fs.StringVar(&wf.line, "count", "", "the counting line x1,y1,x2,y2")
	fs.StringVar(&wf.collection, "collection", "", "the collection to gate on (its id)")
	fs.StringVar(&wf.data, "data", "", "data directory of the store (default: $MIEN_DATA, else $MIEN_HOME/data); needs the master key")
	fs.StringVar(&wf.camera, "camera", "watch", "camera name in gate events")
	fs.Float64Var(&wf.fpir, "fpir", 0, "gate: false-positive identification rate (default: the collection's, else 0.01)")
	fs.IntVar(&wf.frames, "frames", 3, "gate: templates of a track's best frames fused into one probe")
	fs.Float64Var(&wf.minFace, "min-face", 64, "gate: least face size (box height), pixels, for a frame to be identified from")
	fs.BoolVar(&wf.antiSpoof, "anti-spoof", true, "gate: a track's best frames must look live (passive anti-spoofing, the standard pack's models) before it is\n"+
		"identified; a photo or a screen is denied_not_live. --anti-spoof=false for a camera that gives no colour (infrared)")
	fs.Float64Var(&wf.fps, "fps", 5, "frames analysed per second")
	fs.IntVar(&wf.width, "width", 1280, "frame width the source is scaled to")
	fs.IntVar(&wf.height, "height", 720, "frame height the source is scaled to")
	fs.Float64Var(&wf.minSize, "min-size", 32, "ignore faces smaller than this many pixels")
	fs.Float64Var(&wf.hysteresis, "hysteresis", 8, "half-width of the band around the line, pixels")
	fs.StringVar(&wf.ffmpeg, "ffmpeg", "ffmpeg", "the ffmpeg binary")
	fs.StringVar(&wf.transport, "transport", "tcp", "RTSP transport: tcp or udp")
	fs.BoolVar(&wf.noDeblock, "no-deblock", false, "skip H.264's deblocking filter when decoding (ffmpeg -skip_loop_filter all): less CPU, for counting")
	fs.BoolVar(&wf.realtime, "realtime", false, "read a file at its own pace and drop frames when behind, as a live camera")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 || (wf.line == "") == (wf.collection == "") {
		fs.Usage()
		return usageError{errors.New("watch: give one SOURCE and either --count x1,y1,x2,y2 or --collection ID")}
	}
	var line count.Line
	if wf.line != "" {
		var err error
		if line, err = count.ParseLine(wf.line); err != nil {
			return usageError{fmt.Errorf("watch: %w", err)}
		}
	}
	src, err := openWatchSource(fs.Arg(0), wf)
	if err != nil {
		return err
	}
	kind, _, _ := video.ParseSource(fs.Arg(0))
	wf.live = kind != video.KindFile || wf.realtime
	eng, err := openEngineFor(env, ef, wf.collection == "") // counting: the detector alone
	if err != nil {
		return err
	}
	defer eng.Close()
	var sum watchSummary
	if wf.collection != "" {
		sum, err = watchGateCommand(ctx, env, src, eng, wf)
	} else {
		if err := src.Start(ctx); err != nil {
			return err
		}
		defer src.Stop()
		sum, err = watchCount(ctx, src, eng, line, wf, env.Stdout)
	}
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
		Transport: wf.transport, Realtime: wf.realtime, NoDrop: offline, NoDeblock: wf.noDeblock, MaxAttempts: map[bool]int{true: 1}[offline]})
	if err != nil {
		return nil, usageError{fmt.Errorf("watch: %w", err)}
	}
	return s, nil
}

// watchCount runs detect -> track -> count over the source's frames,
// printing each crossing as a JSON line to out. It has no embedder: no
// template is computed.
func watchCount(ctx context.Context, src frameSource, det faceDetector, line count.Line, wf watchFlags, out io.Writer) (watchSummary, error) {
	enc := json.NewEncoder(out)
	p, err := newWatchPipe(det, wf, func(ev watchEvent) error { return enc.Encode(ev) })
	if err != nil {
		return watchSummary{}, err
	}
	if p.counter, err = count.NewCounter(line, float32(wf.hysteresis)); err != nil {
		return watchSummary{}, err
	}
	return p.run(ctx, src)
}
