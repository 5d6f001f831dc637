package stream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/mienhq/mien/count"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/track"
	"github.com/mienhq/mien/video"
)

// Options configure a Manager.
type Options struct {
	Detector Detector // required
	Sink     Sink     // required
	// FFmpeg is the ffmpeg binary that decodes sources (default "ffmpeg"
	// resolved by the caller); unused when NewSource is set.
	FFmpeg string
	// NewSource opens a camera's source (tests); nil opens a video.Source.
	NewSource func(cfg Config) (Source, error)
	// Gate makes gate cameras' gates; nil leaves gate cameras failed with
	// "gate mode is not available".
	Gate   GateFactory
	Logger *slog.Logger
	// DetectSlots is how many cameras analyse a frame at once: the
	// detector's sessions (0: runtime.NumCPU(), the engine's default). A
	// camera waits for a slot, then analyses its newest frame (latest frame
	// wins: older ones are dropped and counted, not analysed late).
	DetectSlots int
}

// Manager runs cameras. It is safe for concurrent use.
type Manager struct {
	opts  Options
	ctx   context.Context
	stop  context.CancelFunc
	slots chan struct{} // DetectSlots

	mu   sync.Mutex
	cams map[string]*camera
}

// ErrNoCamera is returned for a camera the Manager does not run.
var ErrNoCamera = errors.New("stream: no such camera running")

// New makes a Manager whose cameras live until ctx ends or Close.
func New(ctx context.Context, opts Options) (*Manager, error) {
	if opts.Detector == nil || opts.Sink == nil {
		return nil, errors.New("stream: a detector and a sink are required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.NewSource == nil {
		if opts.FFmpeg == "" {
			opts.FFmpeg = "ffmpeg"
		}
		opts.NewSource = func(cfg Config) (Source, error) { return openVideo(opts.FFmpeg, cfg) }
	}
	ctx, stop := context.WithCancel(ctx)
	if opts.DetectSlots <= 0 {
		opts.DetectSlots = runtime.NumCPU()
	}
	return &Manager{opts: opts, ctx: ctx, stop: stop, slots: make(chan struct{}, opts.DetectSlots), cams: map[string]*camera{}}, nil
}

// openVideo opens a live source: frames are dropped, never queued without
// bound, when analysis falls behind. Each camera's ffmpeg decodes on one
// thread (many cameras on few cores: threads per camera only compete), and
// a counting camera, whose frames only the detector sees, skips H.264's
// deblocking filter and scales with the cheapest scaler (about a fifth of
// the decoding CPU; docs/benchmarks.md, "Cameras: 8 x 720p on 2 cores").
func openVideo(ffmpeg string, cfg Config) (Source, error) {
	return video.New(cfg.Source, videoOptions(ffmpeg, cfg))
}

func videoOptions(ffmpeg string, cfg Config) video.Options {
	o := video.Options{FFmpeg: ffmpeg, Width: cfg.Width, Height: cfg.Height, FPS: cfg.FPS,
		Transport: cfg.Transport, Format: cfg.Format, Loop: cfg.Loop, Realtime: true, Threads: 1}
	if cfg.Mode == ModeCount { // the gate keeps the picture intact for the faces it identifies
		o.NoDeblock, o.ScaleFlags = true, "fast_bilinear"
	}
	return o
}

// Apply starts a camera, or restarts it when its configuration changed.
// A configuration that is not valid changes nothing and returns an error;
// a source that fails later shows in Health.
func (m *Manager) Apply(cfg Config) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.ctx.Err() != nil {
		return errors.New("stream: the manager is closed")
	}
	if old := m.cams[cfg.ID]; old != nil {
		if reflect.DeepEqual(old.given, cfg) {
			return nil
		}
		old.halt()
	}
	c, err := m.newCamera(cfg)
	if err != nil {
		return err
	}
	m.cams[cfg.ID] = c
	ctx, cancel := context.WithCancel(m.ctx)
	c.cancel = cancel
	if c.h.State == StateFailed {
		close(c.done)
		return nil
	}
	go c.run(ctx)
	return nil
}

