package mien_test

import (
	"context"
	"errors"
	"math/rand"
	"testing"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/driver"
	"github.com/mienhq/mien/raster"

	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/imageio"
	"github.com/mienhq/mien/internal/testenv"
	"github.com/mienhq/mien/mesh"
)

// TestTrackMesh runs the engine's mesh tracking over a face, a blank frame
// and the face again: the detector runs on the first frame and after the
// loss only, and the track comes back.
func TestTrackMesh(t *testing.T) {
	e := testenv.Engine(t, "standard")
	m, err := e.OpenMesh(mesh.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if !m.HasIris() {
		t.Fatal("the standard pack's iris model was not opened")
	}
	img, err := imageio.Decode(read(t, "fixtures/insightface/bulk_Rob_Lowe_0001.jpg"), imageio.Options{})
	if err != nil {
		t.Fatal(err)
	}
	blank := face.NewImage(img.W, img.H)
	tr := mesh.NewTracker(m, mesh.TrackOptions{})
	want := []struct {
		img         *face.Image
		ok, redetct bool
	}{{img, true, true}, {img, true, false}, {blank, false, false}, {img, true, true}, {img, true, false}}
	for i, w := range want {
		f, ok, err := e.TrackMesh(context.Background(), tr, w.img, float64(i)/30)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if ok != w.ok || (ok && f.Redetected != w.redetct) {
			t.Fatalf("frame %d: ok %v redetected %v, want %v %v", i, ok, f.Redetected, w.ok, w.redetct)
		}
	}
}

// TestMeshPipelineMatchesStep: the two-goroutine pipeline gives, frame by
// frame, the same meshes, poses and losses as TrackMesh one frame at a time
// (a face, a blank frame, the face again, shifted each frame).
func TestMeshPipelineMatchesStep(t *testing.T) {
	e := testenv.Engine(t, "standard")
	m, err := e.OpenMesh(mesh.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	img, err := imageio.Decode(read(t, "fixtures/insightface/bulk_Rob_Lowe_0001.jpg"), imageio.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var frames []*face.Image
	for i := range 12 {
		dst := face.NewImage(img.W, img.H)
		if i != 5 && i != 6 {
			raster.Warp(dst, img, raster.Affine{1, 0, float32(i) * 0.7, 0, 1, -float32(i) * 0.4})
		}
		frames = append(frames, dst)
	}
	ctx := context.Background()
	seq := mesh.NewTracker(m, mesh.TrackOptions{Smooth: true})
	pipe := mesh.NewPipeline(ctx, mesh.NewTracker(m, mesh.TrackOptions{Smooth: true}), e.MeshDetector())
	go func() {
		for i, f := range frames {
			if err := pipe.Submit(ctx, f, float64(i)/30, i); err != nil {
				t.Error(err)
			}
		}
		pipe.Close()
	}()
	n := 0
	for r := range pipe.Results() {
		want, ok, err := e.TrackMesh(ctx, seq, frames[n], float64(n)/30)
		if err != nil || r.Err != nil {
			t.Fatalf("frame %d: %v / %v", n, err, r.Err)
		}
		if r.Tag != n || r.OK != ok || r.Frame.Redetected != want.Redetected {
			t.Fatalf("frame %d: tag %v ok %v redetected %v, want %d %v %v", n, r.Tag, r.OK, r.Frame.Redetected, n, ok, want.Redetected)
		}
		if ok && (r.Frame.Mesh.Points != want.Mesh.Points || r.Frame.Pose != want.Pose || r.Frame.Mesh.Eyes != want.Mesh.Eyes) {
			t.Fatalf("frame %d: the pipeline's mesh or pose differs from Step's", n)
		}
		n++
	}
	if n != len(frames) {
		t.Fatalf("%d results for %d frames", n, len(frames))
	}
}

// TestMeshPipelineCancel: when its context ends, the pipeline stops: its
// results close and Submit refuses, with nothing left blocked; Submit after
// Close refuses too.
func TestMeshPipelineCancel(t *testing.T) {
	e := testenv.Engine(t, "standard")
	m, err := e.OpenMesh(mesh.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	img, err := imageio.Decode(read(t, "fixtures/insightface/bulk_Rob_Lowe_0001.jpg"), imageio.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := mesh.NewPipeline(ctx, mesh.NewTracker(m, mesh.TrackOptions{}), e.MeshDetector())
	submitted := make(chan error, 1)
	go func() {
		for i := 0; ; i++ {
			if err := p.Submit(context.Background(), img, float64(i)/30, i); err != nil {
				submitted <- err
				return
			}
		}
	}()
	<-p.Results() // one frame through, then stop reading and cancel
	cancel()
	if err := <-submitted; !errors.Is(err, mesh.ErrPipelineClosed) {
		t.Fatalf("Submit after the context ended: %v, want ErrPipelineClosed", err)
	}
	for range p.Results() {
	}
	q := mesh.NewPipeline(context.Background(), mesh.NewTracker(m, mesh.TrackOptions{}), e.MeshDetector())
	q.Close()
	if err := q.Submit(context.Background(), img, 0, nil); !errors.Is(err, mesh.ErrPipelineClosed) {
		t.Fatalf("Submit after Close: %v", err)
	}
	if _, open := <-q.Results(); open {
		t.Fatal("a closed pipeline with no frame gave a result")
	}
}

// photoSequence is a labelled sequence made from real photos: each span
// shows one photo for a number of seconds; every frame is the real mesh of
// that photo moved by a random sub-pixel shift, so the signals carry the
// mesh's own noise. It runs at fps frames a second.
type span struct {
	photo string
	secs  float64
}

func runPhotoSequence(t *testing.T, spans []span, fps float64) (map[driver.Kind]int, int) {
	t.Helper()
	e := testenv.Engine(t, "standard")
	m, err := e.OpenMesh(mesh.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	type src struct {
		img *face.Image
		tr  *mesh.Tracker
	}
	photos := map[string]*src{}
	for _, s := range spans {
		if photos[s.photo] != nil {
			continue
		}
		img, err := imageio.Decode(read(t, s.photo), imageio.Options{})
		if err != nil {
			t.Fatal(err)
		}
		photos[s.photo] = &src{img: img, tr: mesh.NewTracker(m, mesh.TrackOptions{})}
	}
	mon, err := driver.New(driver.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewSource(5))
	counts := map[driver.Kind]int{}
	frames, ts := 0, 0.0
	for _, s := range spans {
		p := photos[s.photo]
		dst := face.NewImage(p.img.W, p.img.H)
		for end := ts + s.secs; ts < end-1e-9; ts += 1 / fps {
			raster.Warp(dst, p.img, raster.Affine{1, 0, r.Float32() - 0.5, 0, 1, r.Float32() - 0.5})
			f, ok, err := e.TrackMesh(context.Background(), p.tr, dst, ts)
			if err != nil {
				t.Fatal(err)
			}
			evs, err := mon.Update(mien.DriverSample(f, ok, ts))
			if err != nil {
				t.Fatal(err)
			}
			for _, ev := range evs {
				counts[ev.Kind]++
			}
			frames++
		}
	}
	return counts, frames
}

// TestDriverOnPhotoSequences: on sequences made from the eye and pose
// fixtures, every closure of 1 s or more and every 3 s head turn alerts,
// and blinks, a wink and a 1 s glance do not.
func TestDriverOnPhotoSequences(t *testing.T) {
	if testing.Short() {
		t.Skip("photo sequences skipped in -short mode")
	}
	const fx = "fixtures/insightface/"
	const open, closed, wink = fx + "reaction_open_eyes.png", fx + "reaction_close_eyes.jpeg", fx + "reaction_close_open_eyes.jpeg"
	var eyes []span
	eyes = append(eyes, span{open, 4})
	for _, b := range []float64{0.2, 0.3, 0.4, 0.2, 0.3} { // blinks
		eyes = append(eyes, span{closed, b}, span{open, 3})
	}
	eyes = append(eyes, span{wink, 1}, span{open, 3}, span{closed, 1.2}, span{open, 5}, span{closed, 2.5}, span{open, 5})
	c, n := runPhotoSequence(t, eyes, 10)
	t.Logf("eye sequence, %d frames at 10 fps: %v", n, c)
	if c[driver.Blink] != 5 || c[driver.LongClosure] != 2 || c[driver.HeadAway] != 0 || c[driver.GazeOff] != 0 || c[driver.FaceLost] != 0 {
		t.Errorf("want 5 blinks and 2 long closures and no other alert, got %v", c)
	}
	const front, left = fx + "bulk_Rob_Lowe_0001.jpg", fx + "pose_left_face.jpeg"
	turns := []span{{front, 4}, {left, 1}, {front, 4}, {left, 3}, {front, 4}, {left, 4}, {front, 4}}
	c, n = runPhotoSequence(t, turns, 10)
	t.Logf("head-turn sequence, %d frames at 10 fps: %v", n, c)
	if c[driver.HeadAway] != 2 || c[driver.LongClosure] != 0 {
		t.Errorf("want 2 head-away alerts (the 3 s and 4 s turns, not the 1 s one) and no closure, got %v", c)
	}
	// Yawns: no fixture yawns; two LFW photos (the widest mouths of 1,500
	// LFW first images, checked by eye: wide-open shouting mouths) stand in.
	const lfw = "data/lfw/images/"
	const wide1, wide2 = lfw + "Filippo_Inzaghi/Filippo_Inzaghi_0001.jpg", lfw + "John_Hartson/John_Hartson_0001.jpg"
	yawns := []span{{front, 4}, {wide1, 3}, {front, 5}, {wide1, 0.5}, {front, 5}, {wide2, 2.5}, {front, 5}}
	c, n = runPhotoSequence(t, yawns, 10)
	t.Logf("yawn sequence, %d frames at 10 fps: %v", n, c)
	if c[driver.Yawn] != 2 {
		t.Errorf("want 2 yawns (the 3 s and 2.5 s wide mouths, not the 0.5 s one), got %v", c)
	}
}
