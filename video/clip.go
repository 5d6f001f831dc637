package video

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"time"

	"github.com/mienhq/mien/face"
)

// ClipOptions bound the decoding of a short clip held in memory. Zero
// values take the defaults noted.
type ClipOptions struct {
	// FFmpeg is the path of the ffmpeg binary. Required.
	FFmpeg string
	// Width and Height are the frames' size (default 640x480): the picture
	// is scaled to fit and padded with black, keeping its aspect.
	Width, Height int
	// FPS is the rate frames are taken at (default 10).
	FPS float64
	// MaxSeconds is how much of the clip is decoded (default 20).
	MaxSeconds float64
	// MaxFrames is how many frames are delivered at most (default 300).
	MaxFrames int
}

// clipFormats are the demuxers a clip may be read with: containers a phone
// or a browser records, and image streams. Never a playlist or concat
// demuxer that could name other files.
const clipFormats = "matroska,webm,mov,mp4,m4a,3gp,3g2,mj2,avi,mpegts,mjpeg,yuv4mpegpipe,jpeg_pipe,png_pipe,ivf,h264,hevc"

func (o ClipOptions) withDefaults() (ClipOptions, error) {
	if o.FFmpeg == "" {
		return o, errors.New("video: the ffmpeg path is required")
	}
	if o.Width == 0 && o.Height == 0 {
		o.Width, o.Height = 640, 480
	}
	if o.FPS == 0 {
		o.FPS = 10
	}
	if o.MaxSeconds == 0 {
		o.MaxSeconds = 20
	}
	if o.MaxFrames == 0 {
		o.MaxFrames = 300
	}
	switch {
	case o.Width <= 0 || o.Height <= 0 || o.Width > maxSide || o.Height > maxSide || o.Width%2 != 0 || o.Height%2 != 0:
		return o, fmt.Errorf("video: clip frame size %dx%d must be even and within 1..%d", o.Width, o.Height, maxSide)
	case o.FPS < 0 || o.FPS > 60 || o.MaxSeconds < 0 || o.MaxSeconds > 600 || o.MaxFrames < 0:
		return o, fmt.Errorf("video: clip fps %g (0..60), seconds %g (0..600) or frames %d out of range", o.FPS, o.MaxSeconds, o.MaxFrames)
	}
	return o, nil
}

// ClipArgs returns the ffmpeg arguments that decode a clip on standard
// input into raw rgb24 frames on standard output.
func (o ClipOptions) ClipArgs() []string {
	f := Options{Width: o.Width, Height: o.Height, FPS: o.FPS}.filter()
	return []string{"-hide_banner", "-loglevel", "error", "-protocol_whitelist", "pipe", "-format_whitelist", clipFormats,
		"-max_pixels", strconv.Itoa(maxSide * maxSide / 4), "-i", "pipe:0", "-an", "-sn", "-dn",
		"-t", strconv.FormatFloat(o.MaxSeconds, 'f', -1, 64), "-frames:v", strconv.Itoa(o.MaxFrames),
		"-vf", f, "-pix_fmt", "rgb24", "-f", "rawvideo", "pipe:1"}
}

// EachClipFrame decodes a short clip held in memory with ffmpeg (the clip
// goes in by a pipe and is never written to disk) and calls fn with each
// frame and its time from the clip's start, in order. The image is reused
// for the next frame: fn must not keep it. An error from fn stops the
// decoding and is returned.
func EachClipFrame(ctx context.Context, clip []byte, opts ClipOptions, fn func(at time.Duration, img *face.Image) error) error {
	o, err := opts.withDefaults()
	if err != nil {
		return err
	}
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cmd := exec.CommandContext(cctx, o.FFmpeg, o.ClipArgs()...)
	cmd.WaitDelay = 2 * time.Second
	cmd.Stdin = bytes.NewReader(clip)
	tail := &tailWriter{max: 2048}
	cmd.Stderr = tail
	out, err := cmd.StdoutPipe()
	if err != nil {
		return fmt.Errorf("video: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("video: start ffmpeg: %w", err)
	}
	img := face.NewImage(o.Width, o.Height)
	var ferr error
	n := 0
	for ; ; n++ {
		if _, err := io.ReadFull(out, img.Pix); err != nil {
			break
		}
		if ferr = fn(time.Duration(float64(n)/o.FPS*float64(time.Second)), img); ferr != nil {
			cancel()
			break
		}
	}
	werr := cmd.Wait()
	switch {
	case ferr != nil:
		return ferr
	case ctx.Err() != nil:
		return ctx.Err()
	case werr != nil:
		return fmt.Errorf("%w: ffmpeg: %v%s", ErrClip, werr, tail.suffix())
	case n == 0:
		return fmt.Errorf("%w: no frame could be decoded%s", ErrClip, tail.suffix())
	}
	return nil
}

// ErrClip is returned for a clip ffmpeg cannot decode.
var ErrClip = errors.New("video: the clip could not be decoded")
