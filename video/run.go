package video

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// run is the decoding loop: one ffmpeg attempt after another, with back-off.
func (s *Source) run(ctx context.Context) {
	defer close(s.done)
	fails, delay := 0, s.opts.BackoffMin
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			s.stats.update(func(h *Health) { h.Reconnects++ })
		}
		s.stats.setState(StateConnecting)
		n, err := s.attempt(ctx)
		if ctx.Err() != nil {
			s.stats.setState(StateStopped)
			s.q.close(ErrStopped)
			return
		}
		if n > 0 {
			fails, delay = 0, s.opts.BackoffMin
		}
		if errors.Is(err, io.EOF) {
			if s.kind == KindFile && !s.opts.Loop {
				s.stats.setState(StateEnded)
				s.q.close(io.EOF)
				return
			}
			err = fmt.Errorf("video: stream ended after %d frames", n)
		}
		if s.safe != s.url {
			err = errors.New(strings.ReplaceAll(err.Error(), s.url, s.safe))
		}
		s.stats.fail(err)
		fails++
		if s.opts.MaxAttempts > 0 && fails >= s.opts.MaxAttempts {
			s.stats.setState(StateEnded)
			s.q.close(fmt.Errorf("video: gave up after %d attempts: %w", fails, err))
			return
		}
		s.stats.setState(StateBackoff)
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			s.stats.setState(StateStopped)
			s.q.close(ErrStopped)
			return
		}
		delay = min(2*delay, s.opts.BackoffMax)
	}
}

// attempt runs ffmpeg once and queues its frames. It returns the number of
// frames read and why it ended: io.EOF for a clean end of stream.
func (s *Source) attempt(ctx context.Context) (int, error) {
	actx, cancel := context.WithCancel(ctx)
	defer cancel()
	cmd := exec.CommandContext(actx, s.opts.FFmpeg, s.args...)
	cmd.WaitDelay = 2 * time.Second
	tail := &tailWriter{max: 2048}
	cmd.Stderr = tail
	out, err := cmd.StdoutPipe()
	if err != nil {
		return 0, fmt.Errorf("video: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("video: start ffmpeg: %w", err)
	}
	var stalled atomic.Bool
	watchdog := time.AfterFunc(s.opts.ConnectTimeout, func() { stalled.Store(true); cancel() })
	n, rerr := s.readFrames(actx, out, watchdog)
	watchdog.Stop()
	if rerr != nil && !errors.Is(rerr, io.EOF) {
		cancel() // a partial frame: ffmpeg is dying or broken
	}
	werr := cmd.Wait()
	switch {
	case ctx.Err() != nil:
		return n, ctx.Err()
	case stalled.Load() && n == 0:
		return n, fmt.Errorf("video: no frame within %s%s", s.opts.ConnectTimeout, tail.suffix())
	case stalled.Load():
		return n, fmt.Errorf("video: stream stalled for %s%s", s.opts.StallTimeout, tail.suffix())
	case werr != nil:
		return n, fmt.Errorf("video: ffmpeg: %w%s", werr, tail.suffix())
	case rerr != nil && !errors.Is(rerr, io.EOF):
		return n, fmt.Errorf("video: read frame: %w", rerr)
	}
	return n, io.EOF
}

// readFrames reads whole frames from r into pooled buffers and queues them.
func (s *Source) readFrames(ctx context.Context, r io.Reader, watchdog *time.Timer) (int, error) {
	n := 0
	for {
		f := s.frame()
		if _, err := io.ReadFull(r, f.Image.Pix); err != nil {
			s.Release(f)
			return n, err
		}
		if n == 0 {
			s.stats.setState(StateRunning)
		}
		watchdog.Reset(s.opts.StallTimeout)
		n++
		s.seq++
		f.Seq, f.Time = s.seq, time.Now()
		if s.opts.NoDrop {
			watchdog.Stop() // a slow consumer is not a stalled stream
			if err := s.q.pushWait(ctx, f); err != nil {
				return n, err
			}
			watchdog.Reset(s.opts.StallTimeout)
			s.stats.frameIn(f.Time, false)
			continue
		}
		dropped := s.q.push(f)
		s.Release(dropped)
		s.stats.frameIn(f.Time, dropped != nil)
	}
}

// tailWriter keeps the last max bytes written (ffmpeg's last messages).
type tailWriter struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tailWriter) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-t.max:]...)
	}
	return len(p), nil
}

// suffix is ": <last line of stderr>", or "" when ffmpeg said nothing.
func (t *tailWriter) suffix() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	lines := strings.Split(strings.TrimSpace(string(t.buf)), "\n")
	last := strings.TrimSpace(lines[len(lines)-1])
	if last == "" {
		return ""
	}
	return ": " + last
}
