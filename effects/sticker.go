package effects

import (
	"bytes"
	"embed"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"math"

	"github.com/mienhq/mien/face"
)

// Anchor says where on the face a sticker sits.
type Anchor int

// Anchors.
const (
	Glasses Anchor = iota // centred on the eyes
	Hat                   // standing on the top of the forehead
	Mask                  // over the nose, mouth and chin
)

var anchorNames = [...]string{"glasses", "hat", "mask"}

func (a Anchor) String() string {
	if a < 0 || int(a) >= len(anchorNames) {
		return fmt.Sprintf("anchor(%d)", int(a))
	}
	return anchorNames[a]
}

// ParseAnchor reads an anchor's name.
func ParseAnchor(s string) (Anchor, error) {
	for i, n := range anchorNames {
		if n == s {
			return Anchor(i), nil
		}
	}
	return 0, fmt.Errorf("effects: unknown sticker anchor %q (glasses, hat or mask)", s)
}

// placement puts a sticker on the face frame: the sticker's point (U, V)
// (fractions of its width and height) lands on the mean of the mesh points
// Points, and the sticker is Width eye distances wide.
type placement struct {
	Points []int
	U, V   float32
	Width  float32
}

var placements = [...]placement{
	Glasses: {Points: []int{33, 133, 362, 263}, U: 0.5, V: 0.5, Width: 2.35},
	Hat:     {Points: []int{10}, U: 0.5, V: 0.88, Width: 2.7},
	Mask:    {Points: []int{195, 152}, U: 0.5, V: 0.5, Width: 2.5},
}

// Sticker is a PNG image with alpha and the anchor it is drawn at. It is
// immutable and safe for concurrent use.
type Sticker struct {
	img    *image.NRGBA
	anchor Anchor
}

// MaxStickerSide bounds a sticker image's sides.
const MaxStickerSide = 2048

//go:embed stickers/*.png
var builtin embed.FS

// Builtins are the names of the stickers shipped in the binary (drawn by
// effects/internal/stickerart; licence: the project's own).
var Builtins = []string{"glasses", "hat", "mask"}

// Builtin returns a shipped sticker by name (glasses, hat or mask), at
// the anchor of the same name.
func Builtin(name string) (*Sticker, error) {
	a, err := ParseAnchor(name)
	if err != nil {
		return nil, fmt.Errorf("effects: no built-in sticker %q (glasses, hat or mask)", name)
	}
	b, err := builtin.ReadFile("stickers/" + name + ".png")
	if err != nil {
		return nil, fmt.Errorf("effects: built-in sticker %s: %w", name, err)
	}
	return DecodeSticker(b, a)
}

// DecodeSticker reads a PNG (with alpha; an opaque PNG covers its whole
// rectangle) to be drawn at anchor a.
func DecodeSticker(b []byte, a Anchor) (*Sticker, error) {
	if a < 0 || int(a) >= len(placements) {
		return nil, fmt.Errorf("effects: unknown sticker anchor %d", int(a))
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("effects: sticker is not a PNG: %w", err)
	}
	if cfg.Width < 2 || cfg.Height < 2 || cfg.Width > MaxStickerSide || cfg.Height > MaxStickerSide {
		return nil, fmt.Errorf("effects: sticker is %dx%d, sides must be 2..%d", cfg.Width, cfg.Height, MaxStickerSide)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("effects: sticker: %w", err)
	}
	return NewSticker(img, a)
}

// NewSticker makes a sticker of a decoded image.
func NewSticker(img image.Image, a Anchor) (*Sticker, error) {
	r := img.Bounds()
	if r.Dx() < 2 || r.Dy() < 2 || r.Dx() > MaxStickerSide || r.Dy() > MaxStickerSide {
		return nil, fmt.Errorf("effects: sticker is %dx%d, sides must be 2..%d", r.Dx(), r.Dy(), MaxStickerSide)
	}
	if a < 0 || int(a) >= len(placements) {
		return nil, fmt.Errorf("effects: unknown sticker anchor %d", int(a))
	}
	n := image.NewNRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
	draw.Draw(n, n.Rect, img, r.Min, draw.Src)
	return &Sticker{img: n, anchor: a}, nil
}

// Anchor returns where the sticker is drawn.
func (s *Sticker) Anchor() Anchor { return s.anchor }

// Size returns the sticker image's size in pixels.
func (s *Sticker) Size() (w, h int) { return s.img.Rect.Dx(), s.img.Rect.Dy() }

// frame is the face's coordinate frame: an origin, the unit vector along
// the eye line and the one across it (pointing down the face), with the
// eye distance along the line and the head's height measure across it,
// both in pixels. A turned head shortens the first and not the second,
// which is the sticker's yaw foreshortening; roll turns both vectors.
type frame struct {
	ex, ey float32 // unit vector along the eye line (image-left eye to image-right eye)
	nx, ny float32 // unit vector across it, pointing to the chin
	along  float32 // eye distance, px
	across float32 // one eye distance of a frontal face across the eye line, px
	usable bool
}

// faceHeightIPD is a frontal face's forehead-top-to-chin distance (mesh
// points 10 and 152) in eye distances (eye-corner centres), measured on
// frontal fixtures.
const faceHeightIPD = 2.75

func eyeCentres(pts []face.Point) (l, r face.Point) {
	l = mean(pts, 33, 133)
	r = mean(pts, 362, 263)
	return l, r
}

func faceFrame(f *Face) frame {
	l, r := eyeCentres(f.Points)
	dx, dy := r.X-l.X, r.Y-l.Y
	w := float32(math.Hypot(float64(dx), float64(dy)))
	if !(w > 1) {
		return frame{}
	}
	fr := frame{ex: dx / w, ey: dy / w, nx: -dy / w, ny: dx / w, along: w}
	top, chin := f.Points[10], f.Points[152]
	h := (chin.X-top.X)*fr.nx + (chin.Y-top.Y)*fr.ny
	fr.across = h / faceHeightIPD
	if fr.across < 0.3*w { // a face seen from far above or below: do not squash to nothing
		fr.across = 0.3 * w
	}
	fr.usable = true
	return fr
}

func mean(pts []face.Point, idx ...int) face.Point {
	var x, y float32
	for _, i := range idx {
		x += pts[i].X
		y += pts[i].Y
	}
	n := float32(len(idx))
	return face.Point{X: x / n, Y: y / n}
}
