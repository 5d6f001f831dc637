// Package count counts tracks crossing a line, from their centroids alone:
// no face data is needed or kept. The functions are pure; Counter adds the
// per-track memory of which side each track was last seen on.
package count

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/mienhq/mien/face"
)

// Line is a counting segment from A to B in frame pixels. "In" is a
// crossing from the right-hand side of A->B to its left-hand side as seen on
// screen (y down): for a line drawn top to bottom, left to right.
type Line struct{ A, B face.Point }

// ParseLine reads "x1,y1,x2,y2".
func ParseLine(s string) (Line, error) {
	parts := strings.Split(s, ",")
	if len(parts) != 4 {
		return Line{}, fmt.Errorf("count: line %q is not x1,y1,x2,y2", s)
	}
	var v [4]float32
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 32)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return Line{}, fmt.Errorf("count: line %q: %q is not a number", s, p)
		}
		v[i] = float32(f)
	}
	l := Line{face.Point{X: v[0], Y: v[1]}, face.Point{X: v[2], Y: v[3]}}
	return l, l.Validate()
}

// Validate refuses a line of zero length.
func (l Line) Validate() error {
	if l.A.Dist(l.B) < 1 {
		return errors.New("count: the line's two ends are the same point")
	}
	return nil
}

// Side is p's signed distance from the line through A and B, in pixels:
// positive on the "in" side.
func (l Line) Side(p face.Point) float32 {
	d := l.B.Sub(l.A)
	q := p.Sub(l.A)
	return -(d.X*q.Y - d.Y*q.X) / l.A.Dist(l.B)
}

// Along is where p projects onto the segment: 0 at A, 1 at B.
func (l Line) Along(p face.Point) float32 {
	d := l.B.Sub(l.A)
	q := p.Sub(l.A)
	return (d.X*q.X + d.Y*q.Y) / (d.X*d.X + d.Y*d.Y)
}

// Direction of a crossing.
type Direction int8

// Directions.
const (
	None Direction = 0
	In   Direction = 1
	Out  Direction = -1
)

func (d Direction) String() string {
	switch d {
	case In:
		return "in"
	case Out:
		return "out"
	}
	return "none"
}

// Step is the pure transition: given the side a track was last committed to
// (-1, +1, or 0 for not yet known) and its new centroid, it returns the new
// committed side and the crossing, if any. A side is committed only beyond
// the hysteresis band of half-width h around the line, so jitter on the
// line counts nothing; a crossing counts only within the segment's extent.
func Step(l Line, h float32, prev int8, p face.Point) (int8, Direction) {
	s := l.Side(p)
	var now int8
	switch {
	case s > h:
		now = 1
	case s < -h:
		now = -1
	default:
		return prev, None // inside the band: keep the last side
	}
	if prev == 0 || prev == now {
		return now, None
	}
	if t := l.Along(p); t < 0 || t > 1 {
		return now, None // went round the end of the segment
	}
	if now > 0 {
		return now, In
	}
	return now, Out
}

// Counter keeps, per track id, the side it was last committed to, and the
// totals. It is not safe for concurrent use.
type Counter struct {
	Line       Line
	Hysteresis float32 // half-width of the band around the line, pixels
	In, Out    int
	side       map[uint64]int8
}

// NewCounter validates the line.
func NewCounter(l Line, hysteresis float32) (*Counter, error) {
	if err := l.Validate(); err != nil {
		return nil, err
	}
	if hysteresis < 0 {
		return nil, fmt.Errorf("count: hysteresis %g is negative", hysteresis)
	}
	return &Counter{Line: l, Hysteresis: hysteresis, side: map[uint64]int8{}}, nil
}

// Observe records track id at centroid p and returns the crossing, if any.
func (c *Counter) Observe(id uint64, p face.Point) Direction {
	next, dir := Step(c.Line, c.Hysteresis, c.side[id], p)
	c.side[id] = next
	switch dir {
	case In:
		c.In++
	case Out:
		c.Out++
	}
	return dir
}

// Forget drops an ended track's memory.
func (c *Counter) Forget(id uint64) { delete(c.side, id) }

// Tracked is how many tracks the counter remembers.
func (c *Counter) Tracked() int { return len(c.side) }
