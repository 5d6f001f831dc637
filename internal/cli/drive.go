package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/driver"
	"github.com/mienhq/mien/mesh"
	"github.com/mienhq/mien/video"
)

func init() {
	register(command{name: "drive", summary: "driver monitoring over a video file, RTSP stream or camera: prints alerts live, writes the timeline", run: runDrive})
}

// driveFlags are mien drive's flags.
type driveFlags struct {
	ef                     engineFlags
	width, height          int
	fps                    float64
	ffmpeg, transport      string
	realtime, text, blinks bool
	timeline               string
}

func runDrive(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "drive", "[flags] SOURCE",
		"Watches one driver's face in SOURCE (a video file, rtsp:// URL, http(s):// stream or /dev/videoN camera) with the\n"+
			"face mesh and prints each alert as it happens (PERCLOS, long eye closures, yawns, head turned away, gaze off,\n"+
			"face lost), one JSON object a line (or --text). Nothing is stored but the --timeline numbers; no identity is involved.\n"+
			"Exit status 4: at least one alert was raised.")
	var df driveFlags
	df.ef.register(fs)
	fs.IntVar(&df.width, "width", 640, "frame width the source is scaled to")
	fs.IntVar(&df.height, "height", 480, "frame height the source is scaled to")
	fs.Float64Var(&df.fps, "fps", 15, "frames per second analysed")
	fs.StringVar(&df.ffmpeg, "ffmpeg", "ffmpeg", "the ffmpeg binary")
	fs.StringVar(&df.transport, "transport", "tcp", "RTSP transport: tcp or udp")
	fs.BoolVar(&df.realtime, "realtime", false, "read a file at its own rate, as a camera (frames are dropped when behind)")
	fs.BoolVar(&df.text, "text", false, "print readable lines instead of JSON")
	fs.BoolVar(&df.blinks, "blinks", false, "print blinks, calibration and level changes too, not only alerts")
	fs.StringVar(&df.timeline, "timeline", "", "write the whole timeline (every frame's measures and every event) as JSON to this file")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return usageError{errors.New("drive: give one SOURCE")}
	}
	src, offline, err := openDriveSource(fs.Arg(0), df)
	if err != nil {
		return err
	}
	mon, err := driver.New(driver.Options{})
	if err != nil {
		return err
	}
	eng, err := openEngine(env, df.ef)
	if err != nil {
		return err
	}
	defer eng.Close()
	m, err := eng.OpenMesh(mesh.Options{})
	if err != nil {
		return err
	}
	defer m.Close()
	if err := src.Start(ctx); err != nil {
		return err
	}
	defer src.Stop()
	sum, runErr := drive(ctx, eng, m, src, mon, df, offline, env)
	if err := writeTimeline(df.timeline, mon.Timeline()); err != nil {
		return err
	}
	if runErr != nil && !errors.Is(runErr, context.Canceled) {
		return runErr
	}
	if err := json.NewEncoder(env.Stdout).Encode(map[string]driveSummary{"summary": sum}); err != nil {
		return err
	}
	if sum.Alerts > 0 {
		return exitError{exitAlert}
	}
	return nil
}

func openDriveSource(src string, df driveFlags) (*video.Source, bool, error) {
	if df.fps <= 0 || df.fps > 120 {
		return nil, false, usageError{errors.New("drive: --fps must be above 0 and at most 120")}
	}
	ff, err := exec.LookPath(df.ffmpeg)
	if err != nil {
		return nil, false, fmt.Errorf("drive: ffmpeg not found (%w); install it (apt-get install ffmpeg) or give --ffmpeg PATH", err)
	}
	kind, _, err := video.ParseSource(src)
	if err != nil {
		return nil, false, usageError{fmt.Errorf("drive: %w", err)}
	}
	offline := kind == video.KindFile && !df.realtime
	s, err := video.New(src, video.Options{FFmpeg: ff, Width: df.width, Height: df.height, FPS: df.fps,
		Transport: df.transport, Realtime: df.realtime, NoDrop: offline, MaxAttempts: map[bool]int{true: 1}[offline]})
	if err != nil {
		return nil, false, usageError{fmt.Errorf("drive: %w", err)}
	}
	return s, offline, nil
}

// driveSummary is drive's last line.
type driveSummary struct {
	Frames     int                 `json:"frames"`
	FaceFrames int                 `json:"face_frames"`
	Seconds    float64             `json:"seconds"`
	Alerts     int                 `json:"alerts"`
	Counts     map[driver.Kind]int `json:"counts"`
	MaxLevel   driver.Level        `json:"max_level"`
	Final      driver.State        `json:"final"`
}

// isAlert says whether an event is an alert (not a blink, the end of a
// closure already alerted, a level change or the calibration).
func isAlert(k driver.Kind) bool {
	switch k {
	case driver.Blink, driver.ClosureEnd, driver.LevelChange, driver.Calibrated:
		return false
	}
	return true
}

// drive feeds every frame's mesh signals to the monitor and prints the
// events as they come.
func drive(ctx context.Context, eng *mien.Engine, m *mesh.Model, src *video.Source, mon *driver.Monitor,
	df driveFlags, offline bool, env *Env) (driveSummary, error) {
	sum := driveSummary{Counts: map[driver.Kind]int{}}
	var t0 time.Time
	ts := func(f *video.Frame) float64 {
		if offline {
			return float64(f.Seq-1) / df.fps
		}
		if t0.IsZero() {
			t0 = f.Time
		}
		return f.Time.Sub(t0).Seconds()
	}
	enc := json.NewEncoder(env.Stdout)
	err := meshStream(ctx, eng, m, mesh.TrackOptions{Smooth: true}, src, ts, func(r mesh.Result) error {
		ok := r.OK
		if r.Err != nil { // one frame's failure (a pose that did not solve): the frame counts as no face
			fmt.Fprintf(env.Stderr, "mien: drive: frame at %.2f s: %v\n", r.T, r.Err)
			ok = false
		}
		sum.Frames++
		if ok {
			sum.FaceFrames++
		}
		sum.Seconds = r.T
		evs, err := mon.Update(mien.DriverSample(r.Frame, ok, r.T))
		if err != nil {
			return err
		}
		for _, ev := range evs {
			sum.Counts[ev.Kind]++
			if isAlert(ev.Kind) {
				sum.Alerts++
			}
			sum.MaxLevel = max(sum.MaxLevel, ev.Level)
			if !df.blinks && !isAlert(ev.Kind) {
				continue
			}
			if err := printDriveEvent(env.Stdout, enc, ev, df.text); err != nil {
				return err
			}
		}
		return nil
	})
	sum.Final = mon.State()
	return sum, err
}

func printDriveEvent(w io.Writer, enc *json.Encoder, ev driver.Event, text bool) error {
	if !text {
		return enc.Encode(ev)
	}
	line := fmt.Sprintf("%8.2fs  %-8s %s", ev.T, ev.Level, ev.Kind)
	if ev.Duration > 0 {
		line += fmt.Sprintf("  %.1f s", ev.Duration)
	}
	if ev.Value != 0 {
		line += fmt.Sprintf("  (%.2f)", ev.Value)
	}
	_, err := fmt.Fprintln(w, line)
	return err
}

// writeTimeline writes the monitor's timeline as JSON ("" writes nothing).
func writeTimeline(path string, tl driver.Timeline) error {
	if path == "" {
		return nil
	}
	b, err := json.Marshal(tl)
	if err != nil {
		return fmt.Errorf("drive: timeline: %w", err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("drive: timeline: %w", err)
	}
	return nil
}
