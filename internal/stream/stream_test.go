package stream

import (
	"bytes"
	"context"
	"image/jpeg"
	"net"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/mienhq/mien/count"
	"github.com/mienhq/mien/detect"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/internal/testclips"
	"github.com/mienhq/mien/track"
	"github.com/mienhq/mien/video"
)

// truthDetector plays a clip's true boxes back as detections, one frame
// per call (the test's sources drop no frame).
type truthDetector struct {
	mu    sync.Mutex
	boxes [][]testclips.Box
	calls int
}

func (d *truthDetector) Detect(_ context.Context, _ *face.Image, _ detect.Options) ([]face.Detection, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []face.Detection
	if d.calls < len(d.boxes) {
		for _, b := range d.boxes[d.calls] {
			if b.Occluded < 0.5 && b.Box.Dx() >= 16 {
				out = append(out, face.Detection{Box: b.Box, Score: 0.9})
			}
		}
	}
	d.calls++
	return out, nil
}

// memSink keeps what cameras report.
type memSink struct {
	mu     sync.Mutex
	events map[string][]Event
	counts map[string][]Minute
}

func newSink() *memSink {
	return &memSink{events: map[string][]Event{}, counts: map[string][]Minute{}}
}

func (s *memSink) Event(_ context.Context, cam string, e Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events[cam] = append(s.events[cam], e)
	return nil
}

func (s *memSink) Counts(_ context.Context, cam string, m Minute) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts[cam] = append(s.counts[cam], m)
	return nil
}

func colour(c [3]uint8) *face.Image {
	m := face.NewImage(32, 32)
	for i := 0; i < len(m.Pix); i += 3 {
		copy(m.Pix[i:], c[:])
	}
	return m
}

// makeClip writes a 320x180 clip of six walkers at 10 fps and returns it with its truth.
func makeClip(t *testing.T) (string, string, testclips.Truth) {
	t.Helper()
	ff, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("ffmpeg not found: apt-get install -y ffmpeg")
	}
	var faces []testclips.NamedFace
	for i, c := range [][3]uint8{{200, 30, 30}, {30, 200, 30}, {30, 30, 200}, {200, 200, 30}, {200, 30, 200}, {30, 200, 200}} {
		faces = append(faces, testclips.NamedFace{Name: string(rune('a' + i)), Face: colour(c)})
	}
	sc, err := testclips.Default(faces, 320, 180, 10, 9)
	if err != nil {
		t.Fatal(err)
	}
	clip := filepath.Join(t.TempDir(), "walk.mp4")
	if err := testclips.Encode(context.Background(), ff, sc, clip, "mp4"); err != nil {
		t.Fatal(err)
	}
	return ff, clip, sc.Truth("walk.mp4")
}

// offline reads files without dropping frames, so truthDetector stays in step.
func offline(ff string) func(Config) (Source, error) {
	return func(cfg Config) (Source, error) {
		o := video.Options{FFmpeg: ff, Width: cfg.Width, Height: cfg.Height, FPS: cfg.FPS, NoDrop: true, MaxAttempts: 1}
		if kind, _, _ := video.ParseSource(cfg.Source); kind != video.KindFile {
			o.ConnectTimeout = 700 * time.Millisecond // the source that never answers
		}
		return video.New(cfg.Source, o)
	}
}

