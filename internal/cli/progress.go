package cli

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// progress draws a progress bar with rate and ETA on a terminal, or prints
// a line every 10% elsewhere (logs, CI).
type progress struct {
	mu      sync.Mutex
	w       io.Writer
	label   string
	total   int
	done    int
	start   time.Time
	last    time.Time
	tty     bool
	lastPct int
}

func newProgress(w io.Writer, label string, total int) *progress {
	tty := false
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	return &progress{w: w, label: label, total: total, start: time.Now(), tty: tty, lastPct: -1}
}

// Add records n more items done.
func (p *progress) Add(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += n
	now := time.Now()
	pct := 100 * p.done / max(p.total, 1)
	if p.tty {
		if now.Sub(p.last) < 100*time.Millisecond && p.done < p.total {
			return
		}
		p.last = now
		fmt.Fprintf(p.w, "\r%s", p.line(now))
		return
	}
	if pct/10 != p.lastPct/10 || p.done == p.total {
		p.lastPct = pct
		fmt.Fprintln(p.w, p.line(now))
	}
}

func (p *progress) line(now time.Time) string {
	el := now.Sub(p.start).Seconds()
	rate := float64(p.done) / max(el, 1e-9)
	eta := "?"
	if rate > 0 {
		eta = (time.Duration(float64(p.total-p.done)/rate) * time.Second).Round(time.Second).String()
	}
	const width = 30
	filled := width * p.done / max(p.total, 1)
	bar := strings.Repeat("#", filled) + strings.Repeat(".", width-filled)
	return fmt.Sprintf("%s [%s] %d/%d %5.1f/s ETA %s ", p.label, bar, p.done, p.total, rate, eta)
}

// Finish ends the bar's line.
func (p *progress) Finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty {
		fmt.Fprintln(p.w)
	}
}
