// Package imageio turns untrusted bytes into a bounded, upright RGB image,
// or a clear error. The format is found from the bytes (never from a file
// name), the size is checked from the header before any pixel is decoded,
// and JPEG EXIF orientation is applied. Decode is safe for concurrent use.
//
// Supported: JPEG, PNG, WebP and GIF (first frame), and HEIC/HEIF and AVIF
// (primary image) in builds with libheif (HEIF). Transparent pixels are
// composited over white (HEIF: the alpha channel is dropped).
package imageio

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"

	"golang.org/x/image/webp"

	"github.com/mienhq/mien/face"
)

// Sentinel errors callers act on.
var (
	ErrUnsupported = errors.New("imageio: unsupported image format")
	ErrTooLarge    = errors.New("imageio: image too large")
	ErrCorrupt     = errors.New("imageio: corrupt or truncated image")
	errNoTurbo     = errors.New("imageio: built without libjpeg-turbo")
)

// Default limits.
const (
	DefaultMaxPixels = 40_000_000
	DefaultMaxSide   = 16384
	DefaultMaxBytes  = 50 << 20
)

// Options bound what Decode accepts. Zero fields take the defaults.
type Options struct {
	MaxPixels         int   // pixel budget (default 40 MP)
	MaxSide           int   // longest side (default 16384)
	MaxBytes          int   // input size (default 50 MiB)
	IgnoreOrientation bool  // do not apply EXIF orientation
	MaxScans          int   // JPEG scans (default 100)
	MaxScanPixels     int64 // JPEG pixels x scans (default 1e9)
}