// newCamera builds a camera; a gate that cannot be made leaves it failed
// (visible in Health) rather than refusing the configuration.
func (m *Manager) newCamera(cfg Config) (*camera, error) {
	c := &camera{cfg: cfg, given: cfg, det: m.opts.Detector, sink: m.opts.Sink, log: m.opts.Logger, done: make(chan struct{}), slots: m.slots,
		occ: map[string]int{}, minute: Minute{Occupancy: map[string]int{}}}
	c.h = Health{ID: cfg.ID, Name: cfg.Name, Mode: cfg.Mode, State: StateStarting, Started: time.Now(), Decisions: map[string]int{}}
	if c.cfg.MinSize <= 0 {
		c.cfg.MinSize = 24
	}
	var err error
	// a lost track coasts for at most a second and a half and ends once its
	// prediction has left the frame
	c.tr, err = track.New(track.Options{MaxLost: max(1, int(1.5*cfg.FPS)), Bounds: face.R(0, 0, float32(cfg.Width), float32(cfg.Height))})
	if err != nil {
		return nil, fmt.Errorf("stream: %w", err)
	}
	if cfg.Line != nil {
		h := cfg.Hysteresis
		if h <= 0 {
			h = 8
		}
		if c.counter, err = count.NewCounter(*cfg.Line, h); err != nil {
			return nil, fmt.Errorf("stream: %w", err)
		}
	}
	if c.src, err = m.opts.NewSource(cfg); err != nil {
		return nil, fmt.Errorf("stream: %w", err)
	}
	if cfg.Mode == ModeGate {
		if m.opts.Gate == nil {
			err = errors.New("stream: gate mode is not available in this build")
		} else {
			c.gate, err = m.opts.Gate(cfg)
		}
		if err != nil {
			c.h.State, c.h.LastError = StateFailed, err.Error()
		}
	}
	return c, nil
}

// halt stops a camera and waits for it.
func (c *camera) halt() {
	c.cancel()
	<-c.done
}

// Remove stops a camera; removing one not running is not an error.
func (m *Manager) Remove(id string) {
	m.mu.Lock()
	c := m.cams[id]
	delete(m.cams, id)
	m.mu.Unlock()
	if c != nil {
		c.halt()
	}
}

// StopWhere stops at once every camera whose configuration matches (its
// source's ffmpeg killed, its goroutine ended) and keeps it listed as
// failed with the reason, so its health says why it stopped; applying it
// again starts it afresh. It returns the ids it stopped. Use it when what a
// camera depends on is deleted (a gate camera's collection).
func (m *Manager) StopWhere(match func(Config) bool, reason string) []string {
	m.mu.Lock()
	var hit []*camera
	for _, c := range m.cams {
		if match(c.given) {
			hit = append(hit, c)
		}
	}
	m.mu.Unlock()
	ids := make([]string, 0, len(hit))
	for _, c := range hit {
		c.halt()
		m.mu.Lock()
		c.given = Config{} // equals no configuration: the next Apply restarts it
		m.mu.Unlock()
		c.mu.Lock()
		c.h.State, c.h.LastError = StateFailed, reason
		c.mu.Unlock()
		ids = append(ids, c.cfg.ID)
	}
	slices.Sort(ids)
	return ids
}

// Health returns one camera's health.
func (m *Manager) Health(id string) (Health, error) {
	m.mu.Lock()
	c := m.cams[id]
	m.mu.Unlock()
	if c == nil {
		return Health{}, ErrNoCamera
	}
	return c.health(), nil
}

// Healths returns every camera's health, by id.
func (m *Manager) Healths() []Health {
	m.mu.Lock()
	cams := make([]*camera, 0, len(m.cams))
	for _, c := range m.cams {
		cams = append(cams, c)
	}
	m.mu.Unlock()
	out := make([]Health, 0, len(cams))
	for _, c := range cams {
		out = append(out, c.health())
	}
	slices.SortFunc(out, func(a, b Health) int { return cmpString(a.ID, b.ID) })
	return out
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (c *camera) health() Health {
	c.mu.Lock()
	h := c.h
	h.Decisions = cloneMap(c.h.Decisions)
	h.Occupancy = cloneMap(c.h.Occupancy)
	c.mu.Unlock()
	if c.src != nil {
		h.Source = c.src.Health()
	}
	return h
}

func cloneMap(m map[string]int) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Snapshot returns a camera's last frame as JPEG with its confirmed tracks'
// boxes and ids drawn, and those boxes; ok is false before the first frame.
func (m *Manager) Snapshot(id string) (jpg []byte, boxes []Box, ok bool, err error) {
	m.mu.Lock()
	c := m.cams[id]
	m.mu.Unlock()
	if c == nil {
		return nil, nil, false, ErrNoCamera
	}
	c.mu.Lock()
	if c.snap.pix == nil {
		c.mu.Unlock()
		return nil, nil, false, nil
	}
	snap := snapshot{pix: append([]uint8(nil), c.snap.pix...), w: c.snap.w, h: c.snap.h, tracks: append([]Box(nil), c.snap.tracks...)}
	c.mu.Unlock() // encode outside the lock: the camera goes on meanwhile
	jpg, boxes, err = snap.encode()
	return jpg, boxes, err == nil, err
}

// Close stops every camera and waits for them.
func (m *Manager) Close() {
	m.mu.Lock()
	m.stop()
	cams := m.cams
	m.cams = map[string]*camera{}
	m.mu.Unlock()
	for _, c := range cams {
		c.halt()
	}
}
