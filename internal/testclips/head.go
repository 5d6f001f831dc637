package testclips

import (
	"context"
	"fmt"
	"math"
	"os/exec"
	"strconv"

	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/raster"
)

// Head is a clip of one real photo of a face moving over the background:
// it drifts on a slow figure of eight, turns in the image plane (roll up to
// Roll degrees either way), and grows and shrinks by a fifth, so that a
// tracker, and anything drawn on the face, has to follow it.
type Head struct {
	W, H, FPS, Frames int
	Photo             *face.Image // the photo (a head and shoulders), any size
	Size              int         // the photo's longer side in the frame, pixels
	Roll              float64     // degrees

	bg *face.Image
}

// Validate checks the clip before rendering.
func (h *Head) Validate() error {
	if h.W <= 0 || h.H <= 0 || h.W%2 != 0 || h.H%2 != 0 || h.FPS <= 0 || h.Frames <= 0 {
		return fmt.Errorf("testclips: head clip %dx%d at %d fps for %d frames is not valid", h.W, h.H, h.FPS, h.Frames)
	}
	if h.Photo.Valid() != nil || h.Size < 16 {
		return fmt.Errorf("testclips: head clip needs a photo and a size of at least 16 px")
	}
	return nil
}

// Transform maps photo pixels to frame pixels in frame i.
func (h *Head) Transform(i int) raster.Affine {
	t := float64(i) / float64(h.FPS)
	T := float64(h.Frames) / float64(h.FPS)
	ph := 2 * math.Pi * t / T
	cx := float64(h.W)/2 + 0.22*float64(h.W)*math.Sin(ph)
	cy := float64(h.H)/2 + 0.10*float64(h.H)*math.Sin(2*ph)
	s := float64(h.Size) / float64(max(h.Photo.W, h.Photo.H)) * (1 + 0.2*math.Sin(3*ph))
	a := h.Roll * math.Pi / 180 * math.Sin(2*ph+0.5)
	c, sn := s*math.Cos(a), s*math.Sin(a)
	px, py := float64(h.Photo.W)/2, float64(h.Photo.H)/2
	return raster.Affine{float32(c), float32(-sn), float32(cx - c*px + sn*py),
		float32(sn), float32(c), float32(cy - sn*px - c*py)}
}

// Render draws frame i into dst (W x H).
func (h *Head) Render(i int, dst *face.Image) error {
	if dst.W != h.W || dst.H != h.H || dst.Valid() != nil {
		return fmt.Errorf("testclips: destination is not %dx%d", h.W, h.H)
	}
	if h.bg == nil {
		h.bg = background(h.W, h.H)
	}
	copy(dst.Pix, h.bg.Pix)
	m := h.Transform(i)
	inv, err := m.Invert()
	if err != nil {
		return fmt.Errorf("testclips: %w", err)
	}
	W, H := float32(h.Photo.W), float32(h.Photo.H)
	var corners []face.Point
	for _, p := range []face.Point{{}, {X: W}, {X: W, Y: H}, {Y: H}} {
		corners = append(corners, m.Apply(p))
	}
	x0, y0, x1, y1 := bounds(corners, h.W, h.H)
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			p := inv.Apply(face.Point{X: float32(x) + 0.5, Y: float32(y) + 0.5})
			if p.X < 0 || p.Y < 0 || p.X >= W || p.Y >= H {
				continue
			}
			sampleInto(dst.Pix[3*(y*h.W+x):], h.Photo, p.X-0.5, p.Y-0.5)
		}
	}
	return nil
}

func bounds(pts []face.Point, w, h int) (x0, y0, x1, y1 int) {
	x0, y0, x1, y1 = w, h, 0, 0
	for _, p := range pts {
		x0, y0 = min(x0, int(math.Floor(float64(p.X)))), min(y0, int(math.Floor(float64(p.Y))))
		x1, y1 = max(x1, int(math.Ceil(float64(p.X)))+1), max(y1, int(math.Ceil(float64(p.Y)))+1)
	}
	return max(0, x0), max(0, y0), min(w, x1), min(h, y1)
}

// sampleInto writes the bilinear sample of m at (x, y), clamped to its border.
func sampleInto(out []uint8, m *face.Image, x, y float32) {
	x = min(max(x, 0), float32(m.W-1))
	y = min(max(y, 0), float32(m.H-1))
	x0, y0 := int(x), int(y)
	x1, y1 := min(x0+1, m.W-1), min(y0+1, m.H-1)
	ax, ay := x-float32(x0), y-float32(y0)
	for c := 0; c < 3; c++ {
		v := (1-ax)*(1-ay)*float32(m.Pix[3*(y0*m.W+x0)+c]) + ax*(1-ay)*float32(m.Pix[3*(y0*m.W+x1)+c]) +
			(1-ax)*ay*float32(m.Pix[3*(y1*m.W+x0)+c]) + ax*ay*float32(m.Pix[3*(y1*m.W+x1)+c])
		out[c] = uint8(v + 0.5)
	}
}

// EncodeHead renders the head clip and pipes it to ffmpeg, which writes an
// H.264 MP4 to path with a quiet 440 Hz tone as its audio track (so that a
// tool that must keep the audio has some to keep).
func EncodeHead(ctx context.Context, ffmpeg string, h *Head, path string) error {
	if err := h.Validate(); err != nil {
		return err
	}
	secs := strconv.FormatFloat(float64(h.Frames)/float64(h.FPS), 'f', 3, 64)
	args := []string{"-hide_banner", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
		"-s", fmt.Sprintf("%dx%d", h.W, h.H), "-r", strconv.Itoa(h.FPS), "-i", "pipe:0",
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100:duration=" + secs,
		"-map", "0:v", "-map", "1:a", "-c:a", "aac", "-af", "volume=0.2", "-g", strconv.Itoa(h.FPS)}
	args = append(append(args, codecArgs["mp4"]...), path)
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
	img := face.NewImage(h.W, h.H)
	var werr error
	for i := 0; i < h.Frames && werr == nil; i++ {
		if werr = h.Render(i, img); werr == nil {
			_, werr = in.Write(img.Pix)
		}
	}
	in.Close()
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("testclips: ffmpeg: %w: %s", err, stderr.b)
	}
	return werr
}
