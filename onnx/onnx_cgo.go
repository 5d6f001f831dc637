//go:build cgo

package onnx

import (
	"fmt"
	"os"
	"sync"

	ort "github.com/yalue/onnxruntime_go"
)

var (
	initMu   sync.Mutex
	initPath string
)

// telemetryOff is the variable ONNX Runtime reads when its environment is
// created; "1" turns its telemetry off before any of it starts.
const telemetryOff = "ORT_DISABLE_TELEMETRY"

// Init loads the ONNX Runtime shared library. It is safe to call more than
// once with the same path; a different path after a successful load is an error.
//
// Init turns ONNX Runtime's telemetry off before the runtime's environment
// is created (it sets ORT_DISABLE_TELEMETRY=1 in the process environment,
// the only switch read early enough). Since 1.30 the Linux runtime otherwise
// starts a telemetry system inside CreateOrtEnv: it reads /etc/machine-id
// and /proc/self/cmdline, keeps a device id and an event database under
// ~/.cache/Microsoft, and matches the whole command line with a recursive
// std::regex, one stack frame per character. A command line over about
// 30,000 bytes (mien embed with 600 photo paths) overflowed the 8 MiB stack
// of the thread cgo calls on: SIGSEGV in CreateOrtEnv. mien sends nothing
// anywhere, so the telemetry is off whatever the size.
func Init(opts RuntimeOptions) error {
	initMu.Lock()
	defer initMu.Unlock()
	if opts.LibraryPath == "" {
		return fmt.Errorf("%w: no library path given", ErrUnavailable)
	}
	if ort.IsInitialized() {
		if initPath != opts.LibraryPath {
			return fmt.Errorf("onnx: runtime already loaded from %s", initPath)
		}
		return nil
	}
	if err := os.Setenv(telemetryOff, "1"); err != nil {
		return fmt.Errorf("onnx: turning telemetry off: %w", err)
	}
	ort.SetSharedLibraryPath(opts.LibraryPath)
	if err := ort.InitializeEnvironment(ort.WithLogLevelError()); err != nil {
		return fmt.Errorf("%w: loading %s: %v", ErrUnavailable, opts.LibraryPath, err)
	}
	if err := ort.DisableTelemetry(); err != nil {
		ort.DestroyEnvironment()
		return fmt.Errorf("onnx: turning telemetry off: %w", err)
	}
	initPath = opts.LibraryPath
	return nil
}

// Version returns the loaded runtime's version string.
func Version() string { return ort.GetVersion() }

// Inspect returns the declared signature of a model.
func Inspect(model []byte) (Signature, error) {
	if !ort.IsInitialized() {
		return Signature{}, fmt.Errorf("%w: Init was not called", ErrUnavailable)
	}
	in, out, err := ort.GetInputOutputInfoWithONNXData(model)
	if err != nil {
		return Signature{}, fmt.Errorf("onnx: reading model signature: %w", err)
	}
	return Signature{Inputs: toIO(in), Outputs: toIO(out)}, nil
}

func toIO(infos []ort.InputOutputInfo) []IO {
	out := make([]IO, len(infos))
	for i, info := range infos {
		out[i] = IO{Name: info.Name, Shape: append([]int64(nil), info.Dimensions...)}
	}
	return out
}

// Session runs one model. A Session is not safe for concurrent use: callers
// pool sessions (see Pool).
type Session struct {
	s       *ort.DynamicAdvancedSession
	inputs  []string
	outputs []string
}

// NewSession opens a model from its bytes, with the named inputs and outputs
// in the order Run takes and returns them.
func NewSession(model []byte, inputs, outputs []string, opts SessionOptions) (*Session, error) {
	if !ort.IsInitialized() {
		return nil, fmt.Errorf("%w: Init was not called", ErrUnavailable)
	}
	so, err := ort.NewSessionOptions()
	if err != nil {
		return nil, fmt.Errorf("onnx: session options: %w", err)
	}
	defer so.Destroy()
	threads := max(opts.IntraOpThreads, 1)
	if err := so.SetIntraOpNumThreads(threads); err != nil {
		return nil, fmt.Errorf("onnx: intra-op threads: %w", err)
	}
	if err := so.SetInterOpNumThreads(1); err != nil {
		return nil, fmt.Errorf("onnx: inter-op threads: %w", err)
	}
	// Weights of some models hold denormal floats, which run many times
	// slower on x86 unless flushed to zero.
	if err := so.AddSessionConfigEntry("session.set_denormal_as_zero", "1"); err != nil {
		return nil, fmt.Errorf("onnx: session config: %w", err)
	}
	s, err := ort.NewDynamicAdvancedSessionWithONNXData(model, inputs, outputs, so)
	if err != nil {
		return nil, fmt.Errorf("onnx: opening model: %w", err)
	}
	return &Session{s: s, inputs: inputs, outputs: outputs}, nil
}

// Run feeds one tensor per input and returns one tensor per output.
func (s *Session) Run(inputs ...Tensor) ([]Tensor, error) {
	if len(inputs) != len(s.inputs) {
		return nil, fmt.Errorf("onnx: %d inputs given, model session takes %d", len(inputs), len(s.inputs))
	}
	in := make([]ort.Value, len(inputs))
	for i, t := range inputs {
		v, err := ort.NewTensor(ort.Shape(t.Shape), t.Data)
		if err != nil {
			destroyAll(in[:i])
			return nil, fmt.Errorf("onnx: input %q: %w", s.inputs[i], err)
		}
		in[i] = v
	}
	defer destroyAll(in)
	out := make([]ort.Value, len(s.outputs))
	if err := withFTZ(func() error { return s.s.Run(in, out) }); err != nil {
		destroyAll(out)
		return nil, fmt.Errorf("onnx: run: %w", err)
	}
	defer destroyAll(out)
	res := make([]Tensor, len(out))
	for i, v := range out {
		t, ok := v.(*ort.Tensor[float32])
		if !ok {
			return nil, fmt.Errorf("onnx: output %q is not a float32 tensor", s.outputs[i])
		}
		res[i] = Tensor{Shape: append([]int64(nil), t.GetShape()...), Data: append([]float32(nil), t.GetData()...)}
	}
	return res, nil
}

// Close releases the session.
func (s *Session) Close() error {
	if s == nil || s.s == nil {
		return nil
	}
	err := s.s.Destroy()
	s.s = nil
	return err
}

func destroyAll(vs []ort.Value) {
	for _, v := range vs {
		if v != nil {
			v.Destroy()
		}
	}
}
