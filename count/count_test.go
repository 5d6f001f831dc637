package count

import (
	"strings"
	"testing"

	"github.com/mienhq/mien/face"
)

var vertical = Line{face.Point{X: 100, Y: 0}, face.Point{X: 100, Y: 200}} // top to bottom at x=100

func pt(x, y float32) face.Point { return face.Point{X: x, Y: y} }

func TestSideAndAlong(t *testing.T) {
	for _, tc := range []struct {
		l           Line
		p           face.Point
		side, along float32
	}{
		{vertical, pt(130, 50), 30, 0.25},
		{vertical, pt(70, 150), -30, 0.75},
		{vertical, pt(100, 300), 0, 1.5},
		{Line{pt(0, 100), pt(200, 100)}, pt(50, 60), 40, 0.25}, // left to right: "in" is upward on screen
		{Line{pt(0, 0), pt(100, 100)}, pt(100, 0), 70.71068, 0.5},
	} {
		if s, a := tc.l.Side(tc.p), tc.l.Along(tc.p); abs(s-tc.side) > 1e-3 || abs(a-tc.along) > 1e-4 {
			t.Errorf("%v %v: side %g along %g; want %g %g", tc.l, tc.p, s, a, tc.side, tc.along)
		}
	}
}

func abs(x float32) float32 { return max(x, -x) }

func TestStep(t *testing.T) {
	for _, tc := range []struct {
		name string
		path []face.Point
		want []Direction // one per point
	}{
		{"left to right is in", []face.Point{pt(50, 100), pt(90, 100), pt(110, 100), pt(150, 100)},
			[]Direction{None, None, None, In}},
		{"right to left is out", []face.Point{pt(150, 100), pt(50, 100)}, []Direction{None, Out}},
		{"jitter in the band counts nothing", []face.Point{pt(60, 10), pt(95, 10), pt(105, 10), pt(96, 10), pt(104, 10), pt(60, 10)},
			[]Direction{None, None, None, None, None, None}},
		{"in then back out", []face.Point{pt(50, 100), pt(150, 100), pt(50, 100)}, []Direction{None, In, Out}},
		{"born inside the band, then out of it: no crossing", []face.Point{pt(100, 100), pt(150, 100)},
			[]Direction{None, None}},
		{"round the end of the segment", []face.Point{pt(50, 250), pt(150, 260)}, []Direction{None, None}},
	} {
		var side int8
		for i, p := range tc.path {
			var d Direction
			side, d = Step(vertical, 20, side, p)
			if d != tc.want[i] {
				t.Errorf("%s: point %d %v: %s, want %s", tc.name, i, p, d, tc.want[i])
			}
		}
	}
}

func TestCounter(t *testing.T) {
	c, err := NewCounter(vertical, 10)
	if err != nil {
		t.Fatal(err)
	}
	// track 1 walks in, track 2 walks out, track 3 dithers on the line
	for x := float32(0); x <= 200; x += 8 {
		c.Observe(1, pt(x, 50))
		c.Observe(2, pt(200-x, 120))
		c.Observe(3, pt(100+(x/8-float32(int(x/16))*2)*4, 150))
	}
	if c.In != 1 || c.Out != 1 || c.Tracked() != 3 {
		t.Errorf("in %d out %d tracked %d; want 1 1 3", c.In, c.Out, c.Tracked())
	}
	c.Forget(1)
	if c.Tracked() != 2 {
		t.Errorf("Forget left %d tracks", c.Tracked())
	}
}

func TestParseLine(t *testing.T) {
	l, err := ParseLine("640,0, 640,720")
	if err != nil || l != (Line{pt(640, 0), pt(640, 720)}) {
		t.Errorf("ParseLine = %v, %v", l, err)
	}
	for _, bad := range []string{"", "1,2,3", "a,b,c,d", "1,2,1,2", "NaN,0,1,1", "1,2,3,4,5"} {
		if _, err := ParseLine(bad); err == nil || !strings.HasPrefix(err.Error(), "count: ") {
			t.Errorf("ParseLine(%q) = %v, want a count: error", bad, err)
		}
	}
	if _, err := NewCounter(vertical, -1); err == nil {
		t.Error("negative hysteresis accepted")
	}
}

func FuzzParseLine(f *testing.F) {
	for _, s := range []string{"640,0,640,720", "0,0,1,1", "1e3,-2,3.5,4", ",,,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseLine(s)
		if err == nil && l.Validate() != nil {
			t.Errorf("ParseLine(%q) returned an invalid line", s)
		}
	})
}
