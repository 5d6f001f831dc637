package testclips

import (
	"fmt"
	"io/fs"
	"path"

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
	Enrolled bool   `json:"enrolled"`    // in the gate's gallery
	// Big is the first frame where the whole face box is in the frame,
	// not hidden at all, with sides of at least Truth.BigSide pixels; -1 if
	// never. A gate must grant an enrolled walker within a second of it.
	Big int `json:"big_frame"`
	// Photo is the image the walker's face was cut from (the gate's
	// gallery must enrol another).
	Photo string `json:"photo,omitempty"`
}

// BigSide is the face side, in pixels, from which a gate must decide.
const BigSide = 80

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
	BigSide  int           `json:"big_side"`
}

// Truth computes the ground truth of the scene.
func (sc *Scene) Truth(clip string) Truth {
	tr := Truth{Clip: clip, Width: sc.W, Height: sc.H, FPS: sc.FPS, Frames: sc.Frames,
		Line:     [2]face.Point{{X: sc.LineX, Y: 0}, {X: sc.LineX, Y: float32(sc.H)}},
		Occluder: sc.Occluder, Boxes: make([][]Box, sc.Frames), BigSide: BigSide}
	idx := map[string]int{}
	for k, w := range sc.Walkers {
		idx[w.Name] = k
		tr.People = append(tr.People, Person{Name: w.Name, Dir: w.Dir, Enter: -1, Exit: -1, Cross: -1, Enrolled: w.Enrolled, Big: -1, Photo: w.Photo})
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
			whole := sc.rect(sc.Walkers[idx[b.Name]], float64(i)/float64(sc.FPS)) == b.Box
			if p.Big < 0 && whole && b.Occluded == 0 && min(b.Box.Dx(), b.Box.Dy()) >= BigSide {
				p.Big = i
			}
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
	// Photo names the image (for the ground truth; optional).
	Photo string
	// Enrolled marks the identity as enrolled in the gate's gallery.
	Enrolled bool
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

// GateScene lays out an access-gate clip of w x h at fps for seconds: six
// walkers (faces, the first six) crossing in both directions in three lanes,
// up to three at once, each face growing from 7% to 19% of the frame height
// as they approach (50 to 136 pixels at 720p: 80 pixels a third of the way
// across), the middle lane passing behind a partition. variant (0, 1, ...)
// shifts the start times and swaps the lanes, so clips of one set differ.
func GateScene(faces []NamedFace, w, h, fps int, seconds float64, variant int) (*Scene, error) {
	if len(faces) < 1 {
		return nil, fmt.Errorf("testclips: a gate scene needs faces")
	}
	lanes := []int{h * 28 / 100, h / 2, h * 72 / 100}
	s0, s1 := h*7/100, h*19/100
	speed := float64(w+s1) / 4.5
	plan := []struct {
		start float64
		dir   string
		lane  int
	}{{0.3, "in", 0}, {0.9, "out", 1}, {1.6, "in", 2}, {4.6, "out", 0}, {5.2, "in", 1}, {6.0, "out", 2}}
	sc := &Scene{W: w, H: h, FPS: fps, Frames: int(seconds * float64(fps)), LineX: float32(w) / 2}
	for k, p := range plan {
		if k >= len(faces) {
			break
		}
		f := faces[k].Face
		crop := raster.Crop(f, face.R(float32(f.W)*0.24, float32(f.H)*0.22, float32(f.W)*0.76, float32(f.H)*0.78), 160, 160)
		lane := (p.lane + variant) % 3
		sc.Walkers = append(sc.Walkers, Walker{Name: faces[k].Name, Face: crop, Start: p.start + 0.25*float64(variant%3), Dir: p.dir,
			Y: lanes[lane], Size: s0, SizeEnd: s1, Speed: speed, Enrolled: faces[k].Enrolled, Photo: faces[k].Photo})
	}
	x := float32(w) * 0.68
	y := float32(lanes[1])
	sc.Occluder = face.R(x, y-float32(s1)/2, x+float32(s1)*0.8, y+float32(s1)/2)
	return sc, sc.Validate()
}

// GatePeople chooses the walkers of n gate clips from an LFW image folder
// (NAME/NAME_0001.jpg): per clip six people, enrolled and strangers
// alternating (the first enrolled in even clips, a stranger in odd ones).
// Enrolled people have at least two photos (the clip shows the first, the
// gallery enrols the second: Person.Photo and EnrolPhoto); strangers have
// one. The choice is fixed by the listing (every 37th name, so clips mix
// the alphabet). Faces are not decoded (Face is nil).
func GatePeople(lfw fs.FS, n int) ([][]NamedFace, error) {
	dirs, err := fs.ReadDir(lfw, ".")
	if err != nil {
		return nil, fmt.Errorf("testclips: %w", err)
	}
	var multi, single []string
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		files, err := fs.Glob(lfw, d.Name()+"/*.jpg")
		if err != nil {
			return nil, err
		}
		switch {
		case len(files) >= 2:
			multi = append(multi, d.Name())
		case len(files) == 1:
			single = append(single, d.Name())
		}
	}
	if len(multi) < 3*n || len(single) < 3*n {
		return nil, fmt.Errorf("testclips: %d people with two photos and %d with one: not enough for %d clips", len(multi), len(single), n)
	}
	pick := func(names []string, i int) string { return names[(i*37)%len(names)] }
	out := make([][]NamedFace, n)
	for k := range n {
		for i := range 6 {
			enrolled := (i+k)%2 == 0
			name := pick(single, 3*k+i/2)
			if enrolled {
				name = pick(multi, 3*k+i/2)
			}
			out[k] = append(out[k], NamedFace{Name: name, Photo: path.Join(name, name+"_0001.jpg"), Enrolled: enrolled})
		}
	}
	return out, nil
}

// EnrolPhoto is the photo of an enrolled walker that the gate's gallery
// enrols: the second of their folder, not the one in the clip.
func EnrolPhoto(name string) string { return path.Join(name, name+"_0002.jpg") }
