package video

import (
	"context"
	"errors"
	"io"
	"net/url"
	"sync"
	"time"

	"github.com/mienhq/mien/face"
)

// ErrStopped is returned by Next once the source was stopped.
var ErrStopped = errors.New("video: source stopped")

// Frame is one decoded picture. Image is owned by the Source's buffer pool:
// hand the frame back with Release once done so its buffer is reused.
type Frame struct {
	Seq   uint64      // 1, 2, 3, ... over the life of the Source, across reconnects
	Time  time.Time   // when the frame was read from the decoder
	Image *face.Image // Width x Height rgb24
}

// Source is one camera or file. Start it once, take frames with Next (or
// Each), and Stop it. Next, Release, Health and Stop are safe for
// concurrent use; Next is meant for a single consumer.
type Source struct {
	url   string
	safe  string // url with any password masked, for errors and logs
	kind  Kind
	args  []string
	opts  Options
	q     *queue
	free  chan *Frame
	stats stats

	mu      sync.Mutex
	started bool
	cancel  context.CancelFunc
	done    chan struct{}
	seq     uint64 // written only by the run goroutine
}

// New validates the source and options; it starts nothing.
func New(src string, opts Options) (*Source, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	kind, input, err := ParseSource(src)
	if err != nil {
		return nil, err
	}
	s := &Source{url: src, safe: redact(src), kind: kind, opts: o, args: o.Args(kind, input),
		q: newQueue(o.Queue), free: make(chan *Frame, o.Queue+2), done: make(chan struct{})}
	s.stats.h.State = StateIdle
	return s, nil
}

// redact masks the password of a URL (rtsp://user:xxxxx@host/...).
func redact(src string) string {
	u, err := url.Parse(src)
	if err != nil || u.User == nil {
		return src
	}
	return u.Redacted()
}

// String is the source URL with any password masked.
func (s *Source) String() string { return s.safe }

// Kind reports the kind of source.
func (s *Source) Kind() Kind { return s.kind }

// Args returns the ffmpeg arguments the source runs (without the binary);
// they hold the URL as given, credentials included: log String instead.
func (s *Source) Args() []string { return append([]string(nil), s.args...) }

// Start launches the decoding loop; it runs until Stop, ctx ends, a file
// ends (without Loop) or MaxAttempts consecutive attempts fail.
func (s *Source) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return errors.New("video: source already started")
	}
	s.started = true
	ctx, s.cancel = context.WithCancel(ctx)
	go s.run(ctx)
	return nil
}

// Stop ends the loop, kills ffmpeg and waits for both to finish.
func (s *Source) Stop() {
	s.mu.Lock()
	started, cancel := s.started, s.cancel
	s.mu.Unlock()
	if !started {
		return
	}
	cancel()
	<-s.done
}

// Done is closed when the decoding loop has finished.
func (s *Source) Done() <-chan struct{} { return s.done }

// Next returns the oldest queued frame, waiting for one. It returns io.EOF
// after a file's last frame, ErrStopped after Stop, or the last error once
// MaxAttempts failed.
func (s *Source) Next(ctx context.Context) (*Frame, error) {
	f, err := s.q.pop(ctx)
	if err == nil {
		s.stats.frameOut(time.Now())
	}
	return f, err
}

// Newest swaps f, a frame from Next that waited (for a detector, say), for
// the newest frame queued since, if any: f and the frames queued before the
// newest are released and counted as dropped (Health.Dropped). It never
// waits. A live camera's consumer calls it just before analysing, so that
// the frame analysed is the latest one (latest frame wins), not one that
// aged in the queue and in the wait. It returns the frame to analyse and
// how many it dropped. A NoDrop source (a file analysed offline) keeps
// every frame: Newest returns f.
func (s *Source) Newest(f *Frame) (*Frame, int) {
	if s.opts.NoDrop {
		return f, 0
	}
	n := 0
	for {
		g, ok := s.q.tryPop()
		if !ok {
			break
		}
		s.Release(f)
		f, n = g, n+1
	}
	if n > 0 {
		s.stats.skipped(n)
	}
	return f, n
}

// Release hands a frame's buffer back for reuse. The frame must not be used after.
func (s *Source) Release(f *Frame) {
	if f == nil {
		return
	}
	select {
	case s.free <- f:
	default: // pool full: let the collector have it
	}
}

// Each calls fn for every frame until fn fails, ctx ends or the source
// finishes, releasing each frame after fn returns. A clean end of a file
// returns nil.
func (s *Source) Each(ctx context.Context, fn func(*Frame) error) error {
	for {
		f, err := s.Next(ctx)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		err = fn(f)
		s.Release(f)
		if err != nil {
			return err
		}
	}
}

// Health returns a snapshot of the source's counters.
func (s *Source) Health() Health { return s.stats.snapshot(s.q.len()) }

func (s *Source) frame() *Frame {
	select {
	case f := <-s.free:
		return f
	default:
		return &Frame{Image: face.NewImage(s.opts.Width, s.opts.Height)}
	}
}
