package library

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/detect"
	"github.com/mienhq/mien/face"
)

// fakeAnalyzer reads "photos" that are text lines "person P variant V"
// (one face each) and returns a template near person P's random centre.
// It needs no models.
type fakeAnalyzer struct{ calls atomic.Int64 }

func (*fakeAnalyzer) ModelID() string { return "fake-64" }

func (f *fakeAnalyzer) Analyze(ctx context.Context, data []byte, _ detect.Options) (*mien.Analysis, error) {
	f.calls.Add(1)
	a := &mien.Analysis{Width: 100, Height: 80}
	for i, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var p, v int
		if _, err := fmt.Sscanf(line, "person %d variant %d", &p, &v); err != nil {
			return nil, errors.New("fake: not an image")
		}
		x := float32(10 + 40*i)
		a.Faces = append(a.Faces, mien.Face{
			Detection: face.Detection{Box: face.R(x, 20, x+30, 60), Score: 0.9},
			Embedding: face.Embedding{Model: "fake-64", Vector: fakeVector(p, v)}})
	}
	return a, nil
}

func fakeVector(person, variant int) []float32 {
	c := rand.New(rand.NewPCG(uint64(person), 7))
	n := rand.New(rand.NewPCG(uint64(person), uint64(variant)+100))
	v := make([]float32, 64)
	var s float64
	for i := range v {
		v[i] = float32(c.NormFloat64() + 0.6*n.NormFloat64())
		s += float64(v[i]) * float64(v[i])
	}
	for i := range v {
		v[i] /= float32(math.Sqrt(s))
	}
	return v
}

