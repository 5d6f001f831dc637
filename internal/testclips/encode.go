package testclips

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"

	"github.com/mienhq/mien/face"
)

// codecArgs are the ffmpeg output arguments per container.
var codecArgs = map[string][]string{
	"mp4":   {"-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-f", "mp4"},
	"mjpeg": {"-c:v", "mjpeg", "-q:v", "4", "-pix_fmt", "yuvj420p", "-f", "mjpeg"},
	"ts":    {"-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-f", "mpegts"},
}

// Encode renders the scene and pipes its frames to ffmpeg, which writes the
// clip to path as format (mp4, mjpeg or ts). The frames exist only in memory.
func Encode(ctx context.Context, ffmpeg string, sc *Scene, path, format string) error {
	out, ok := codecArgs[format]
	if !ok {
		return fmt.Errorf("testclips: format %q is not mp4, mjpeg or ts", format)
	}
	if err := sc.Validate(); err != nil {
		return err
	}
	args := []string{"-hide_banner", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
		"-s", fmt.Sprintf("%dx%d", sc.W, sc.H), "-r", strconv.Itoa(sc.FPS), "-i", "pipe:0", "-g", strconv.Itoa(sc.FPS)}
	args = append(append(args, out...), path)
	cmd := exec.CommandContext(ctx, ffmpeg, args...)
	var stderr limited
	cmd.Stderr = &stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return fmt.Errorf("testclips: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("testclips: start ffmpeg: %w", err)
	}
	werr := writeFrames(in, sc)
	in.Close()
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("testclips: ffmpeg: %w: %s", err, stderr.b)
	}
	return werr
}

func writeFrames(w io.Writer, sc *Scene) error {
	img := face.NewImage(sc.W, sc.H)
	for i := 0; i < sc.Frames; i++ {
		if _, err := sc.Render(i, img); err != nil {
			return err
		}
		if _, err := w.Write(img.Pix); err != nil {
			return fmt.Errorf("testclips: write frame %d: %w", i, err)
		}
	}
	return nil
}

// WriteTruth writes the scene's ground truth as indented JSON to path.
func WriteTruth(sc *Scene, clip, path string) error {
	b, err := json.MarshalIndent(sc.Truth(clip), "", " ")
	if err != nil {
		return fmt.Errorf("testclips: %w", err)
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// limited keeps the first 4 KiB written.
type limited struct{ b []byte }

func (l *limited) Write(p []byte) (int, error) {
	if room := 4096 - len(l.b); room > 0 {
		l.b = append(l.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}
