package cli

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
)

// benchProfiles starts the Go profiles asked for (CPU; block and mutex
// contention) and returns what writes and stops them.
func benchProfiles(cpu, block, mutex string) (stop func() error, err error) {
	var cf *os.File
	if cpu != "" {
		if cf, err = os.Create(cpu); err != nil {
			return nil, fmt.Errorf("bench cameras: %w", err)
		}
		if err = pprof.StartCPUProfile(cf); err != nil {
			cf.Close()
			return nil, fmt.Errorf("bench cameras: %w", err)
		}
	}
	if block != "" {
		runtime.SetBlockProfileRate(int(1e6)) // one sample per millisecond blocked
	}
	if mutex != "" {
		runtime.SetMutexProfileFraction(5)
	}
	return func() error {
		var first error
		if cf != nil {
			pprof.StopCPUProfile()
			first = cf.Close()
		}
		for _, p := range []struct{ name, file string }{{"block", block}, {"mutex", mutex}} {
			if p.file == "" {
				continue
			}
			f, err := os.Create(p.file)
			if err == nil {
				err = pprof.Lookup(p.name).WriteTo(f, 0)
				f.Close()
			}
			if err != nil && first == nil {
				first = fmt.Errorf("bench cameras: %w", err)
			}
		}
		return first
	}, nil
}