func (o Options) withDefaults() Options {
	if o.MaxPixels <= 0 {
		o.MaxPixels = DefaultMaxPixels
	}
	if o.MaxSide <= 0 {
		o.MaxSide = DefaultMaxSide
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.MaxScans <= 0 {
		o.MaxScans = DefaultMaxScans
	}
	if o.MaxScanPixels <= 0 {
		o.MaxScanPixels = DefaultMaxScanPixels
	}
	return o
}

// Info describes an image without its pixels. Width and Height are as
// stored; Orientation is the EXIF tag (1 when absent).
type Info struct {
	Format      string `json:"format"`
	Width       int    `json:"width"`
	Height      int    `json:"height"`
	Orientation int    `json:"orientation"`
}

// heifBrands are the ISO BMFF major brands of HEIC/HEIF and AVIF still
// images and sequences.
var heifBrands = map[string]bool{"heic": true, "heix": true, "hevc": true, "hevx": true, "heim": true, "heis": true,
	"hevm": true, "hevs": true, "mif1": true, "msf1": true, "avif": true, "avis": true}

// Sniff returns the format named by the first bytes: jpeg, png, gif, webp,
// heif (HEIC/HEIF or AVIF), or "".
func Sniff(data []byte) string {
	switch {
	case len(data) >= 12 && string(data[4:8]) == "ftyp" && heifBrands[string(data[8:12])]:
		return "heif"
	case len(data) >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF:
		return "jpeg"
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return "png"
	case bytes.HasPrefix(data, []byte("GIF87a")) || bytes.HasPrefix(data, []byte("GIF89a")):
		return "gif"
	case len(data) >= 12 && string(data[0:4]) == "RIFF" && string(data[8:12]) == "WEBP":
		return "webp"
	}
	return ""
}

func describe(data []byte) string {
	if len(data) == 0 {
		return "the input is empty"
	}
	n := min(len(data), 8)
	return fmt.Sprintf("the first bytes are % x", data[:n])
}

// DecodeConfig reads the header only and checks the limits.
func DecodeConfig(data []byte, opts Options) (Info, error) {
	o := opts.withDefaults()
	if len(data) > o.MaxBytes {
		return Info{}, fmt.Errorf("%w: %d bytes, over the %d byte limit", ErrTooLarge, len(data), o.MaxBytes)
	}
	format := Sniff(data)
	var cfg image.Config
	var err error
	r := bytes.NewReader(data)
	switch format {
	case "jpeg":
		cfg, err = jpeg.DecodeConfig(r)
	case "png":
		cfg, err = png.DecodeConfig(r)
	case "gif":
		cfg, err = gif.DecodeConfig(r)
	case "webp":
		cfg, err = webp.DecodeConfig(r)
	case "heif":
		if cfg.Width, cfg.Height, err = heifSize(data); err != nil {
			return Info{}, err
		}
	default:
		return Info{}, fmt.Errorf("%w: not JPEG, PNG, WebP, GIF, HEIC or AVIF (%s)", ErrUnsupported, describe(data))
	}
	if err != nil {
		return Info{}, fmt.Errorf("%w: %s header: %v", ErrCorrupt, format, err)
	}
	info := Info{Format: format, Width: cfg.Width, Height: cfg.Height, Orientation: 1}
	if info.Width <= 0 || info.Height <= 0 {
		return info, fmt.Errorf("%w: %s header says %dx%d", ErrCorrupt, format, info.Width, info.Height)
	}
	if side := max(info.Width, info.Height); side > o.MaxSide {
		return info, fmt.Errorf("%w: image is %dx%d, over the %d limit", ErrTooLarge, info.Width, info.Height, o.MaxSide)
	}
	if px := info.Width * info.Height; px > o.MaxPixels {
		return info, fmt.Errorf("%w: image is %dx%d (%d pixels), over the %d pixel budget", ErrTooLarge, info.Width, info.Height, px, o.MaxPixels)
	}
	if format == "jpeg" {
		if err := checkJPEGWork(data, info, o); err != nil {
			return info, err
		}
		info.Orientation = jpegOrientation(data)
	}
	return info, nil
}

// Decode decodes data into an upright RGB image within the limits (see
// DecodeContext to bound its time as well).
func Decode(data []byte, opts Options) (*face.Image, error) {
	return decode(context.Background(), data, opts)
}

func decode(ctx context.Context, data []byte, opts Options) (*face.Image, error) {
	info, err := DecodeConfig(data, opts)
	if err != nil {
		return nil, err
	}
	if info.Format == "heif" {
		return decodeHEIF(data, info.Width, info.Height) // upright: HEIF's own rotation and mirroring applied
	}
	if info.Format == "jpeg" && TurboJPEG {
		if out, err := decodeJPEG(data, info.Width, info.Height); err == nil {
			if !opts.IgnoreOrientation && info.Orientation > 1 {
				out = Orient(out, info.Orientation)
			}
			return out, nil
		}
	}
	img, err := decodePixels(ctx, info.Format, data)
	if err != nil {
		return nil, err
	}
	b := img.Bounds()
	if b.Dx() != info.Width || b.Dy() != info.Height {
		return nil, fmt.Errorf("%w: %s decoded to %dx%d, header said %dx%d", ErrCorrupt, info.Format, b.Dx(), b.Dy(), info.Width, info.Height)
	}
	out := toRGB(img)
	if !opts.IgnoreOrientation && info.Orientation > 1 {
		out = Orient(out, info.Orientation)
	}
	return out, nil
}

func decodePixels(ctx context.Context, format string, data []byte) (img image.Image, err error) {
	defer func() {
		if r := recover(); r != nil { // decoders of hostile input must never take the process down
			img, err = nil, fmt.Errorf("%w: %s decoder failed: %v", ErrCorrupt, format, r)
		}
	}()
	r := newReader(ctx, data)
	switch format {
	case "jpeg":
		img, err = jpeg.Decode(r)
	case "png":
		img, err = png.Decode(r)
	case "gif":
		img, err = gif.Decode(r)
	case "webp":
		img, err = webp.Decode(r)
	}
	if err != nil && ctx.Err() != nil {
		return nil, fmt.Errorf("imageio: %s decode stopped: %w", format, ctx.Err())
	}
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: %s data ends early (truncated file)", ErrCorrupt, format)
		}
		return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, format, err)
	}
	return img, nil
}
