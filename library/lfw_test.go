package library

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/detect"
	"github.com/mienhq/mien/internal/testenv"
)

// lfwSubset copies (links) a deterministic subset of LFW into a temporary
// folder: the first `people` people in name order with at least minImages
// images, at most maxImages each.
func lfwSubset(t *testing.T, people, minImages, maxImages int) string {
	t.Helper()
	src := testenv.Shared(t, "data/lfw/images")
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	dst := t.TempDir()
	n := 0
	for _, e := range ents {
		if n == people {
			break
		}
		imgs, _ := filepath.Glob(filepath.Join(src, e.Name(), "*.jpg"))
		if len(imgs) < minImages {
			continue
		}
		sort.Strings(imgs)
		os.Mkdir(filepath.Join(dst, e.Name()), 0o755)
		for _, img := range imgs[:min(len(imgs), maxImages)] {
			if err := os.Symlink(img, filepath.Join(dst, e.Name(), filepath.Base(img))); err != nil {
				t.Fatal(err)
			}
		}
		n++
	}
	return dst
}

// engine opens the standard pack without flip: measured on LFW, flip does
// not improve grouping and doubles the recognizer's cost.
func engine(t *testing.T) *mien.Engine {
	t.Helper()
	e, err := mien.Open(testenv.Pack(t, "standard"), mien.Options{Runtime: testenv.Runtime(t), Flip: false})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// TestLFWGrouping groups 300 LFW people with at least 4 images (up to 12
// each, about 2,000 photos) and checks BCubed F1 against the folder names.
func TestLFWGrouping(t *testing.T) {
	if testing.Short() {
		t.Skip("indexes about 2,000 LFW photos")
	}
	photos := lfwSubset(t, 300, 4, 12)
	eng := engine(t)
	l := open(t, t.TempDir())
	start := time.Now()
	rep, err := l.Add(context.Background(), eng, photos, AddOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s, missing, err := l.ScoreFolders()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d photos, %d faces in %.1fs: %v; %d photos without a grouped face", rep.Indexed, rep.Faces, time.Since(start).Seconds(), s, missing)
	if s.BCubedF1 < 0.93 {
		t.Errorf("BCubed F1 %.4f < 0.93", s.BCubedF1)
	}
}

// TestLFWResume interrupts indexing of a small LFW subset, resumes it, and
// compares the grouping with an uninterrupted run.
func TestLFWResume(t *testing.T) {
	photos := lfwSubset(t, 30, 4, 5)
	eng := engine(t)
	whole := open(t, t.TempDir())
	if _, err := whole.Add(context.Background(), eng, photos, AddOptions{}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	l := open(t, dir)
	ctx, cancel := context.WithCancel(context.Background())
	_, err := l.Add(ctx, eng, photos, AddOptions{Batch: 8, Progress: func(done, total int) {
		if done == total/2 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled add returned %v", err)
	}
	l.Close()
	l = open(t, dir)
	rep, err := l.Add(context.Background(), eng, photos, AddOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Unchanged == 0 || rep.Indexed == 0 {
		t.Errorf("resume did not continue where it stopped: %+v", rep)
	}
	if a, b := partition(l), partition(whole); !equal(a, b) {
		t.Errorf("resumed grouping differs from an uninterrupted one:\n%v\n%v", a, b)
	}
	rep, err = l.Add(context.Background(), eng, photos, AddOptions{})
	if err != nil || rep.Indexed != 0 || rep.Grouped != 0 {
		t.Errorf("re-running on an unchanged folder: %+v %v", rep, err)
	}
}

// serialOnly hides the engine's pipelined batch path, so Add analyses one
// photo at a time as it did before AnalyzeEach.
type serialOnly struct{ Analyzer }

// TestLFWPipelinedEqualsSerial: indexing on the pipelined batch path gives
// every photo exactly the faces (boxes, landmarks, quality, template bits)
// and the library the grouping that the serial path gives.
func TestLFWPipelinedEqualsSerial(t *testing.T) {
	photos := lfwSubset(t, 12, 4, 5)
	eng := engine(t)
	serial, piped := open(t, t.TempDir()), open(t, t.TempDir())
	if _, ok := Analyzer(eng).(EachAnalyzer); !ok {
		t.Fatal("the engine has no pipelined path")
	}
	if _, err := serial.Add(context.Background(), serialOnly{eng}, photos, AddOptions{}); err != nil {
		t.Fatal(err)
	}
	rep, err := piped.Add(context.Background(), eng, photos, AddOptions{Workers: 3})
	if err != nil || rep.Indexed < 40 {
		t.Fatalf("%+v %v", rep, err)
	}
	if len(serial.photos) != len(piped.photos) {
		t.Fatalf("%d photos serially, %d pipelined", len(serial.photos), len(piped.photos))
	}
	for h, p := range serial.photos {
		q := piped.photos[h]
		if q == nil || !reflect.DeepEqual(p.faces, q.faces) || p.Width != q.Width || p.Height != q.Height {
			t.Fatalf("photo %s differs between the serial and the pipelined path", p.Paths)
		}
	}
	if a, b := partition(serial), partition(piped); !equal(a, b) {
		t.Errorf("grouping differs:\n%v\n%v", a, b)
	}
}

// TestLFWSmallestFace: indexing with a smallest face of 40 px (what
// `mien library add` does by default) keeps no smaller face, still finds
// every photo's labelled (central) face, and drops the small background
// faces the full-size detection finds.
func TestLFWSmallestFace(t *testing.T) {
	photos := lfwSubset(t, 30, 4, 5)
	eng := engine(t)
	full, small := open(t, t.TempDir()), open(t, t.TempDir())
	if _, err := full.Add(context.Background(), eng, photos, AddOptions{}); err != nil {
		t.Fatal(err)
	}
	o := AddOptions{Detect: detect.Options{MinSize: SmallestFace, FaceSize: SmallestFace}}
	if _, err := small.Add(context.Background(), eng, photos, o); err != nil {
		t.Fatal(err)
	}
	tiny := func(l *Library) (n, faces int) {
		for _, p := range l.photos {
			for _, f := range p.faces {
				faces++
				if min(f.Box.Dx(), f.Box.Dy()) < SmallestFace {
					n++
				}
			}
		}
		return n, faces
	}
	fullTiny, fullFaces := tiny(full)
	smallTiny, smallFaces := tiny(small)
	t.Logf("faces: %d at full size (%d under %g px), %d with the smallest face", fullFaces, fullTiny, SmallestFace, smallFaces)
	if smallTiny != 0 || fullTiny == 0 || smallFaces >= fullFaces {
		t.Errorf("faces under %g px: %d of %d kept; full size found %d of %d", SmallestFace, smallTiny, smallFaces, fullTiny, fullFaces)
	}
	if _, missing, err := small.ScoreFolders(); err != nil || missing != 0 {
		t.Errorf("%d photos lost their labelled face (%v)", missing, err)
	}
}
