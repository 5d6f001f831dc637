package video

import (
	"context"
	"sync"
)

// queue is a bounded FIFO of frames that drops its oldest frame when full,
// so a slow consumer sees recent frames instead of an ever-growing delay.
type queue struct {
	mu     sync.Mutex
	ring   []*Frame
	head   int
	n      int
	done   bool
	err    error
	notify chan struct{} // capacity 1: a frame arrived or the queue closed
	space  chan struct{} // capacity 1: a frame was taken
}

func newQueue(capacity int) *queue {
	return &queue{ring: make([]*Frame, capacity), notify: make(chan struct{}, 1), space: make(chan struct{}, 1)}
}

// push appends f and returns the frame dropped to make room, if any.
func (q *queue) push(f *Frame) (dropped *Frame) {
	q.mu.Lock()
	if q.n == len(q.ring) {
		dropped = q.ring[q.head]
		q.ring[q.head] = nil
		q.head = (q.head + 1) % len(q.ring)
		q.n--
	}
	q.ring[(q.head+q.n)%len(q.ring)] = f
	q.n++
	q.mu.Unlock()
	q.wake()
	return dropped
}

func (q *queue) wake() {
	select {
	case q.notify <- struct{}{}:
	default:
	}
}

// pushWait appends f, waiting for room instead of dropping (offline
// analysis of a file). It fails only when ctx ends.
func (q *queue) pushWait(ctx context.Context, f *Frame) error {
	for {
		q.mu.Lock()
		if q.n < len(q.ring) {
			q.mu.Unlock()
			q.push(f)
			return nil
		}
		q.mu.Unlock()
		select {
		case <-q.space:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// close ends the queue: pop returns the frames still held, then err.
func (q *queue) close(err error) {
	q.mu.Lock()
	q.done, q.err = true, err
	q.mu.Unlock()
	q.wake()
}

// pop waits for the oldest frame, the end of the queue or ctx.
func (q *queue) pop(ctx context.Context) (*Frame, error) {
	for {
		q.mu.Lock()
		if q.n > 0 {
			f := q.ring[q.head]
			q.ring[q.head] = nil
			q.head = (q.head + 1) % len(q.ring)
			q.n--
			more := q.n > 0 || q.done
			q.mu.Unlock()
			select {
			case q.space <- struct{}{}:
			default:
			}
			if more {
				q.wake()
			}
			return f, nil
		}
		if q.done {
			err := q.err
			q.mu.Unlock()
			q.wake()
			return nil, err
		}
		q.mu.Unlock()
		select {
		case <-q.notify:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// tryPop takes the oldest frame if one is queued, without waiting.
func (q *queue) tryPop() (*Frame, bool) {
	q.mu.Lock()
	if q.n == 0 {
		q.mu.Unlock()
		return nil, false
	}
	f := q.ring[q.head]
	q.ring[q.head] = nil
	q.head = (q.head + 1) % len(q.ring)
	q.n--
	q.mu.Unlock()
	select {
	case q.space <- struct{}{}:
	default:
	}
	return f, true
}

func (q *queue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n
}
