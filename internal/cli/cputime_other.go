//go:build !unix

package cli

import "time"

// cpuTime is not measured on this system.
func cpuTime() (self, children time.Duration) { return 0, 0 }
