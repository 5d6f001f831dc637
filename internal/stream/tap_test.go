package stream

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestTapCopiesFramesUntilTheCameraStops: a tap receives copies of the
// frames a running camera analyses (its own pixels, in order), a camera
// that is not running cannot be tapped, and the channel is closed when the
// camera's source ends; untap stops the copies.
func TestTapCopiesFramesUntilTheCameraStops(t *testing.T) {
	ff, clip, truth := makeClip(t)
	m, err := New(context.Background(), Options{Detector: &truthDetector{boxes: truth.Boxes}, Sink: newSink(), NewSource: offline(ff)})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if _, _, err := m.Tap("nobody"); !errors.Is(err, ErrNoCamera) {
		t.Fatalf("tap of no camera: %v", err)
	}
	if err := m.Apply(countConfig("c", clip, truth)); err != nil {
		t.Fatal(err)
	}
	frames, untap, err := m.Tap("c")
	if err != nil {
		t.Fatal(err)
	}
	other, untapOther, err := m.Tap("c")
	if err != nil {
		t.Fatal(err)
	}
	untapOther()
	for len(other) > 0 { // copied before the untap
		<-other
	}
	var n int
	var last uint64
	for f := range frames { // closed when the clip ends
		if f.Image.W != truth.Width || f.Image.H != truth.Height || len(f.Image.Pix) != 3*truth.Width*truth.Height || f.Seq <= last {
			t.Fatalf("frame %d: %dx%d, seq %d after %d", n, f.Image.W, f.Image.H, f.Seq, last)
		}
		last = f.Seq
		n++
	}
	untap()
	if n == 0 {
		t.Fatal("no frame reached the tap")
	}
	select {
	case f, ok := <-other:
		if ok {
			t.Fatalf("an untapped channel received frame %d", f.Seq)
		}
		t.Fatal("an untapped channel was closed: only the camera's end closes a tap it still has")
	case <-time.After(50 * time.Millisecond):
	}
	waitState(t, m, "c", StateEnded, 10*time.Second)
	if _, _, err := m.Tap("c"); err == nil {
		t.Fatal("an ended camera was tapped")
	}
	t.Logf("%d frames copied of %d in the clip", n, truth.Frames)
}
