//go:build linux

package cli

import (
	"time"

	"golang.org/x/sys/unix"
)

// threadCPU is the CPU time (user + system) of the calling OS thread; with
// the goroutine locked to its thread it measures one stage's own CPU,
// including an ONNX Runtime run on one intra-op thread (which runs on the
// caller's thread), whatever else the machine is doing.
func threadCPU() time.Duration {
	var ts unix.Timespec
	if unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts) != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}