func waitState(t *testing.T, m *Manager, id string, want string, within time.Duration) Health {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		h, err := m.Health(id)
		if err == nil && h.State == want {
			return h
		}
		if time.Now().After(deadline) {
			t.Fatalf("camera %s: state %q (%v), want %q; health %+v", id, h.State, err, want, h)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func countConfig(id, src string, truth testclips.Truth) Config {
	line := count.Line{A: truth.Line[0], B: truth.Line[1]}
	w, h := float32(truth.Width), float32(truth.Height)
	return Config{ID: id, Name: id, Source: src, Mode: ModeCount, Line: &line, Hysteresis: 4, FPS: float64(truth.FPS),
		Width: truth.Width, Height: truth.Height, MinSize: 16,
		Zones: []Zone{{Name: "left", Polygon: []face.Point{{X: 0, Y: 0}, {X: w / 2, Y: 0}, {X: w / 2, Y: h}, {X: 0, Y: h}}}}}
}

// TestCountingCameraMatchesTruth runs a counting camera over a real clip
// decoded by ffmpeg: crossings, minute counts and zone peaks match the truth.
func TestCountingCameraMatchesTruth(t *testing.T) {
	ff, clip, truth := makeClip(t)
	before := runtime.NumGoroutine()
	sink := newSink()
	m, err := New(context.Background(), Options{Detector: &truthDetector{boxes: truth.Boxes}, Sink: sink, NewSource: offline(ff)})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Apply(countConfig("cam1", clip, truth)); err != nil {
		t.Fatal(err)
	}
	h := waitState(t, m, "cam1", StateEnded, 60*time.Second)
	if h.Frames != uint64(truth.Frames) || h.In != int64(truth.In) || h.Out != int64(truth.Out) {
		t.Errorf("health %+v; truth in %d out %d over %d frames", h, truth.In, truth.Out, truth.Frames)
	}
	in, out := 0, 0
	for _, e := range sink.events["cam1"] {
		switch e.Kind {
		case KindIn:
			in++
		case KindOut:
			out++
		default:
			t.Errorf("counting camera sent a %q event", e.Kind)
		}
		if e.Track == 0 || e.Subject != "" {
			t.Errorf("event %+v: a crossing has a track and no subject", e)
		}
	}
	if in != truth.In || out != truth.Out {
		t.Errorf("events in %d out %d, truth %d %d", in, out, truth.In, truth.Out)
	}
	mIn, mOut, peak := 0, 0, 0
	for _, k := range sink.counts["cam1"] {
		mIn, mOut, peak = mIn+k.In, mOut+k.Out, max(peak, k.Occupancy["left"])
	}
	if mIn != truth.In || mOut != truth.Out {
		t.Errorf("minute counts in %d out %d, truth %d %d", mIn, mOut, truth.In, truth.Out)
	}
	truePeak := 0
	for _, boxes := range truth.Boxes {
		n := 0
		for _, b := range boxes {
			if b.Box.Center().X < float32(truth.Width)/2 {
				n++
			}
		}
		truePeak = max(truePeak, n)
	}
	if peak < 1 || peak > truePeak {
		t.Logf("%+v", sink.counts["cam1"])
		t.Errorf("peak occupancy of the left half %d, truth at most %d", peak, truePeak)
	}
	m.Close()
	waitGoroutines(t, before)
}

func waitGoroutines(t *testing.T, before int) {
	t.Helper()
	for i := 0; i < 100 && runtime.NumGoroutine() > before; i++ {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines left running (were %d)", n, before)
	}
}

// TestDeadCameraDoesNotBlockOthers: a camera whose source never answers
// reports its failure while another camera counts its whole clip.
func TestDeadCameraDoesNotBlockOthers(t *testing.T) {
	ff, clip, truth := makeClip(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() { // accept and say nothing
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	sink := newSink()
	m, _ := New(context.Background(), Options{Detector: &truthDetector{boxes: truth.Boxes}, Sink: sink, NewSource: offline(ff)})
	defer m.Close()
	dead := countConfig("dead", "http://"+ln.Addr().String()+"/stream.mjpg", truth)
	if err := m.Apply(dead); err != nil {
		t.Fatal(err)
	}
	if err := m.Apply(countConfig("live", clip, truth)); err != nil {
		t.Fatal(err)
	}
	h := waitState(t, m, "live", StateEnded, 60*time.Second)
	if h.In != int64(truth.In) || h.Out != int64(truth.Out) {
		t.Errorf("live camera: %+v", h)
	}
	d := waitState(t, m, "dead", StateEnded, 10*time.Second)
	if d.Frames != 0 || d.Source.LastError == "" {
		t.Errorf("dead camera's health does not say why: %+v", d)
	}
}

// fakeGate decides "granted" for every new confirmed track and records
// that it saw frames.
type fakeGate struct {
	mu     sync.Mutex
	seen   map[uint64]bool
	closed bool
}

func (g *fakeGate) Observe(_ context.Context, f *video.Frame, _ []face.Detection, res *track.Result) ([]Decision, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []Decision
	for _, tr := range res.Tracks {
		if tr.ID != 0 && !g.seen[tr.ID] && f.Image != nil {
			g.seen[tr.ID] = true
			out = append(out, Decision{Kind: KindGranted, Track: tr.ID, Subject: "s1", Score: 0.8})
		}
	}
	return out, nil
}

func (g *fakeGate) Close() error { g.mu.Lock(); g.closed = true; g.mu.Unlock(); return nil }

// TestGateModeThroughTheInterface: a gate camera's decisions become events;
// without a gate factory it fails visibly; a changed config restarts it.
func TestGateModeThroughTheInterface(t *testing.T) {
	ff, clip, truth := makeClip(t)
	sink := newSink()
	g := &fakeGate{seen: map[uint64]bool{}}
	m, _ := New(context.Background(), Options{Detector: &truthDetector{boxes: truth.Boxes}, Sink: sink, NewSource: offline(ff),
		Gate: func(cfg Config) (Gate, error) { return g, nil }})
	defer m.Close()
	cfg := Config{ID: "door", Source: clip, Mode: ModeGate, Collection: "col_1", FPS: 10, Width: truth.Width, Height: truth.Height, MinSize: 16}
	if err := m.Apply(cfg); err != nil {
		t.Fatal(err)
	}
	h := waitState(t, m, "door", StateEnded, 60*time.Second)
	if h.Decisions[KindGranted] != len(truth.People) || len(sink.events["door"]) != len(truth.People) || !g.closed {
		t.Errorf("decisions %v, events %d, gate closed %v; %d people", h.Decisions, len(sink.events["door"]), g.closed, len(truth.People))
	}
	m2, _ := New(context.Background(), Options{Detector: &truthDetector{}, Sink: sink, NewSource: offline(ff)})
	defer m2.Close()
	m2.Apply(cfg)
	if h, _ := m2.Health("door"); h.State != StateFailed || h.LastError == "" {
		t.Errorf("gate camera without a gate: %+v", h)
	}
	bad := cfg
	bad.Collection = ""
	if err := m.Apply(bad); err == nil {
		t.Error("a gate camera without a collection was accepted")
	}
	if h, _ := m.Health("door"); h.State != StateEnded {
		t.Errorf("a refused config changed the running camera: %+v", h)
	}
}

// TestSnapshotHasBoxesAndIDs: while a clip plays, the snapshot is a JPEG of
// the frame size and lists the confirmed tracks drawn on it.
func TestSnapshotHasBoxesAndIDs(t *testing.T) {
	ff, clip, truth := makeClip(t)
	m, _ := New(context.Background(), Options{Detector: &truthDetector{boxes: truth.Boxes}, Sink: newSink(), NewSource: func(cfg Config) (Source, error) {
		return video.New(cfg.Source, video.Options{FFmpeg: ff, Width: cfg.Width, Height: cfg.Height, FPS: cfg.FPS, NoDrop: true, Realtime: true})
	}})
	defer m.Close()
	if err := m.Apply(countConfig("c", clip, truth)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		jpg, boxes, ok, err := m.Snapshot("c")
		if err != nil {
			t.Fatal(err)
		}
		if ok && len(boxes) > 0 {
			img, err := jpeg.Decode(bytes.NewReader(jpg))
			if err != nil || img.Bounds().Dx() != truth.Width || img.Bounds().Dy() != truth.Height {
				t.Fatalf("snapshot: %v %v", img.Bounds(), err)
			}
			b := boxes[0]
			r, g, bl, _ := img.At(int(b.Box.Min.X)+1, int(b.Box.Center().Y)).RGBA()
			if g>>8 < 150 || g>>8 < r>>8+40 || g>>8 < bl>>8+40 { // JPEG blurs the 2-pixel line
				t.Errorf("box edge at %v is not drawn green: %d %d %d", b.Box, r>>8, g>>8, bl>>8)
			}
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("no snapshot with a track within 30 s")
}

func TestZoneContains(t *testing.T) {
	z := Zone{Name: "tri", Polygon: []face.Point{{X: 0, Y: 0}, {X: 10, Y: 0}, {X: 0, Y: 10}}}
	for _, c := range []struct {
		p  face.Point
		in bool
	}{{face.Point{X: 1, Y: 1}, true}, {face.Point{X: 6, Y: 6}, false}, {face.Point{X: -1, Y: 1}, false}, {face.Point{X: 4, Y: 4}, true}} {
		if z.Contains(c.p) != c.in {
			t.Errorf("%v in triangle: %v", c.p, !c.in)
		}
	}
	if (Zone{Name: "x", Polygon: []face.Point{{X: 0, Y: 0}, {X: 1, Y: 1}}}).Validate() == nil {
		t.Error("a two-point zone was accepted")
	}
	occ := map[string]int{"stale": 9}
	Occupancy([]Zone{z}, []face.Point{{X: 1, Y: 1}, {X: 2, Y: 2}, {X: 9, Y: 9}}, occ)
	if occ["tri"] != 2 || len(occ) != 1 {
		t.Errorf("occupancy %v", occ)
	}
}

// TestVideoOptionsPerMode: every camera's ffmpeg decodes on one thread; a
// counting camera also skips the deblocking filter and uses the cheapest
// scaler, a gate camera keeps the picture intact for identification.
func TestVideoOptionsPerMode(t *testing.T) {
	cfg := Config{Source: "rtsp://cam/s", Mode: ModeCount, FPS: 5, Width: 1280, Height: 720}
	c := videoOptions("ffmpeg", cfg)
	if c.Threads != 1 || !c.NoDeblock || c.ScaleFlags != "fast_bilinear" || !c.Realtime {
		t.Errorf("counting camera: %+v", c)
	}
	cfg.Mode = ModeGate
	g := videoOptions("ffmpeg", cfg)
	if g.Threads != 1 || g.NoDeblock || g.ScaleFlags != "" {
		t.Errorf("gate camera: %+v", g)
	}
}

// newestSource is a live source that always has a newer frame queued.
type newestSource struct {
	Source
	slots    chan struct{}
	held     int // slots held when Newest ran
	released int
}

func (s *newestSource) Newest(f *video.Frame) (*video.Frame, int) {
	s.held = len(s.slots)
	return &video.Frame{Seq: f.Seq + 3}, 3
}

func (s *newestSource) Release(*video.Frame) { s.released++ }

// TestCameraTakesNewestFrameInItsSlot: a camera first takes a detection
// slot, then swaps its frame for the source's newest (latest frame wins);
// with every slot taken it waits, and gives its frame back when stopped.
func TestCameraTakesNewestFrameInItsSlot(t *testing.T) {
	slots := make(chan struct{}, 1)
	src := &newestSource{slots: slots}
	c := &camera{src: src, slots: slots}
	f, err := c.newest(context.Background(), &video.Frame{Seq: 1})
	if err != nil || f.Seq != 4 || src.held != 1 {
		t.Fatalf("newest = %+v, %v, slots held at the swap %d; want seq 4 taken in the slot", f, err, src.held)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.newest(ctx, &video.Frame{Seq: 5}); err == nil || src.released != 1 {
		t.Errorf("every slot taken: err %v, %d frames given back; want the context's error and the frame back", err, src.released)
	}
}
