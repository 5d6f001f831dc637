// Package testclips makes test videos with known ground truth: real faces
// (LFW photos, given as decoded images) composited onto a synthetic
// background, walking into and out of the frame at known times and in known
// directions, several at once, one behind an occluder. Frames are rendered
// in memory; Encode pipes them to ffmpeg, which writes the clip.
package testclips

import (
	"fmt"
	"math"

	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/raster"
)

// Walker is one person crossing the frame.
type Walker struct {
	Name  string      // identity (the LFW folder name)
	Face  *face.Image // the face crop to paste, any size; scaled to Size
	Start float64     // seconds: when the walker's box first touches the frame edge
	Dir   string      // "in" walks left to right, "out" right to left
	Y     int         // vertical centre of the face, pixels
	Size  int         // side of the face box, pixels, when entering
	// SizeEnd is the side when leaving (0: Size): the face grows (or
	// shrinks) linearly over the walk, as someone approaching a door camera.
	SizeEnd int
	Speed   float64 // pixels per second
	// Enrolled marks a walker enrolled in the gate's gallery (ground truth
	// only; the clip is the same).
	Enrolled bool
	// Photo names the image the face comes from (ground truth only).
	Photo string
}

// side is the walker's face side at time t.
func (sc *Scene) side(w Walker, t float64) float64 {
	if w.SizeEnd == 0 || w.SizeEnd == w.Size {
		return float64(w.Size)
	}
	dur := float64(sc.W+max(w.Size, w.SizeEnd)) / w.Speed
	f := min(1, max(0, (t-w.Start)/dur))
	return float64(w.Size) + f*float64(w.SizeEnd-w.Size)
}

// Scene is a clip: a background, a vertical counting line and walkers.
type Scene struct {
	W, H     int
	FPS      int
	Frames   int
	LineX    float32   // the counting line runs from (LineX, 0) to (LineX, H)
	Occluder face.Rect // drawn over the walkers (a pillar); empty for none
	Walkers  []Walker

	bg     *face.Image
	sprite []map[int]*face.Image // per walker, by side
}

// Box is one walker's face box in one frame.
type Box struct {
	Name     string    `json:"name"`
	Box      face.Rect `json:"box"`      // clamped to the frame
	Occluded float32   `json:"occluded"` // fraction of the box hidden by the occluder, 0..1
}

// Validate checks the scene before rendering.
func (sc *Scene) Validate() error {
	if sc.W <= 0 || sc.H <= 0 || sc.W%2 != 0 || sc.H%2 != 0 || sc.FPS <= 0 || sc.Frames <= 0 {
		return fmt.Errorf("testclips: scene %dx%d at %d fps for %d frames is not valid", sc.W, sc.H, sc.FPS, sc.Frames)
	}
	for _, w := range sc.Walkers {
		if w.Face.Valid() != nil || w.Size < 8 || (w.SizeEnd != 0 && w.SizeEnd < 8) || w.Speed <= 0 || (w.Dir != "in" && w.Dir != "out") {
			return fmt.Errorf("testclips: walker %q is not valid (face, sizes >= 8, speed > 0, dir in|out)", w.Name)
		}
	}
	return nil
}

// rect is walker w's face box at time t (seconds), unclamped.
func (sc *Scene) rect(w Walker, t float64) face.Rect {
	half := sc.side(w, t) / 2
	d := w.Speed * (t - w.Start)
	cx := -half + d
	if w.Dir == "out" {
		cx = float64(sc.W) + half - d
	}
	cy := float64(w.Y) + 4*math.Sin(2*math.Pi*t*1.5) // a little bob per step
	return face.R(float32(cx-half), float32(cy-half), float32(cx+half), float32(cy+half))
}

// Boxes returns the walkers' boxes visible in frame i.
func (sc *Scene) Boxes(i int) []Box {
	t := float64(i) / float64(sc.FPS)
	var out []Box
	for _, w := range sc.Walkers {
		r := sc.rect(w, t)
		c := r.Clamp(sc.W, sc.H)
		if c.Empty() {
			continue
		}
		var occ float32
		if a := c.Area(); a > 0 {
			occ = c.Intersect(sc.Occluder).Area() / a
		}
		out = append(out, Box{Name: w.Name, Box: c, Occluded: occ})
	}
	return out
}

// Render draws frame i into dst (W x H) and returns its boxes.
func (sc *Scene) Render(i int, dst *face.Image) ([]Box, error) {
	if dst.W != sc.W || dst.H != sc.H || dst.Valid() != nil {
		return nil, fmt.Errorf("testclips: destination is not %dx%d", sc.W, sc.H)
	}
	sc.prepare()
	copy(dst.Pix, sc.bg.Pix)
	t := float64(i) / float64(sc.FPS)
	for k, w := range sc.Walkers {
		r := sc.rect(w, t)
		if r.Clamp(sc.W, sc.H).Empty() {
			continue
		}
		side := int(math.Round(float64(r.Dx())))
		sp := sc.sprite[k][side]
		if sp == nil {
			sp = raster.Crop(w.Face, w.Face.Bounds(), side, side)
			sc.sprite[k][side] = sp
		}
		paste(dst, sp, int(math.Round(float64(r.Min.X))), int(math.Round(float64(r.Min.Y))))
	}
	fill(dst, sc.Occluder, [3]uint8{96, 92, 88})
	return sc.Boxes(i), nil
}

func (sc *Scene) prepare() {
	if sc.bg != nil {
		return
	}
	sc.bg = background(sc.W, sc.H)
	sc.sprite = make([]map[int]*face.Image, len(sc.Walkers))
	for k := range sc.sprite {
		sc.sprite[k] = map[int]*face.Image{}
	}
}

// background is a wall, a floor and a door frame, with a fixed texture.
func background(w, h int) *face.Image {
	m := face.NewImage(w, h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			n := uint8((x*7 + y*13) % 9) // fixed texture so the encoder has something to do
			c := [3]uint8{200 - uint8(40*y/h) + n, 196 - uint8(30*y/h) + n, 180 + n}
			if y > h*3/4 {
				c = [3]uint8{120 + n, 100 + n, 80 + n}
			}
			copy(m.Pix[3*(y*w+x):], c[:])
		}
	}
	return m
}

func paste(dst, src *face.Image, x0, y0 int) {
	for y := 0; y < src.H; y++ {
		dy := y0 + y
		if dy < 0 || dy >= dst.H {
			continue
		}
		for x := 0; x < src.W; x++ {
			dx := x0 + x
			if dx < 0 || dx >= dst.W {
				continue
			}
			copy(dst.Pix[3*(dy*dst.W+dx):3*(dy*dst.W+dx)+3], src.Pix[3*(y*src.W+x):])
		}
	}
}

func fill(dst *face.Image, r face.Rect, c [3]uint8) {
	r = r.Clamp(dst.W, dst.H)
	for y := int(r.Min.Y); y < int(r.Max.Y); y++ {
		for x := int(r.Min.X); x < int(r.Max.X); x++ {
			copy(dst.Pix[3*(y*dst.W+x):], c[:])
		}
	}
}
