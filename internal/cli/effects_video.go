package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/mienhq/mien/video"
)

// probe is what ffprobe says of a video file's first video stream.
type probe struct {
	Width, Height int
	Rate          string // r_frame_rate as ffprobe writes it, e.g. "25/1"
	FPS           float64
	Frames        int // 0 when unknown
}

func probeVideo(ctx context.Context, ffprobe, path string) (probe, error) {
	out, err := exec.CommandContext(ctx, ffprobe, "-v", "error", "-protocol_whitelist", "file", "-select_streams", "v:0",
		"-show_entries", "stream=width,height,r_frame_rate,nb_frames:format=duration", "-of", "json", "file:"+path).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return probe{}, fmt.Errorf("effects: %s is not a video ffprobe can read: %s", path, strings.TrimSpace(string(ee.Stderr)))
		}
		return probe{}, fmt.Errorf("effects: ffprobe: %w", err)
	}
	var v struct {
		Streams []struct {
			Width    int    `json:"width"`
			Height   int    `json:"height"`
			Rate     string `json:"r_frame_rate"`
			NbFrames string `json:"nb_frames"`
		} `json:"streams"`
		Format struct {
			Duration string `json:"duration"`
		} `json:"format"`
	}
	if err := json.Unmarshal(out, &v); err != nil || len(v.Streams) == 0 {
		return probe{}, fmt.Errorf("effects: %s has no video stream", path)
	}
	s := v.Streams[0]
	p := probe{Width: s.Width &^ 1, Height: s.Height &^ 1, Rate: s.Rate}
	if n, d, ok := strings.Cut(s.Rate, "/"); ok {
		num, _ := strconv.ParseFloat(n, 64)
		den, _ := strconv.ParseFloat(d, 64)
		if den > 0 {
			p.FPS = num / den
		}
	}
	if p.Width < 2 || p.Height < 2 || !(p.FPS > 0 && p.FPS <= 240) {
		return probe{}, fmt.Errorf("effects: %s: video stream %dx%d at %q frames/s is not usable", path, s.Width, s.Height, s.Rate)
	}
	p.Frames, _ = strconv.Atoi(s.NbFrames)
	if dur, err := strconv.ParseFloat(v.Format.Duration, 64); p.Frames <= 0 && err == nil {
		p.Frames = int(math.Round(dur * p.FPS))
	}
	return p, nil
}

// encoder is an ffmpeg process turning raw rgb24 frames into H.264,
// taking the audio of audioFrom (a file) when it has any.
type encoder struct {
	cmd    *exec.Cmd
	in     io.WriteCloser
	stderr limitedBuf
}

// A live source (rate "") is stamped with the time each frame arrives, so
// that frames dropped while the effects fall behind do not speed the
// video up.
func startEncoder(ffmpeg string, w, h int, rate, audioFrom, out string) (*encoder, error) {
	args := []string{"-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-protocol_whitelist", "file,pipe"}
	if rate == "" {
		args = append(args, "-use_wallclock_as_timestamps", "1")
	} else {
		args = append(args, "-r", rate)
	}
	args = append(args, "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", fmt.Sprintf("%dx%d", w, h), "-i", "pipe:0")
	if audioFrom != "" {
		args = append(args, "-i", "file:"+audioFrom, "-map", "0:v:0", "-map", "1:a?", "-c:a", "aac", "-b:a", "128k")
	}
	if rate == "" {
		args = append(args, "-fps_mode", "vfr")
	}
	args = append(args, "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p",
		"-movflags", "+faststart", "-shortest", "file:"+out)
	e := &encoder{cmd: exec.Command(ffmpeg, args...)} // not killed on interrupt: closing its input finishes the file
	e.cmd.Stderr = &e.stderr
	var err error
	if e.in, err = e.cmd.StdinPipe(); err != nil {
		return nil, fmt.Errorf("effects: %w", err)
	}
	if err := e.cmd.Start(); err != nil {
		return nil, fmt.Errorf("effects: start ffmpeg: %w", err)
	}
	return e, nil
}

