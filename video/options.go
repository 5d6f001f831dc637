// Package video turns a camera or file source into decoded RGB frames at a
// chosen rate and size. Decoding is done by an ffmpeg process (raw rgb24
// frames over a pipe); frames live only in memory and are never written to
// disk. A Source reconnects with exponential back-off, keeps a bounded queue
// that drops the oldest frame rather than falling behind, and reports its
// health.
//
// The package takes options, never the environment: the ffmpeg path is an
// Options field.
package video

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Kind is the kind of source a URL names.
type Kind string

// Source kinds.
const (
	KindFile Kind = "file" // a local file (path or file:// URL)
	KindRTSP Kind = "rtsp" // rtsp:// or rtsps://
	KindHTTP Kind = "http" // http(s):// MJPEG, MPEG-TS or HLS
	KindV4L2 Kind = "v4l2" // a V4L2 device (/dev/videoN or v4l2:///dev/videoN)
)

// Options configure a Source. Zero values take the defaults noted.
type Options struct {
	// FFmpeg is the path of the ffmpeg binary. Required.
	FFmpeg string
	// Width and Height are the size of the frames delivered (required). The
	// picture is scaled to fit and padded with black, keeping its aspect.
	Width, Height int
	// FPS is the rate of the frames delivered; 0 keeps the source's rate.
	FPS float64
	// Transport is "tcp" (default) or "udp" for RTSP sources.
	Transport string
	// HWAccel is passed to ffmpeg as -hwaccel (e.g. "vaapi", "cuda"); empty decodes in software.
	HWAccel string
	// HWAccelDevice is passed as -hwaccel_device when HWAccel is set.
	HWAccelDevice string
	// Format forces the input format (ffmpeg -f), e.g. "mpjpeg" for an MJPEG
	// multipart stream; empty lets ffmpeg probe.
	Format string
	// Realtime reads files at their native rate (ffmpeg -re) as a camera would deliver them.
	Realtime bool
	// Loop replays a file forever; without it a file source ends at its end.
	Loop bool
	// Queue is the number of decoded frames held for the consumer (default 4).
	// When it is full the oldest frame is dropped and counted.
	Queue int
	// NoDrop makes the decoder wait for the consumer instead of dropping
	// frames (ffmpeg is slowed by the pipe): for analysing a file offline,
	// never for a live camera, which would fall behind.
	NoDrop bool
	// ConnectTimeout bounds the wait for the first frame of each attempt (default 10s).
	ConnectTimeout time.Duration
	// StallTimeout bounds the gap between frames once running (default 5s);
	// past it ffmpeg is killed and the source reconnects.
	StallTimeout time.Duration
	// BackoffMin and BackoffMax bound the delay between reconnects (defaults
	// 500ms and 30s); the delay doubles after each failed attempt and resets
	// once a frame arrives.
	BackoffMin, BackoffMax time.Duration
	// MaxAttempts stops the source after this many consecutive failed
	// attempts (0: retry forever).
	MaxAttempts int
	// Threads is ffmpeg's decoder thread count (-threads; 0: ffmpeg's
	// choice, one per core). With many cameras on few cores, 1 each avoids
	// the cost of threads competing.
	Threads int
	// SkipFrame makes the decoder skip frames before decoding them
	// (-skip_frame): "noref" (frames nothing refers to, such as most
	// B-frames: cheap to drop when analysing far below the camera's rate),
	// "bidir", or "nokey" (keyframes only: about one frame per GOP; the
	// FPS filter then repeats them). Empty decodes all.
	SkipFrame string
	// NoDeblock skips the H.264 / HEVC in-loop deblocking filter
	// (-skip_loop_filter all): about a third less decoding CPU for a frame the
	// detector sees scaled down (docs/benchmarks.md, "Cameras: 8 x 720p on 2
	// cores"), at the cost of block edges in the picture; a decoder setting,
	// nothing asked of the camera. Other codecs ignore it.
	NoDeblock bool
	// ScaleFlags chooses the scaler (-sws_flags), e.g. "fast_bilinear"
	// (cheapest), "bilinear", "bicubic" (ffmpeg's default). Empty: default.
	ScaleFlags string
}

