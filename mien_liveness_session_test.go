package mien_test

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/detect"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/imageio"
	"github.com/mienhq/mien/internal/testenv"
	"github.com/mienhq/mien/liveness/challenge"
	"github.com/mienhq/mien/raster"
)

// jittered returns img shifted by a sub-pixel amount (a held photo or a
// still head is never pixel-identical from frame to frame).
func jittered(img *face.Image, i int) *face.Image {
	dst := face.NewImage(img.W, img.H)
	dx, dy := float32(i%3)*0.3-0.3, float32(i%2)*0.4-0.2
	raster.Warp(dst, img, raster.Affine{1, 0, dx, 0, 1, dy})
	return dst
}

// TestLivenessSessionStaticPhotoAndClose: a still photo held for 2 s does
// none of the challenges and is not live, with reasons; the best frame is
// returned; Close drops every frame and measurement, and the session then
// refuses frames.
func TestLivenessSessionStaticPhotoAndClose(t *testing.T) {
	e := testenv.Engine(t, "standard")
	img, err := imageio.Decode(read(t, "fixtures/insightface/bulk_Rob_Lowe_0001.jpg"), imageio.Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_700_000_000, 0)
	s := &challenge.Session{Nonce: "n1", Challenges: []challenge.Kind{challenge.TurnLeft, challenge.Blink}, Created: now, Deadline: now.Add(10 * time.Second)}
	ls, err := e.NewLivenessSession(s, mien.LivenessSessionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := range 20 {
		p, err := ls.AddFrame(ctx, jittered(img, i), now.Add(time.Duration(i+1)*100*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			t.Logf("measure %+v", p.Measure)
		}
		if p.Measure.Faces != 1 || p.Current != challenge.TurnLeft {
			t.Fatalf("frame %d: %+v, want one face and turn_left awaited", i, p)
		}
	}
	if frames, records := ls.Retained(); frames == 0 || records == 0 {
		t.Fatalf("before Close the session holds %d frames, %d records; want some", frames, records)
	}
	v, err := ls.Finish(ctx, now.Add(3*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("verdict: live %v, reasons %q, passive %.3f, timings %+v", v.Live, v.Reasons, v.PassiveScore, v.Timings)
	if v.Live || !strings.Contains(strings.Join(v.Reasons, "; "), "turn_left was not done") || v.FaceFrames != 20 {
		t.Errorf("static photo: live %v, reasons %q, %d face frames; want not live, turn_left not done, 20", v.Live, v.Reasons, v.FaceFrames)
	}
	if v.BestFrame == nil || v.BestEmbedding.Model != e.ModelID() || v.PassiveScore < 0 {
		t.Errorf("verdict has no best frame, embedding or passive score: %v %q %v", v.BestFrame == nil, v.BestEmbedding.Model, v.PassiveScore)
	}
	if _, err := ls.Finish(ctx, now.Add(3*time.Second)); !errors.Is(err, challenge.ErrDecided) {
		t.Errorf("second Finish: %v, want ErrDecided", err)
	}
	// the session refines only the followed face's points, when it needs
	// them (a new track, an embedding): not on the other 10 of 20 frames;
	// the best frame's detection is still the one Engine.Detect gives
	if tm := v.Timings; tm.Refines != tm.Embeds || tm.Embeds != 10 {
		t.Errorf("%d landmark refinements for %d embeddings of 20 frames, want 10 and 10", tm.Refines, tm.Embeds)
	}
	dets, err := e.Detect(ctx, v.BestFrame, detect.Options{})
	if main, _ := mien.LivenessFaces(dets); err != nil || main != v.BestDetection {
		t.Errorf("best detection %+v, Engine.Detect gives %+v (%v)", v.BestDetection, main, err)
	}
	ls.Close()
	var pix int
	for _, p := range v.BestFrame.Pix {
		pix += int(p)
	}
	if n := face.Normalize(append([]float32(nil), v.BestEmbedding.Vector...)); n < 0.99 || pix == 0 {
		t.Errorf("Close cleared the verdict's best embedding (norm %g) or frame (pixel sum %d), which are the caller's", n, pix)
	}
	if frames, records := ls.Retained(); frames != 0 || records != 0 {
		t.Errorf("after Close the session holds %d frames, %d records", frames, records)
	}
	if _, err := ls.AddFrame(ctx, img, now.Add(4*time.Second)); !errors.Is(err, mien.ErrSessionClosed) {
		t.Errorf("AddFrame after Close: %v, want ErrSessionClosed", err)
	}
}

// TestLivenessSessionExpired: a frame after the deadline is refused with
// challenge.ErrExpired and the verdict names the deadline.
func TestLivenessSessionExpired(t *testing.T) {
	e := testenv.Engine(t, "standard")
	img, err := imageio.Decode(read(t, "fixtures/insightface/bulk_Rob_Lowe_0001.jpg"), imageio.Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_700_000_000, 0)
	s := &challenge.Session{Nonce: "n2", Challenges: []challenge.Kind{challenge.TurnRight}, Created: now, Deadline: now.Add(time.Second)}
	ls, err := e.NewLivenessSession(s, mien.LivenessSessionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer ls.Close()
	ctx := context.Background()
	if _, err := ls.AddFrame(ctx, img, now.Add(500*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if _, err := ls.AddFrame(ctx, img, now.Add(1500*time.Millisecond)); !errors.Is(err, challenge.ErrExpired) {
		t.Fatalf("late frame: %v, want ErrExpired", err)
	}
	v, err := ls.Finish(ctx, now.Add(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if v.Live || !strings.Contains(strings.Join(v.Reasons, "; "), "deadline") {
		t.Errorf("expired session: live %v, reasons %q; want not live, deadline named", v.Live, v.Reasons)
	}
}

// TestLivenessSessionBadInput: bad options and frames get clear errors and
// change nothing; frames past MaxFrames are refused.
func TestLivenessSessionBadInput(t *testing.T) {
	e := testenv.Engine(t, "standard")
	now := time.Unix(1_700_000_000, 0)
	s := &challenge.Session{Nonce: "n3", Challenges: []challenge.Kind{challenge.TurnLeft}, Created: now, Deadline: now.Add(10 * time.Second)}
	if _, err := e.NewLivenessSession(nil, mien.LivenessSessionOptions{}); err == nil {
		t.Error("a nil challenge session was accepted")
	}
	if _, err := e.NewLivenessSession(s, mien.LivenessSessionOptions{MaxFrames: -1}); err == nil {
		t.Error("negative MaxFrames was accepted")
	}
	ls, err := e.NewLivenessSession(s, mien.LivenessSessionOptions{MaxFrames: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer ls.Close()
	ctx := context.Background()
	if _, err := ls.AddFrame(ctx, &face.Image{W: 10, H: 10, Pix: make([]uint8, 5)}, now.Add(time.Second)); err == nil {
		t.Error("a malformed image was accepted")
	}
	blank := face.NewImage(64, 64)
	for i := range 2 {
		p, err := ls.AddFrame(ctx, blank, now.Add(time.Duration(i+1)*time.Second))
		if err != nil || p.Measure.Faces != 0 || p.Frames != 0 {
			t.Fatalf("blank frame %d: %+v, %v; want no face and no checked frame", i, p, err)
		}
	}
	if _, err := ls.AddFrame(ctx, blank, now.Add(3*time.Second)); !errors.Is(err, mien.ErrTooManyFrames) {
		t.Errorf("third frame with MaxFrames 2: %v, want ErrTooManyFrames", err)
	}
	v, err := ls.Finish(ctx, now.Add(4*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if v.Live || v.Frames != 2 || v.FaceFrames != 0 || v.BestFrame != nil || v.PassiveScore >= 0 {
		t.Errorf("faceless session: %+v", v)
	}
}

// BenchmarkLivenessSessionAddFrame measures one frame of a session (480x480,
// one face): detection, mesh and pose, an embedding every 2nd frame, the
// passive score when the frame is among the best, and the checker.
func BenchmarkLivenessSessionAddFrame(b *testing.B) {
	e := testenv.Engine(b, "standard")
	data, err := os.ReadFile(testenv.Shared(b, "fixtures/insightface/bulk_Rob_Lowe_0001.jpg"))
	if err != nil {
		b.Fatal(err)
	}
	src, err := imageio.Decode(data, imageio.Options{})
	if err != nil {
		b.Fatal(err)
	}
	frames := make([]*face.Image, 8)
	for i := range frames {
		frames[i] = jittered(raster.Resize(src, 480, 480), i)
	}
	now := time.Unix(1_700_000_000, 0)
	ctx := context.Background()
	var ls *mien.LivenessSession
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%100 == 0 {
			if ls != nil {
				ls.Close()
			}
			s := &challenge.Session{Nonce: "b", Challenges: []challenge.Kind{challenge.TurnLeft}, Created: now, Deadline: now.Add(time.Hour)}
			if ls, err = e.NewLivenessSession(s, mien.LivenessSessionOptions{}); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := ls.AddFrame(ctx, frames[i%len(frames)], now.Add(time.Duration(i%100+1)*100*time.Millisecond)); err != nil {
			b.Fatal(err)
		}
	}
	ls.Close()
}

func TestLivenessFaces(t *testing.T) {
	det := func(x, w, score float32) face.Detection {
		return face.Detection{Box: face.R(x, 0, x+w, w), Score: score}
	}
	for _, c := range []struct {
		name string
		dets []face.Detection
		n    int
		main float32 // width of the followed face
	}{
		{"none", nil, 0, 0},
		{"one", []face.Detection{det(0, 100, 0.9)}, 1, 100},
		{"a second presenter", []face.Detection{det(0, 100, 0.9), det(200, 80, 0.95)}, 2, 100},
		{"a small background face", []face.Detection{det(0, 100, 0.9), det(200, 30, 0.95)}, 1, 100},
		{"a weak false detection (0.66)", []face.Detection{det(0, 100, 0.9), det(200, 70, 0.66)}, 1, 100},
		{"the largest listed second", []face.Detection{det(200, 50, 0.99), det(0, 120, 0.7)}, 2, 120},
	} {
		main, n := mien.LivenessFaces(c.dets)
		if n != c.n || main.Box.Dx() != c.main {
			t.Errorf("%s: %d faces following one %g wide, want %d and %g", c.name, n, main.Box.Dx(), c.n, c.main)
		}
	}
}

// TestLivenessSessionFirstEmbeddedAfterTwoFaces: frames with one face after
// two-face frames are accepted (a regression: the checker, failed by the
// two-face frames, had no first frame, and a later frame without an
// embedding was refused as malformed, ending the evaluation with an error);
// two faces in two frames in a row fail the session.
func TestLivenessSessionFirstEmbeddedAfterTwoFaces(t *testing.T) {
	e := testenv.Engine(t, "standard")
	img, err := imageio.Decode(read(t, "fixtures/insightface/bulk_Rob_Lowe_0001.jpg"), imageio.Options{})
	if err != nil {
		t.Fatal(err)
	}
	two := face.NewImage(2*img.W, img.H)
	for y := 0; y < img.H; y++ {
		copy(two.Pix[3*y*two.W:], img.Pix[3*y*img.W:3*(y+1)*img.W])
		copy(two.Pix[3*(y*two.W+img.W):], img.Pix[3*y*img.W:3*(y+1)*img.W])
	}
	now := time.Unix(1_700_000_000, 0)
	s := &challenge.Session{Nonce: "n4", Challenges: []challenge.Kind{challenge.TurnLeft}, Created: now, Deadline: now.Add(10 * time.Second)}
	ls, err := e.NewLivenessSession(s, mien.LivenessSessionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer ls.Close()
	ctx := context.Background()
	for i := 1; i <= 2; i++ {
		p, err := ls.AddFrame(ctx, two, now.Add(time.Duration(i)*50*time.Millisecond))
		if err != nil || p.Measure.Faces != 2 {
			t.Fatalf("two-face frame: %+v, %v", p.Measure, err)
		}
	}
	for i := 0; i < 5; i++ {
		if _, err := ls.AddFrame(ctx, jittered(img, i), now.Add(time.Duration(i+2)*100*time.Millisecond)); err != nil {
			t.Fatalf("single-face frame %d after a two-face frame: %v", i, err)
		}
	}
	v, err := ls.Finish(ctx, now.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if v.Live || !strings.Contains(strings.Join(v.Reasons, ";"), "2 faces") {
		t.Errorf("verdict %v %q, want not live for two faces", v.Live, v.Reasons)
	}
}

// TestLivenessEffort: a session's progress says how far each frame goes
// towards the awaited turn: the yaw read in the asked direction over the
// turn's threshold, capped at 1, on real photos (a frontal rest, then the
// pose fixtures turned each way). The threshold is 90 degrees here, so
// that neither fixture does the turn and both are measured against it.
func TestLivenessEffort(t *testing.T) {
	e := testenv.Engine(t, "standard")
	rest, err := imageio.Decode(read(t, "fixtures/insightface/bulk_Rob_Lowe_0001.jpg"), imageio.Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_700_000_000, 0)
	ctx := context.Background()
	var most float32
	for _, fix := range []string{"fixtures/insightface/pose_left_face.jpeg", "fixtures/insightface/pose_right_face.png"} {
		turned, err := imageio.Decode(read(t, fix), imageio.Options{})
		if err != nil {
			t.Fatal(err)
		}
		s := &challenge.Session{Nonce: "n1", Challenges: []challenge.Kind{challenge.TurnLeft, challenge.Blink}, Created: now, Deadline: now.Add(10 * time.Second)}
		ls, err := e.NewLivenessSession(s, mien.LivenessSessionOptions{Config: challenge.Config{Turn: 90}})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 6 {
			p, err := ls.AddFrame(ctx, jittered(rest, i), now.Add(time.Duration(i+1)*100*time.Millisecond))
			if err != nil {
				t.Fatal(err)
			}
			if p.Effort > 0.1 {
				t.Errorf("frontal frame %d: effort %.2f towards turn_left (yaw %.1f), want little", i, p.Effort, p.Measure.Yaw)
			}
		}
		p, err := ls.AddFrame(ctx, turned, now.Add(700*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: yaw %.1f, effort %.2f", fix, p.Measure.Yaw, p.Effort)
		if p.Measure.Faces != 1 || p.Current != challenge.TurnLeft {
			t.Fatalf("%s: %+v, want one face and turn_left still awaited", fix, p)
		}
		if want := min(1, max(0, p.Measure.Yaw/90)); math.Abs(float64(p.Effort-want)) > 1e-4 {
			t.Errorf("%s: effort %.3f, want %.3f (yaw %.1f over 90, in the asked direction)", fix, p.Effort, want, p.Measure.Yaw)
		}
		most = max(most, p.Effort)
		ls.Close()
	}
	if most < 0.35 {
		t.Errorf("neither pose fixture went a third of the way to a 90-degree turn to the left (most %.2f)", most)
	}
}

// TestLivenessCompressedFrames: frames sent as JPEG at quality 30 read as
// about 30 (quality.JPEGQuality), each frame's passive result is marked too
// compressed and not live, and the session fails with that reason; the
// same frames at quality 92 carry no such reason. A print sent that
// compressed scores as live (docs/benchmarks.md). Grey frames (a greyscale
// camera) fail with their own reason: the models need colour.
func TestLivenessCompressedFrames(t *testing.T) {
	e := testenv.Engine(t, "standard")
	img, err := imageio.Decode(read(t, "fixtures/insightface/bulk_Rob_Lowe_0001.jpg"), imageio.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	grey := func(m *face.Image) *face.Image {
		g := face.NewImage(m.W, m.H)
		for i := 0; i < len(m.Pix); i += 3 {
			y := uint8((299*int(m.Pix[i]) + 587*int(m.Pix[i+1]) + 114*int(m.Pix[i+2])) / 1000)
			g.Pix[i], g.Pix[i+1], g.Pix[i+2] = y, y, y
		}
		return g
	}
	for _, c := range []struct {
		q    int
		grey bool
	}{{30, false}, {92, false}, {92, true}} {
		q := c.q
		now := time.Unix(1_700_000_000, 0)
		s := &challenge.Session{Nonce: "n1", Challenges: []challenge.Kind{challenge.TurnLeft}, Created: now, Deadline: now.Add(10 * time.Second)}
		ls, err := e.NewLivenessSession(s, mien.LivenessSessionOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 12 {
			var buf bytes.Buffer
			fr0 := jittered(img, i)
			if c.grey {
				fr0 = grey(fr0)
			}
			if err := imageio.EncodeJPEG(&buf, fr0, q); err != nil {
				t.Fatal(err)
			}
			fr, err := imageio.Decode(buf.Bytes(), imageio.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				dets, err := e.Detect(ctx, fr, detect.Options{})
				if err != nil || len(dets) == 0 {
					t.Fatalf("detect: %v, %d faces", err, len(dets))
				}
				r, err := e.Liveness(ctx, fr, dets[0])
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("quality %d: one frame reads %d, score %.3f, too compressed %v", q, r.JPEGQuality, r.Score, r.TooCompressed)
				if q == 30 && (r.JPEGQuality < 25 || r.JPEGQuality > 35 || !r.TooCompressed || r.Live) {
					t.Errorf("quality 30: %+v, want read about 30, too compressed, not live", r)
				}
				if q == 92 && (r.TooCompressed || r.JPEGQuality != 0 && r.JPEGQuality < 85) {
					t.Errorf("quality 92: %+v, want not too compressed", r)
				}
				if r.Greyscale != c.grey || c.grey && r.Live {
					t.Errorf("grey %v: %+v, want greyscale %v (and not live when grey)", c.grey, r, c.grey)
				}
			}
			if _, err := ls.AddFrame(ctx, fr, now.Add(time.Duration(i+1)*100*time.Millisecond)); err != nil {
				t.Fatal(err)
			}
		}
		v, err := ls.Finish(ctx, now.Add(2*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		ls.Close()
		reasons := strings.Join(v.Reasons, "; ")
		t.Logf("quality %d: verdict jpeg quality %d, reasons %q", q, v.JPEGQuality, reasons)
		compressed := strings.Contains(reasons, "too compressed")
		if q == 30 && (!compressed || v.JPEGQuality < 25 || v.JPEGQuality > 35) {
			t.Errorf("quality 30: jpeg quality %d, reasons %q; want about 30 and too compressed", v.JPEGQuality, reasons)
		}
		if q == 92 && compressed {
			t.Errorf("quality 92: reasons %q, want no compression reason", reasons)
		}
		if colourless := strings.Contains(reasons, "no colour"); colourless != c.grey {
			t.Errorf("grey %v: reasons %q", c.grey, reasons)
		}
	}
}
