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
// a line every 10% elsewhere (logs, CI). It is safe for concurrent use.
type progress struct {
	mu      sync.Mutex
	w       io.Writer
	now     func() time.Time
	label   string
	total   int
	done    int
	start   time.Time
	last    time.Time
	tty     bool
	lastPct int
}

// A rate (and so an ETA) is shown only once this much time has passed and
// this many items are done: the first items' rate says nothing (the first
// frame used to read "594177.1/s").
const (
	rateAfter      = time.Second
	rateAfterItems = 2
	redrawEvery    = 100 * time.Millisecond
)

// clearLine erases from the cursor to the end of the line, so a shorter
// frame leaves nothing of a longer one ("ETA 4s s").
const clearLine = "\x1b[K"

func newProgress(w io.Writer, label string, total int) *progress {
	tty := false
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	return newProgressAt(w, label, total, tty, time.Now)
}

// newProgressAt is newProgress with the terminal check and the clock given.
func newProgressAt(w io.Writer, label string, total int, tty bool, now func() time.Time) *progress {
	return &progress{w: w, now: now, label: label, total: total, start: now(), tty: tty, lastPct: -1}
}

// Add records n more items done.
func (p *progress) Add(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += n
	now := p.now()
	pct := 100 * p.done / max(p.total, 1)
	if p.tty {
		if now.Sub(p.last) < redrawEvery && p.done < p.total {
			return
		}
		p.last = now
		fmt.Fprintf(p.w, "\r%s%s", p.line(now), clearLine)
		return
	}
	if pct/10 != p.lastPct/10 || p.done == p.total {
		p.lastPct = pct
		fmt.Fprintln(p.w, p.line(now))
	}
}

func (p *progress) line(now time.Time) string {
	const width = 30
	filled := width * min(p.done, p.total) / max(p.total, 1)
	bar := strings.Repeat("#", filled) + strings.Repeat(".", width-filled)
	s := fmt.Sprintf("%s [%s] %d/%d", p.label, bar, p.done, p.total)
	el := now.Sub(p.start)
	if el < rateAfter || p.done < rateAfterItems {
		return s
	}
	rate := float64(p.done) / el.Seconds()
	s += fmt.Sprintf(" %.1f/s", rate)
	if left := p.total - p.done; left > 0 {
		eta := time.Duration(float64(left) / rate * float64(time.Second)).Round(time.Second)
		s += " ETA " + eta.String()
	} else {
		s += " in " + el.Round(100*time.Millisecond).String()
	}
	return s
}

// Finish ends the bar's line.
func (p *progress) Finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty {
		fmt.Fprintln(p.w)
	}
}
