package stream

import (
	"errors"
	"slices"

	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/video"
)

// tap is one consumer of a camera's frames.
type tap struct{ ch chan *video.Frame }

// Tap copies every frame camera id analyses from now on to the returned
// channel (the frames are the receiver's), for a liveness session whose
// frames come from a camera the server reads itself. The channel holds
// two frames: a receiver that falls behind loses frames, it never slows
// the camera. It is closed when the camera stops (deleted, restarted,
// its source ended); untap stops the copies without closing it. A
// camera that is not running (failed, stopped) is an error.
func (m *Manager) Tap(id string) (frames <-chan *video.Frame, untap func(), err error) {
	m.mu.Lock()
	c := m.cams[id]
	m.mu.Unlock()
	if c == nil {
		return nil, nil, ErrNoCamera
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.h.State != StateStarting && c.h.State != StateRunning {
		return nil, nil, errors.New("stream: camera " + id + " is not running (" + c.h.State + ")")
	}
	t := &tap{ch: make(chan *video.Frame, 2)}
	if c.taps == nil {
		c.taps = map[*tap]bool{}
	}
	c.taps[t] = true
	return t.ch, func() {
		c.mu.Lock()
		delete(c.taps, t)
		c.mu.Unlock()
	}, nil
}

// give copies a frame to the camera's taps, dropping it for a tap whose
// receiver is behind.
func (c *camera) give(f *video.Frame) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for t := range c.taps {
		cp := &video.Frame{Seq: f.Seq, Time: f.Time, Image: &face.Image{W: f.Image.W, H: f.Image.H, Pix: slices.Clone(f.Image.Pix)}}
		select {
		case t.ch <- cp:
		default:
		}
	}
}
