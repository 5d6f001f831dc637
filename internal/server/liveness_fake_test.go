package server_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/png"
	"log/slog"
	"math"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/detect"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/imageio"
	"github.com/mienhq/mien/internal/server"
	"github.com/mienhq/mien/liveness/challenge"
	"github.com/mienhq/mien/quality"
)

// The transport, token and policy tests run on a fake engine: a frame is a
// small PNG whose red channel names the person (40 * person) and whose
// green channel the action it shows (40 * (index in challenge.Kinds + 1), 0
// for a frontal face). The fake session completes a challenge when a frame
// shows it, fails when the person changes, and keeps its first frame as the
// best one. The real engine's decisions are tested in the root package and
// in liveness_real_test.go.

// liveFake is a server.Engine and server.LiveEngine.
type liveFake struct {
	mu       sync.Mutex
	sessions []*fakeLiveSession
	// returnToRest makes sessions wait, once every challenge is done, for a
	// frame without an action (the head back at rest), as the engine does.
	returnToRest bool
}

func frameOf(person int, action challenge.Kind) []byte {
	g := 0
	for i, k := range challenge.Kinds {
		if k == action {
			g = 40 * (i + 1)
		}
	}
	m := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for i := 0; i < 16*16; i++ {
		m.Set(i%16, i/16, color.RGBA{uint8(40 * person), uint8(g), 128, 255})
	}
	var b bytes.Buffer
	png.Encode(&b, m)
	return b.Bytes()
}

// readFrame reads the centre pixel (a video is scaled and padded).
// fakeEffort is the fake engine's guidance for its n-th frame: a value a
// transport must pass on as it is.
func fakeEffort(n int) float32 { return float32(n%4) / 4 }

func readFrame(img *face.Image) (person int, action challenge.Kind) {
	c := 3 * (img.H/2*img.W + img.W/2)
	person = (int(img.Pix[c]) + 20) / 40
	if g := (int(img.Pix[c+1]) + 20) / 40; g > 0 && g <= len(challenge.Kinds) {
		action = challenge.Kinds[g-1]
	}
	return person, action
}

func (f *liveFake) Decode(data []byte) (*face.Image, error) {
	return imageio.Decode(data, imageio.Options{})
}

func (f *liveFake) AnalyzeImage(_ context.Context, img *face.Image, _ detect.Options) (*mien.Analysis, error) {
	person, _ := readFrame(img)
	v := make([]float32, 512)
	v[person%8] = 1
	return &mien.Analysis{Width: img.W, Height: img.H, Faces: []mien.Face{{
		Detection: face.Detection{Box: face.Rect{Min: face.Point{X: 1, Y: 1}, Max: face.Point{X: 15, Y: 15}}, Score: 0.99},
		Quality:   quality.Quality{FaceSize: 100, Sharpness: 50, Brightness: 50},
		Embedding: face.Embedding{Model: "fake-recognizer", Vector: v}}}}, nil
}

func (f *liveFake) Analyze(ctx context.Context, data []byte, opts detect.Options) (*mien.Analysis, error) {
	img, err := f.Decode(data)
	if err != nil {
		return nil, err
	}
	return f.AnalyzeImage(ctx, img, opts)
}

func (f *liveFake) Compare(a, b face.Embedding) (float32, error) { return face.Cosine(a, b) }
func (f *liveFake) Threshold(far float64) (float32, error) {
	if far <= 0 || far >= 1 || math.IsNaN(far) {
		return 0, errors.New("fake: far out of range")
	}
	return 0.5, nil
}
func (f *liveFake) ModelID() string { return "fake-recognizer" }

func (f *liveFake) StartLiveness(ch *challenge.Session) (server.LiveSession, error) {
	s := &fakeLiveSession{ch: ch, person: -1, mustReturn: f.returnToRest}
	f.mu.Lock()
	f.sessions = append(f.sessions, s)
	f.mu.Unlock()
	return s, nil
}

// retained counts the frames every session still holds.
func (f *liveFake) retained() (frames, open int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range f.sessions {
		s.mu.Lock()
		if s.best != nil {
			frames++
		}
		if !s.closed {
			open++
		}
		s.mu.Unlock()
	}
	return frames, open
}

type fakeLiveSession struct {
	mu     sync.Mutex
	ch     *challenge.Session
	person int
	step   int
	frames int
	failed bool
	best   *face.Image
	closed bool
	// mustReturn: after the last challenge a rest frame is awaited (back)
	mustReturn, back bool
}

func (s *fakeLiveSession) AddFrame(_ context.Context, img *face.Image, at time.Time) (server.LiveProgress, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return server.LiveProgress{}, errors.New("fake: closed")
	}
	person, action := readFrame(img)
	if s.person < 0 {
		s.person = person
		s.best = &face.Image{W: img.W, H: img.H, Pix: append([]uint8(nil), img.Pix...)}
	} else if person != s.person {
		s.failed = true
	}
	done := s.step == len(s.ch.Challenges)
	if !done && action == s.ch.Challenges[s.step] {
		s.step++
	}
	s.back = s.back || done && action == ""
	s.frames++
	p := server.LiveProgress{Faces: 1, Completed: s.step, Failed: s.failed,
		Returning: s.mustReturn && s.step == len(s.ch.Challenges) && !s.back && !s.failed,
		Effort:    fakeEffort(s.frames)}
	if s.step < len(s.ch.Challenges) {
		p.Challenge = string(s.ch.Challenges[s.step])
	}
	return p, nil
}

func (s *fakeLiveSession) Finish(_ context.Context, now time.Time) (server.LiveVerdict, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := server.LiveVerdict{Frames: s.frames, Passive: 0.9, Best: s.best}
	for _, k := range s.ch.Challenges[:s.step] {
		v.Completed = append(v.Completed, string(k))
	}
	if s.failed {
		v.Reasons = append(v.Reasons, "another face appeared")
	}
	if s.step < len(s.ch.Challenges) {
		v.Reasons = append(v.Reasons, "challenge "+string(s.ch.Challenges[s.step])+" was not done")
	}
	v.Live = len(v.Reasons) == 0
	return v, nil
}

func (s *fakeLiveSession) Close() {
	s.mu.Lock()
	s.best, s.closed = nil, true
	s.mu.Unlock()
}

// clock is a test clock that can jump ahead.
type clock struct{ skew atomic.Int64 }

func (c *clock) now() time.Time          { return time.Now().Add(time.Duration(c.skew.Load())) }
func (c *clock) advance(d time.Duration) { c.skew.Add(int64(d)) }

// liveServe runs a server on the fake engine with a test clock.
func liveServe(t *testing.T, lo server.LivenessOptions) (*env, *liveFake, *clock) {
	f := &liveFake{}
	c := &clock{}
	lo.Engine = f
	if lo.Now == nil {
		lo.Now = c.now
	}
	return rekServe(t, f, server.Options{Liveness: lo, Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))}), f, c
}
