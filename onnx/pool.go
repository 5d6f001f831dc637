package onnx

import (
	"context"
	"fmt"
)

// Pool holds a fixed number of sessions of one model so that concurrent
// callers each get a session of their own. Pool is safe for concurrent use.
type Pool struct {
	free chan *Session
	all  []*Session
}

// NewPool opens n sessions of the same model.
func NewPool(n int, model []byte, inputs, outputs []string, opts SessionOptions) (*Pool, error) {
	if n < 1 {
		n = 1
	}
	p := &Pool{free: make(chan *Session, n)}
	for i := 0; i < n; i++ {
		s, err := NewSession(model, inputs, outputs, opts)
		if err != nil {
			p.Close()
			return nil, err
		}
		p.all = append(p.all, s)
		p.free <- s
	}
	return p, nil
}

// Run borrows a session, runs it and gives it back. It waits for a free
// session until ctx is done.
func (p *Pool) Run(ctx context.Context, inputs ...Tensor) ([]Tensor, error) {
	select {
	case s := <-p.free:
		defer func() { p.free <- s }()
		return s.Run(inputs...)
	case <-ctx.Done():
		return nil, fmt.Errorf("onnx: waiting for a session: %w", ctx.Err())
	}
}

// Size returns the number of sessions.
func (p *Pool) Size() int { return len(p.all) }

// Close releases every session. No Run may be in flight.
func (p *Pool) Close() error {
	var first error
	for _, s := range p.all {
		if err := s.Close(); err != nil && first == nil {
			first = err
		}
	}
	p.all = nil
	return first
}
