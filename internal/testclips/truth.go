package testclips

import (
	"fmt"

	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/raster"
)

// Person is one walker's ground truth.
type Person struct {
	Name     string `json:"name"`
	Dir      string `json:"direction"`   // "in" (left to right) or "out"
	Enter    int    `json:"enter_frame"` // first frame the face is visible, -1 if never
	Exit     int    `json:"exit_frame"`  // last frame the face is visible
	Cross    int    `json:"cross_frame"` // first frame the box centre is past the line, -1 if never
	Occluded bool   `json:"occluded"`    // hidden, at least half, by the occluder in some frame
}

// Truth is what a clip contains, written as JSON beside it.
type Truth struct {
	Clip     string        `json:"clip"`
	Width    int           `json:"width"`
	Height   int           `json:"height"`
	FPS      int           `json:"fps"`
	Frames   int           `json:"frames"`
	Line     [2]face.Point `json:"line"` // the counting line; "in" crosses it left to right
	Occluder face.Rect     `json:"occluder"`
	People   []Person      `json:"people"`
	Boxes    [][]Box       `json:"boxes"` // per frame
	In       int           `json:"in"`    // walkers who cross the line left to right
	Out      int           `json:"out"`
}

// Truth computes the ground truth of the scene.
func (sc *Scene) Truth(clip string) Truth {
	tr := Truth{Clip: clip, Width: sc.W, Height: sc.H, FPS: sc.FPS, Frames: sc.Frames,
		Line:     [2]face.Point{{X: sc.LineX, Y: 0}, {X: sc.LineX, Y: float32(sc.H)}},
		Occluder: sc.Occluder, Boxes: make([][]Box, sc.Frames)}
	idx := map[string]int{}
	for k, w := range sc.Walkers {
		idx[w.Name] = k
		tr.People = append(tr.People, Person{Name: w.Name, Dir: w.Dir, Enter: -1, Exit: -1, Cross: -1})
	}
	for i := 0; i < sc.Frames; i++ {
		tr.Boxes[i] = sc.Boxes(i)
		for _, b := range tr.Boxes[i] {
			p := &tr.People[idx[b.Name]]
			if p.Enter < 0 {
				p.Enter = i
			}
			p.Exit = i
			p.Occluded = p.Occluded || b.Occluded >= 0.5
		}
		t := float64(i) / float64(sc.FPS)
		for k, w := range sc.Walkers {
			c := sc.rect(w, t).Center().X
			past := (w.Dir == "in" && c > sc.LineX) || (w.Dir == "out" && c < sc.LineX)
			if past && tr.People[k].Cross < 0 {
				tr.People[k].Cross = i
			}
		}
	}
	for _, p := range tr.People {
		if p.Cross >= 0 && p.Dir == "in" {
			tr.In++
		} else if p.Cross >= 0 {
			tr.Out++
		}
	}
	return tr
}

// NamedFace is a decoded photo of one identity.
type NamedFace struct {
	Name string
	Face *face.Image
}

// Default lays out a standard clip of w x h at fps for seconds: walkers
// from faces (at least 4) crossing in both directions, up to three in the
// frame at once, the second walking behind a partition, with the counting
// line in the middle. Faces are cropped to their central region (LFW photos
// are 250x250 with the face in the middle).
func Default(faces []NamedFace, w, h, fps int, seconds float64) (*Scene, error) {
	if len(faces) < 4 {
		return nil, fmt.Errorf("testclips: need 4 faces, got %d", len(faces))
	}
	size := h / 4
	lanes := []int{h / 3, h / 2, 2 * h / 3}
	speed := float64(w+size) / 3 // three seconds to cross
	plan := []struct {
		start float64
		dir   string
		lane  int
	}{{0.5, "in", 0}, {1.0, "out", 1}, {1.5, "in", 2}, {4.0, "out", 0}, {5.0, "in", 1}, {5.5, "out", 2}}
	sc := &Scene{W: w, H: h, FPS: fps, Frames: int(seconds * float64(fps)), LineX: float32(w) / 2}
	for k, p := range plan {
		if k >= len(faces) {
			break
		}
		f := faces[k].Face
		crop := raster.Crop(f, face.R(float32(f.W)*0.24, float32(f.H)*0.22, float32(f.W)*0.76, float32(f.H)*0.78), 128, 128)
		sc.Walkers = append(sc.Walkers, Walker{Name: faces[k].Name, Face: crop, Start: p.start, Dir: p.dir,
			Y: lanes[p.lane], Size: size, Speed: speed})
	}
	// a partition in the second lane, a quarter of the way in from the right
	x := float32(w) * 0.7
	y := float32(lanes[1])
	sc.Occluder = face.R(x, y-float32(size)/2, x+float32(size), y+float32(size)/2)
	return sc, sc.Validate()
}
