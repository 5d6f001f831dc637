// Package onnx is the only package in mien that touches ONNX Runtime. It
// loads the runtime's shared library once, opens models from bytes, checks
// their input/output signature, and runs float32 tensors.
//
// Without cgo (CGO_ENABLED=0) the package still builds: every constructor
// returns ErrUnavailable, so the pure-Go parts of mien build and test.
package onnx

import (
	"errors"
	"fmt"
)

// ErrUnavailable is returned when ONNX Runtime cannot be used: the binary was
// built without cgo, or the shared library could not be loaded.
var ErrUnavailable = errors.New("onnx: ONNX Runtime is not available")

// RuntimeOptions say where the runtime's shared library is and how it runs.
type RuntimeOptions struct {
	// LibraryPath is the path of libonnxruntime.so.1 (required).
	LibraryPath string
}

// SessionOptions tune one model session.
type SessionOptions struct {
	// IntraOpThreads is the number of threads one Run may use (0 means 1).
	IntraOpThreads int
}

// Tensor is a dense float32 tensor.
type Tensor struct {
	Shape []int64
	Data  []float32
}

// IO names a model input or output with its declared shape (-1 for a
// dynamic dimension).
type IO struct {
	Name  string
	Shape []int64
}

// Signature is a model's declared inputs and outputs.
type Signature struct {
	Inputs, Outputs []IO
}

// Expect checks that the signature has the named inputs and outputs, with
// the given rank, and returns a clear error otherwise. A nil shape skips the
// rank check; a non-negative dimension must match exactly where the model
// declares it fixed.
func (s Signature) Expect(inputs, outputs map[string][]int64) error {
	if err := expectIO("input", s.Inputs, inputs); err != nil {
		return err
	}
	return expectIO("output", s.Outputs, outputs)
}

func expectIO(kind string, have []IO, want map[string][]int64) error {
	for name, shape := range want {
		var got *IO
		for i := range have {
			if have[i].Name == name {
				got = &have[i]
			}
		}
		if got == nil {
			names := make([]string, len(have))
			for i, h := range have {
				names[i] = h.Name
			}
			return fmt.Errorf("onnx: model has no %s %q (it has %v)", kind, name, names)
		}
		if shape == nil {
			continue
		}
		if len(got.Shape) != len(shape) {
			return fmt.Errorf("onnx: %s %q has shape %v, want rank %d", kind, name, got.Shape, len(shape))
		}
		for i, d := range shape {
			if d >= 0 && got.Shape[i] >= 0 && got.Shape[i] != d {
				return fmt.Errorf("onnx: %s %q has shape %v, want %v", kind, name, got.Shape, shape)
			}
		}
	}
	return nil
}