func (e *encoder) write(pix []byte) error {
	if _, err := e.in.Write(pix); err != nil {
		return fmt.Errorf("effects: ffmpeg encoder stopped: %w: %s", err, e.stderr.b)
	}
	return nil
}

func (e *encoder) close() error {
	e.in.Close()
	if err := e.cmd.Wait(); err != nil {
		return fmt.Errorf("effects: ffmpeg encoder: %w: %s", err, e.stderr.b)
	}
	return nil
}

// limitedBuf keeps the first 4 KiB written.
type limitedBuf struct{ b []byte }

func (l *limitedBuf) Write(p []byte) (int, error) {
	if room := 4096 - len(l.b); room > 0 {
		l.b = append(l.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

// video runs the effects over a video file (every frame, at its own size
// and rate, audio kept) or a camera (at --width x --height and --fps).
func (x *effectsRun) video(ctx context.Context, env *Env, in, out, kind string, xf effectsFlags) (effectsSummary, error) {
	ff, err := exec.LookPath(xf.ffmpeg)
	if err != nil {
		return effectsSummary{}, fmt.Errorf("effects: ffmpeg not found (%w); install it or give --ffmpeg PATH", err)
	}
	opts := video.Options{FFmpeg: ff, Width: xf.width, Height: xf.height, FPS: xf.fps, Format: xf.format}
	rate, total, audio := "", 0, ""
	if kind == "file" {
		fp, err := exec.LookPath(xf.ffprobe)
		if err != nil {
			return effectsSummary{}, fmt.Errorf("effects: ffprobe not found (%w); install it or give --ffprobe PATH", err)
		}
		p, err := probeVideo(ctx, fp, in)
		if err != nil {
			return effectsSummary{}, err
		}
		opts = video.Options{FFmpeg: ff, Width: p.Width, Height: p.Height, NoDrop: true, MaxAttempts: 1}
		rate, total, audio = p.Rate, p.Frames, in
		xf.fps = p.FPS
	} else if !(xf.fps > 0) {
		return effectsSummary{}, usageError{errors.New("effects: --fps must be above 0")}
	}
	src, err := video.New(in, opts)
	if err != nil {
		return effectsSummary{}, usageError{fmt.Errorf("effects: %w", err)}
	}
	w, h := opts.Width, opts.Height
	if x.params.Puppet != nil {
		w, h = x.params.Puppet.Size()
	}
	enc, err := startEncoder(ff, w, h, rate, audio, out)
	if err != nil {
		return effectsSummary{}, err
	}
	if err := src.Start(ctx); err != nil {
		enc.close()
		return effectsSummary{}, err
	}
	defer src.Stop()
	err = x.loop(ctx, env, src, enc, xf, total)
	if cerr := enc.close(); err == nil {
		err = cerr
	}
	if err != nil {
		return effectsSummary{}, err
	}
	if x.sum.Frames == 0 {
		return effectsSummary{}, fmt.Errorf("effects: %s gave no frames", in)
	}
	return x.summary(out), nil
}

func (x *effectsRun) loop(ctx context.Context, env *Env, src *video.Source, enc *encoder, xf effectsFlags, total int) error {
	var bar *progress
	if total > 0 {
		bar = newProgress(env.Stderr, "effects", total)
		defer bar.Finish()
	}
	var start time.Time
	n := 0
	err := src.Each(ctx, func(f *video.Frame) error {
		if n == 0 {
			start = time.Now() // --seconds counts from the first frame, not from connecting
		}
		dst, err := x.frame(ctx, f.Image, float64(n)/xf.fps)
		if err != nil {
			return fmt.Errorf("effects: frame %d: %w", n+1, err)
		}
		n++
		if bar != nil {
			bar.Add(1)
		}
		if err := enc.write(dst.Pix); err != nil {
			return err
		}
		if xf.seconds > 0 && time.Since(start).Seconds() >= xf.seconds {
			src.Stop()
		}
		return nil
	})
	if errors.Is(err, video.ErrStopped) || errors.Is(err, context.Canceled) {
		err = nil // the file ended, --seconds passed or interrupted: keep what was written
	}
	return err
}
