//go:build !cgo

package onnx

// Init always fails without cgo.
func Init(opts RuntimeOptions) error { return ErrUnavailable }

// Version returns "" without cgo.
func Version() string { return "" }

// Inspect always fails without cgo.
func Inspect(model []byte) (Signature, error) { return Signature{}, ErrUnavailable }

// Session is a stub without cgo.
type Session struct{}

// NewSession always fails without cgo.
func NewSession(model []byte, inputs, outputs []string, opts SessionOptions) (*Session, error) {
	return nil, ErrUnavailable
}

// Run always fails without cgo.
func (s *Session) Run(inputs ...Tensor) ([]Tensor, error) { return nil, ErrUnavailable }

// Close does nothing without cgo.
func (s *Session) Close() error { return nil }