var skipFrames = map[string]bool{"noref": true, "bidir": true, "nokey": true}

var scaleFlags = map[string]bool{"fast_bilinear": true, "bilinear": true, "bicubic": true, "area": true, "neighbor": true}

// inputFormats are the ffmpeg demuxers Format may force: containers and
// elementary streams only, never a device or filter graph (lavfi could open files).
var inputFormats = map[string]bool{"mpjpeg": true, "mjpeg": true, "mpegts": true, "hls": true,
	"h264": true, "hevc": true, "matroska": true, "mov": true, "flv": true}

// maxSide bounds the frame size so one frame cannot ask for gigabytes.
const maxSide = 8192

func (o Options) withDefaults() (Options, error) {
	if o.FFmpeg == "" {
		return o, errors.New("video: the ffmpeg path is required")
	}
	if o.Width <= 0 || o.Height <= 0 || o.Width > maxSide || o.Height > maxSide {
		return o, fmt.Errorf("video: frame size %dx%d is outside 1..%d", o.Width, o.Height, maxSide)
	}
	if o.Width%2 != 0 || o.Height%2 != 0 {
		return o, fmt.Errorf("video: frame size %dx%d must be even", o.Width, o.Height)
	}
	if o.FPS < 0 || o.FPS > 240 {
		return o, fmt.Errorf("video: fps %g is outside 0..240", o.FPS)
	}
	switch o.Transport {
	case "":
		o.Transport = "tcp"
	case "tcp", "udp":
	default:
		return o, fmt.Errorf("video: rtsp transport %q is not tcp or udp", o.Transport)
	}
	if o.Format != "" && !inputFormats[o.Format] {
		return o, fmt.Errorf("video: input format %q is not one of mpjpeg, mjpeg, mpegts, hls, h264, hevc, matroska, mov, flv", o.Format)
	}
	if o.Queue <= 0 {
		o.Queue = 4
	}
	switch {
	case o.Threads < 0 || o.Threads > 64:
		return o, fmt.Errorf("video: decoder threads %d are outside 0..64", o.Threads)
	case o.SkipFrame != "" && !skipFrames[o.SkipFrame]:
		return o, fmt.Errorf("video: skip_frame %q is not noref, bidir or nokey", o.SkipFrame)
	case o.ScaleFlags != "" && !scaleFlags[o.ScaleFlags]:
		return o, fmt.Errorf("video: scale flags %q are not fast_bilinear, bilinear, bicubic, area or neighbor", o.ScaleFlags)
	}
	setDur(&o.ConnectTimeout, 10*time.Second)
	setDur(&o.StallTimeout, 5*time.Second)
	setDur(&o.BackoffMin, 500*time.Millisecond)
	setDur(&o.BackoffMax, 30*time.Second)
	if o.BackoffMax < o.BackoffMin {
		o.BackoffMax = o.BackoffMin
	}
	return o, nil
}

func setDur(d *time.Duration, def time.Duration) {
	if *d <= 0 {
		*d = def
	}
}

// ParseSource classifies a source and returns the input ffmpeg should open.
// Only the schemes of the four kinds are accepted, so a configured source
// cannot name one of ffmpeg's other protocols (concat:, subfile:, pipe:, ...).
func ParseSource(src string) (Kind, string, error) {
	if src == "" {
		return "", "", errors.New("video: empty source")
	}
	if strings.HasPrefix(src, "/dev/video") {
		return KindV4L2, src, nil
	}
	u, err := url.Parse(src)
	if err != nil || u.Scheme == "" {
		return KindFile, "file:" + src, nil
	}
	switch strings.ToLower(u.Scheme) {
	case "rtsp", "rtsps":
		return KindRTSP, src, nil
	case "http", "https":
		return KindHTTP, src, nil
	case "file":
		if u.Path == "" {
			return "", "", fmt.Errorf("video: source %q has no path", src)
		}
		return KindFile, "file:" + u.Path, nil
	case "v4l2":
		if !strings.HasPrefix(u.Path, "/dev/") {
			return "", "", fmt.Errorf("video: v4l2 source %q does not name a /dev device", src)
		}
		return KindV4L2, u.Path, nil
	}
	return "", "", fmt.Errorf("video: source scheme %q is not supported (rtsp, rtsps, http, https, file, v4l2)", u.Scheme)
}