// writePhotos writes people x variants files under dir/pP/vV.jpg, plus a
// file that cannot be decoded.
func writePhotos(t *testing.T, dir string, people, variants int) {
	t.Helper()
	for p := 1; p <= people; p++ {
		d := filepath.Join(dir, fmt.Sprintf("p%02d", p))
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		for v := 0; v < variants; v++ {
			body := fmt.Sprintf("person %d variant %d\n", p, v)
			if err := os.WriteFile(filepath.Join(d, fmt.Sprintf("v%02d.jpg", v)), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "broken.png"), []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not a photo"), 0o644)
}

func open(t *testing.T, dir string) *Library {
	t.Helper()
	l, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// partition returns the grouping as sorted lists of face ids, comparable
// across libraries whatever the person ids.
func partition(l *Library) []string {
	groups := map[int][]string{}
	for _, f := range l.Faces(0) {
		if f.Person != 0 {
			groups[f.Person] = append(groups[f.Person], f.ID)
		}
	}
	var out []string
	for _, g := range groups {
		sort.Strings(g)
		out = append(out, strings.Join(g, ","))
	}
	sort.Strings(out)
	return out
}

func TestAddGroupsAndIsIncremental(t *testing.T) {
	photos, lib := t.TempDir(), t.TempDir()
	writePhotos(t, photos, 6, 5)
	l := open(t, lib)
	a := &fakeAnalyzer{}
	rep, err := l.Add(context.Background(), a, photos, AddOptions{Workers: 3, Batch: 4})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Files != 31 || rep.Indexed != 30 || rep.Faces != 30 || rep.Grouped != 30 || len(rep.Unreadable) != 1 {
		t.Fatalf("first add: %+v", rep)
	}
	if got := len(l.People()); got != 6 {
		t.Fatalf("%d people, want 6: %v", got, l.People())
	}
	s, missing, err := l.ScoreFolders()
	if err != nil || s.BCubedF1 != 1 || missing != 0 {
		t.Fatalf("score %v, %d missing, %v", s, missing, err)
	}
	// unchanged folder: nothing read, nothing changed
	before, calls := partition(l), a.calls.Load()
	rep, err = l.Add(context.Background(), a, photos, AddOptions{})
	if err != nil || rep.Unchanged != 31 || rep.Indexed != 0 || rep.Grouped != 0 || a.calls.Load() != calls {
		t.Fatalf("second add: %+v %v", rep, err)
	}
	// a copy of a photo under a new name is recognised by content
	b, _ := os.ReadFile(filepath.Join(photos, "p01", "v00.jpg"))
	os.WriteFile(filepath.Join(photos, "p01", "copy.jpg"), b, 0o644)
	// a new photo of person 2 joins person 2; a new person forms a new group
	os.WriteFile(filepath.Join(photos, "p02", "new.jpg"), []byte("person 2 variant 99\n"), 0o644)
	os.Mkdir(filepath.Join(photos, "p50"), 0o755)
	os.WriteFile(filepath.Join(photos, "p50", "stranger.jpg"), []byte("person 50 variant 1\nperson 50 variant 2\n"), 0o644)
	rep, err = l.Add(context.Background(), a, photos, AddOptions{})
	if err != nil || rep.Duplicates != 1 || rep.Indexed != 2 || rep.Grouped != 3 {
		t.Fatalf("third add: %+v %v", rep, err)
	}
	if got := len(l.People()); got != 7 {
		t.Errorf("%d people after adding a stranger, want 7", got)
	}
	if s, _, _ := l.ScoreFolders(); s.BCubedF1 != 1 {
		t.Errorf("after incremental add: %v", s)
	}
	// the old people are unchanged apart from the joined face
	after := partition(l)
	kept := 0
	for _, g := range before {
		for _, h := range after {
			if h == g {
				kept++
			}
		}
	}
	if kept != 5 {
		t.Errorf("%d of 6 old people unchanged, want 5 (one gained a face)", kept)
	}
	// reopening replays the same state
	l.Close()
	l2 := open(t, lib)
	if !equal(partition(l2), after) {
		t.Error("reopened library differs")
	}
}

func equal(a, b []string) bool { return strings.Join(a, ";") == strings.Join(b, ";") }

// TestResume cancels an add midway, resumes it and compares the grouping
// with an uninterrupted run.
func TestResume(t *testing.T) {
	photos := t.TempDir()
	writePhotos(t, photos, 8, 6)
	whole := open(t, t.TempDir())
	if _, err := whole.Add(context.Background(), &fakeAnalyzer{}, photos, AddOptions{Workers: 2}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	l := open(t, dir)
	ctx, cancel := context.WithCancel(context.Background())
	_, err := l.Add(ctx, &fakeAnalyzer{}, photos, AddOptions{Workers: 2, Batch: 5, Progress: func(done, total int) {
		if done == 20 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled add returned %v", err)
	}
	if n := len(l.People()); n != 0 {
		t.Errorf("an interrupted add grouped %d people", n)
	}
	l.Close()
	l = open(t, dir) // as a new process would
	// every file reported done was kept: 20, less broken.png (sorted first,
	// so among them, and recorded as an error, not a photo) when the
	// cancellation caught no other file in flight
	if got := len(l.Photos()); got < 19 || got >= 48 {
		t.Fatalf("%d photos kept from the interrupted run, want 19..47", got)
	}
	a := &fakeAnalyzer{}
	rep, err := l.Add(context.Background(), a, photos, AddOptions{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if int(a.calls.Load()) != rep.Indexed || rep.Indexed+len(l.Photos())-rep.Indexed != 48 || rep.Indexed > 28 {
		t.Errorf("resume re-analysed work: %+v, %d calls", rep, a.calls.Load())
	}
	if !equal(partition(l), partition(whole)) {
		t.Errorf("resumed grouping differs:\n%v\n%v", partition(l), partition(whole))
	}
}

func TestTornLog(t *testing.T) {
	photos, dir := t.TempDir(), t.TempDir()
	writePhotos(t, photos, 2, 2)
	l := open(t, dir)
	if _, err := l.Add(context.Background(), &fakeAnalyzer{}, photos, AddOptions{}); err != nil {
		t.Fatal(err)
	}
	l.Close()
	f, _ := os.OpenFile(filepath.Join(dir, logFile), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"type":"photo","hash":"abc`) // a crash mid-line
	f.Close()
	l = open(t, dir)
	if got := len(l.Photos()); got != 4 {
		t.Errorf("%d photos after a torn write, want 4", got)
	}
	b, _ := os.ReadFile(filepath.Join(dir, logFile))
	if !bytes.HasSuffix(b, []byte("\n")) {
		t.Error("torn tail not cut off")
	}
}

func TestModelMismatch(t *testing.T) {
	photos := t.TempDir()
	writePhotos(t, photos, 1, 1)
	l := open(t, t.TempDir())
	if _, err := l.Add(context.Background(), &fakeAnalyzer{}, photos, AddOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Add(context.Background(), &otherModel{}, photos, AddOptions{}); err == nil {
		t.Error("templates of another recognizer accepted")
	}
}

type otherModel struct{ fakeAnalyzer }

func (*otherModel) ModelID() string { return "other" }

func TestCuration(t *testing.T) {
	photos, dir := t.TempDir(), t.TempDir()
	writePhotos(t, photos, 3, 4)
	l := open(t, dir)
	ctx := context.Background()
	if _, err := l.Add(ctx, &fakeAnalyzer{}, photos, AddOptions{}); err != nil {
		t.Fatal(err)
	}
	ids := personOf(l)
	pa, pb, pc := ids["p01"], ids["p02"], ids["p03"]
	if err := l.Name(pa, "Ada"); err != nil {
		t.Fatal(err)
	}
	if err := l.Merge(pa, pb); err != nil {
		t.Fatal(err)
	}
	if n := len(l.People()); n != 2 {
		t.Fatalf("%d people after merge", n)
	}
	// split p03 in two, move one face of it to Ada, ignore one
	fc := l.Faces(pc)
	np, err := l.Split(pc, []string{fc[0].ID, fc[1].ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Move(fc[2].ID, pa); err != nil {
		t.Fatal(err)
	}
	if err := l.Ignore(fc[3].ID, "not-a-face"); err != nil {
		t.Fatal(err)
	}
	want := partition(l)
	// curation survives a full regroup and reopening
	if _, err := l.Group(ctx, true); err != nil {
		t.Fatal(err)
	}
	if got := partition(l); !equal(got, want) {
		t.Errorf("regroup lost curation:\n%v\n%v", got, want)
	}
	l.Close()
	l = open(t, dir)
	if got := partition(l); !equal(got, want) {
		t.Error("reopen lost curation")
	}
	people := l.People()
	named := 0
	for _, p := range people {
		if p.Name == "Ada" {
			named++
			if p.Faces != 9 || p.ID != pa {
				t.Errorf("Ada: %+v", p)
			}
		}
		if p.ID == np && p.Faces != 2 {
			t.Errorf("split part: %+v", p)
		}
	}
	if named != 1 {
		t.Errorf("%d people named Ada", named)
	}
	// "not this person" makes a person of its own, kept apart on regroup
	moved, err := l.NotPerson(l.Faces(pa)[0].ID)
	if err != nil || moved == pa {
		t.Fatalf("not-person: %d %v", moved, err)
	}
	l.Group(ctx, true)
	if f := l.Faces(moved); len(f) != 1 {
		t.Errorf("the face taken out has %d companions after regroup", len(f)-1)
	}
	if err := l.Name(999, "x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("naming an unknown person: %v", err)
	}
}

// personOf maps each photo folder to the person of its faces.
func personOf(l *Library) map[string]int {
	out := map[string]int{}
	for _, f := range l.Faces(0) {
		out[filepath.Base(filepath.Dir(f.Path))] = f.Person
	}
	return out
}

func TestExports(t *testing.T) {
	photos, dir := t.TempDir(), t.TempDir()
	writePhotos(t, photos, 2, 2)
	os.WriteFile(filepath.Join(photos, "two.jpg"), []byte("person 1 variant 7\nperson 2 variant 7\n"), 0o644)
	l := open(t, dir)
	if _, err := l.Add(context.Background(), &fakeAnalyzer{}, photos, AddOptions{}); err != nil {
		t.Fatal(err)
	}
	l.Name(personOf(l)["p01"], "Ada <& Co>")
	var buf bytes.Buffer
	if err := l.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "vector") || !strings.Contains(buf.String(), `"box"`) {
		t.Error("JSON export holds templates or lacks boxes")
	}
	out := t.TempDir()
	n, err := l.WriteSidecars(out, false)
	if err != nil || n != 5 {
		t.Fatalf("%d sidecars, %v", n, err)
	}
	b, err := os.ReadFile(filepath.Join(out, "two.xmp"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Regions []struct {
			Name string `xml:"Name,attr"`
			Type string `xml:"Type,attr"`
			Area struct {
				X    float64 `xml:"x,attr"`
				Y    float64 `xml:"y,attr"`
				W    float64 `xml:"w,attr"`
				H    float64 `xml:"h,attr"`
				Unit string  `xml:"unit,attr"`
			} `xml:"Area"`
		} `xml:"RDF>Description>Regions>RegionList>Bag>li>Description"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	if len(doc.Regions) != 2 {
		t.Fatalf("%d regions:\n%s", len(doc.Regions), b)
	}
	r := doc.Regions[0] // box (10,20)-(40,60) in 100x80
	if r.Name != "Ada <& Co>" || r.Type != "Face" || r.Area.Unit != "normalized" ||
		math.Abs(r.Area.X-0.25) > 1e-4 || math.Abs(r.Area.Y-0.5) > 1e-4 || math.Abs(r.Area.W-0.3) > 1e-4 || math.Abs(r.Area.H-0.5) > 1e-4 {
		t.Errorf("region %+v", r)
	}
	if doc.Regions[1].Name != "" {
		t.Errorf("an unnamed person's region has name %q", doc.Regions[1].Name)
	}
	rdir := t.TempDir()
	if err := l.WriteReport(context.Background(), rdir, ReportOptions{}); err != nil {
		t.Fatal(err)
	}
	html, _ := os.ReadFile(filepath.Join(rdir, "index.html"))
	if !strings.Contains(string(html), "Ada &lt;&amp; Co&gt;") || !strings.Contains(string(html), "3 faces in 3 photos") {
		t.Errorf("report:\n%s", html)
	}
}

func TestForget(t *testing.T) {
	photos, dir := t.TempDir(), filepath.Join(t.TempDir(), "lib")
	writePhotos(t, photos, 1, 2)
	l := open(t, dir)
	if _, err := l.Add(context.Background(), &fakeAnalyzer{}, photos, AddOptions{}); err != nil {
		t.Fatal(err)
	}
	l.Close()
	if err := Forget(photos); !errors.Is(err, ErrNotLibrary) {
		t.Errorf("forgetting a photo folder: %v", err)
	}
	if err := Forget(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Error("library directory still exists")
	}
	if _, err := os.Stat(filepath.Join(photos, "p01", "v00.jpg")); err != nil {
		t.Error("forget touched the photos")
	}
}

func TestExists(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "lib")
	if ok, err := Exists(dir); ok || err != nil {
		t.Fatalf("missing directory: %v %v", ok, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if ok, err := Exists(dir); ok || err != nil {
		t.Fatalf("empty directory: %v %v", ok, err)
	}
	l, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	if ok, err := Exists(dir); !ok || err != nil {
		t.Fatalf("opened library: %v %v", ok, err)
	}
}
