package stream

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"strconv"

	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/track"
	"github.com/mienhq/mien/video"
)

// snapshot is a camera's last frame and its tracks, held in memory only
// (one buffer per camera, overwritten by every frame).
type snapshot struct {
	pix    []uint8
	w, h   int
	seq    uint64
	tracks []Box
}

// Box is a track's box in the last frame.
type Box struct {
	Track uint64    `json:"track"` // 0 while tentative
	Box   face.Rect `json:"box"`
}

func (s *snapshot) set(f *video.Frame, res *track.Result) {
	s.pix = append(s.pix[:0], f.Image.Pix...)
	s.w, s.h, s.seq = f.Image.W, f.Image.H, f.Seq
	s.tracks = s.tracks[:0]
	for _, t := range res.Tracks {
		if t.ID != 0 && t.State == track.Confirmed {
			s.tracks = append(s.tracks, Box{Track: t.ID, Box: t.Box})
		}
	}
}

// encode draws the boxes and track ids onto a copy of the frame and
// encodes it as JPEG.
func (s *snapshot) encode() ([]byte, []Box, error) {
	img := image.NewRGBA(image.Rect(0, 0, s.w, s.h))
	for i, j := 0, 0; i+2 < len(s.pix); i, j = i+3, j+4 {
		img.Pix[j], img.Pix[j+1], img.Pix[j+2], img.Pix[j+3] = s.pix[i], s.pix[i+1], s.pix[i+2], 255
	}
	green := color.RGBA{0, 255, 0, 255}
	for _, b := range s.tracks {
		r := image.Rect(int(b.Box.Min.X), int(b.Box.Min.Y), int(b.Box.Max.X), int(b.Box.Max.Y))
		for k := 0; k < 2; k++ {
			for x := r.Min.X; x <= r.Max.X; x++ {
				img.Set(x, r.Min.Y+k, green)
				img.Set(x, r.Max.Y-k, green)
			}
			for y := r.Min.Y; y <= r.Max.Y; y++ {
				img.Set(r.Min.X+k, y, green)
				img.Set(r.Max.X-k, y, green)
			}
		}
		drawText(img, strconv.FormatUint(b.Track, 10), r.Min.X+2, r.Min.Y-18, 3, green)
	}
	var buf bytes.Buffer
	err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 80})
	return buf.Bytes(), append([]Box(nil), s.tracks...), err
}

// digits is a 3x5 bitmap font for track ids.
var digits = [10][5]string{
	{"###", "#.#", "#.#", "#.#", "###"}, {".#.", "##.", ".#.", ".#.", "###"},
	{"###", "..#", "###", "#..", "###"}, {"###", "..#", "###", "..#", "###"},
	{"#.#", "#.#", "###", "..#", "..#"}, {"###", "#..", "###", "..#", "###"},
	{"###", "#..", "###", "#.#", "###"}, {"###", "..#", "..#", "..#", "..#"},
	{"###", "#.#", "###", "#.#", "###"}, {"###", "#.#", "###", "..#", "###"},
}

// drawText draws decimal digits with their top-left at x, y, scale pixels
// per font pixel.
func drawText(img *image.RGBA, s string, x, y, scale int, c color.RGBA) {
	if y < 0 {
		y = 0
	}
	for _, ch := range s {
		g := digits[ch-'0']
		for row := range 5 {
			for col := range 3 {
				if g[row][col] != '#' {
					continue
				}
				for dy := range scale {
					for dx := range scale {
						img.Set(x+col*scale+dx, y+row*scale+dy, c)
					}
				}
			}
		}
		x += 4 * scale
	}
}