// protocols whitelists the ffmpeg protocols each kind may use, so that an
// HLS playlist, say, cannot point ffmpeg at a local file.
var protocols = map[Kind]string{
	KindFile: "file",
	KindRTSP: "rtsp,rtsps,rtp,srtp,udp,tcp,tls",
	KindHTTP: "http,https,tcp,tls,crypto,hls",
}

// Args returns the ffmpeg arguments that decode input (of kind k) into raw
// rgb24 frames on standard output. It is exported for tests and for logging
// the exact command.
func (o Options) Args(k Kind, input string) []string {
	a := []string{"-hide_banner", "-nostdin", "-loglevel", "error"}
	if p, ok := protocols[k]; ok {
		a = append(a, "-protocol_whitelist", p)
	}
	if o.HWAccel != "" {
		a = append(a, "-hwaccel", o.HWAccel)
		if o.HWAccelDevice != "" {
			a = append(a, "-hwaccel_device", o.HWAccelDevice)
		}
	}
	switch k {
	case KindRTSP:
		a = append(a, "-rtsp_transport", o.Transport)
	case KindV4L2:
		a = append(a, "-f", "v4l2")
	case KindFile:
		if o.Loop {
			a = append(a, "-stream_loop", "-1")
		}
		if o.Realtime {
			a = append(a, "-re")
		}
	}
	if o.Format != "" && k != KindV4L2 {
		a = append(a, "-f", o.Format)
	}
	if wallclock(k, o.Format) {
		// MJPEG carries no timestamps: ffmpeg would take the stream as 25 fps
		// whatever its rate and the fps filter would keep the wrong frames;
		// each frame is stamped when it arrives instead.
		a = append(a, "-use_wallclock_as_timestamps", "1")
	}
	if o.Threads > 0 {
		a = append(a, "-threads", fmt.Sprint(o.Threads))
	}
	if o.SkipFrame != "" {
		a = append(a, "-skip_frame", o.SkipFrame)
	}
	if o.NoDeblock {
		a = append(a, "-skip_loop_filter", "all")
	}
	a = append(a, "-i", input, "-an", "-sn", "-dn", "-vf", o.filter())
	if o.ScaleFlags != "" {
		a = append(a, "-sws_flags", o.ScaleFlags) // the conversion to rgb24 too
	}
	if wallclock(k, o.Format) {
		a = append(a, "-fps_mode", "passthrough") // no frame repeated to fill a guessed rate
	}
	a = append(a, "-pix_fmt", "rgb24", "-f", "rawvideo", "pipe:1")
	return a
}

func (o Options) filter() string {
	flags := ""
	if o.ScaleFlags != "" {
		flags = ":flags=" + o.ScaleFlags
	}
	f := fmt.Sprintf("scale=%d:%d:force_original_aspect_ratio=decrease%s,pad=%d:%d:(ow-iw)/2:(oh-ih)/2",
		o.Width, o.Height, flags, o.Width, o.Height)
	if o.FPS > 0 {
		f = fmt.Sprintf("fps=%g,", o.FPS) + f
	}
	return f
}

// wallclock says whether a source's frames are stamped as they arrive: MJPEG
// over HTTP, which carries no timestamps.
func wallclock(k Kind, format string) bool {
	return k == KindHTTP && (format == "mpjpeg" || format == "mjpeg")
}
