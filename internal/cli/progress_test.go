package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// fakeClock is a clock the test moves.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time       { return c.t }
func (c *fakeClock) step(d time.Duration) { c.t = c.t.Add(d) }
func newFakeClock() *fakeClock            { return &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

// screen replays what a terminal shows of a line: \r returns to its start,
// ESC[K erases to its end, other characters overwrite.
func screen(out string) string {
	var line []rune
	col := 0
	for i := 0; i < len(out); {
		switch {
		case out[i] == '\r':
			col = 0
			i++
		case strings.HasPrefix(out[i:], clearLine):
			line = line[:col]
			i += len(clearLine)
		case out[i] == '\n':
			line, col = nil, 0
			i++
		default:
			if col < len(line) {
				line[col] = rune(out[i])
			} else {
				line = append(line, rune(out[i]))
			}
			col++
			i++
		}
	}
	return string(line)
}

func TestProgressTerminal(t *testing.T) {
	clk := newFakeClock()
	var buf bytes.Buffer
	p := newProgressAt(&buf, "indexing", 1000, true, clk.now)

	clk.step(2 * time.Microsecond)
	p.Add(1)
	if first := screen(buf.String()); strings.Contains(first, "/s") || strings.Contains(first, "ETA") {
		t.Errorf("first frame shows a rate from one item in 2µs: %q", first)
	}

	// Slow start: 10 items in 10 s, a long ETA.
	clk.step(time.Second - 2*time.Microsecond)
	for range 9 {
		clk.step(time.Second)
		p.Add(1)
	}
	long := screen(buf.String())
	if !strings.Contains(long, " 1.0/s ETA 16m30s") {
		t.Errorf("after 10 items in 10 s: %q", long)
	}
	// Then fast: the ETA gets shorter and the line with it.
	clk.step(time.Second)
	p.Add(985)
	short := screen(buf.String())
	want := "indexing [#############################.] 995/1000 90.5/s ETA 0s"
	if short != want {
		t.Errorf("shorter frame after a longer one shows %q, want %q (no leftover characters)", short, want)
	}
	clk.step(time.Second)
	p.Add(5)
	p.Finish()
	if got := buf.String(); !strings.HasSuffix(got, "1000/1000 83.3/s in 12s"+clearLine+"\n") {
		t.Errorf("last frame: %q", got[max(0, len(got)-80):])
	}
}

func TestProgressLog(t *testing.T) {
	clk := newFakeClock()
	var buf bytes.Buffer
	p := newProgressAt(&buf, "indexing", 20, false, clk.now)
	for range 20 {
		clk.step(100 * time.Millisecond)
		p.Add(1)
	}
	p.Finish()
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 10 { // 10%, 20%, ..., 100%
		t.Fatalf("%d lines, want 10: %q", len(lines), lines)
	}
	if strings.Contains(lines[0], "/s") || strings.Contains(buf.String(), "\x1b") || strings.Contains(buf.String(), "\r") {
		t.Errorf("log output: %q", buf.String())
	}
	if last := lines[len(lines)-1]; !strings.HasSuffix(last, "20/20 10.0/s in 2s") {
		t.Errorf("last line %q", last)
	}
}
