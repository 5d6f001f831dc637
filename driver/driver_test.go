package driver

import (
	"encoding/json"
	"math"
	"math/rand"
	"testing"
)

const fps = 30.0

// seq builds a sample sequence of the given length from per-time functions;
// the base is an attentive driver with open eyes and a closed mouth.
type seq struct {
	secs  float64
	eye   func(t float64) float32 // nil: open (0.3)
	mouth func(t float64) float32
	yaw   func(t float64) float32
	gazeX func(t float64) float32
	face  func(t float64) bool
	noise float32 // uniform noise on every signal (seeded)
}

func (q seq) samples() []Sample {
	r := rand.New(rand.NewSource(1))
	n := func() float32 { return q.noise * (2*r.Float32() - 1) }
	var out []Sample
	for i := 0; float64(i)/fps < q.secs; i++ {
		t := float64(i) / fps
		s := Sample{T: t, Face: true, EyeOpen: [2]float32{0.3, 0.3}, MouthOpen: 0.05}
		if q.eye != nil {
			e := q.eye(t)
			s.EyeOpen = [2]float32{e, e}
		}
		if q.mouth != nil {
			s.MouthOpen = q.mouth(t)
		}
		if q.yaw != nil {
			s.Yaw = q.yaw(t)
		}
		if q.gazeX != nil {
			s.GazeX = q.gazeX(t)
		}
		if q.face != nil {
			s.Face = q.face(t)
		}
		s.EyeOpen[0] += n()
		s.EyeOpen[1] += n()
		s.MouthOpen += n()
		s.Yaw += 20 * n()
		s.Pitch += 20 * n()
		s.GazeX += n() / 2
		out = append(out, s)
	}
	return out
}

// closures returns an eye signal closed during [start, start+dur) spans.
func closures(spans ...[2]float64) func(float64) float32 {
	return func(t float64) float32 {
		for _, s := range spans {
			if t >= s[0] && t < s[0]+s[1] {
				return 0.05
			}
		}
		return 0.3
	}
}

// blinks returns ordinary blinking: 0.1-0.4 s closures every 2-6 s.
func blinks(secs float64, seed int64) [][2]float64 {
	r := rand.New(rand.NewSource(seed))
	var out [][2]float64
	for t := 3.0; t < secs; t += 2 + 4*r.Float64() {
		out = append(out, [2]float64{t, 0.1 + 0.3*r.Float64()})
	}
	return out
}

func run(t *testing.T, q seq, o Options) (*Monitor, map[Kind]int, Level) {
	t.Helper()
	m, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	count := map[Kind]int{}
	top := OK
	for _, s := range q.samples() {
		evs, err := m.Update(s)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			count[e.Kind]++
			if e.Kind != LevelChange && e.Kind != Blink && e.Kind != Calibrated && e.Kind != ClosureEnd {
				top = max(top, e.Level)
			}
		}
	}
	return m, count, top
}

func alerts(c map[Kind]int) int {
	return c[LongClosure] + c[Yawn] + c[Drowsy] + c[HeadAway] + c[GazeOff] + c[FaceLost]
}

func TestSequences(t *testing.T) {
	bl := blinks(600, 7)
	talk := func(t float64) float32 { return float32(0.2 + 0.2*math.Sin(2*math.Pi*4*t)) } // peaks 0.4 < YawnOpen
	cases := []struct {
		name  string
		q     seq
		want  map[Kind]int // exact counts of these kinds
		level Level        // highest alert level raised
	}{
		{"ten minutes of ordinary blinks", seq{secs: 600, eye: closures(bl...), noise: 0.02}, map[Kind]int{Blink: len(bl), LongClosure: 0, Drowsy: 0}, OK},
		{"closure of 0.9 s is a blink", seq{secs: 10, eye: closures([2]float64{4, 0.9})}, map[Kind]int{Blink: 1, LongClosure: 0}, OK},
		{"closures of 1, 1.5 and 3 s", seq{secs: 30, eye: closures([2]float64{4, 1.0}, [2]float64{10, 1.5}, [2]float64{20, 3}), noise: 0.02}, map[Kind]int{LongClosure: 3, ClosureEnd: 3, Blink: 0}, Alarm},
		{"two yawns", seq{secs: 30, mouth: closuresMouth([2]float64{5, 3}, [2]float64{18, 5}), noise: 0.03}, map[Kind]int{Yawn: 2}, Caution},
		{"talking is not yawning", seq{secs: 60, mouth: talk, noise: 0.02}, map[Kind]int{Yawn: 0}, OK},
		{"head turned 45 degrees for 3 s", seq{secs: 20, yaw: step(8, 3, 45)}, map[Kind]int{HeadAway: 1}, Warning},
		{"mirror check of 1 s", seq{secs: 20, yaw: step(8, 1, 45)}, map[Kind]int{HeadAway: 0}, OK},
		{"gaze off for 3 s", seq{secs: 20, gazeX: step(8, 3, 0.35)}, map[Kind]int{GazeOff: 1, HeadAway: 0}, Warning},
		{"face lost for 3 s", seq{secs: 20, face: gap(8, 3)}, map[Kind]int{FaceLost: 1}, Warning},
		{"face lost for 0.5 s", seq{secs: 20, face: gap(8, 0.5)}, map[Kind]int{FaceLost: 0}, OK},
		{"heavy eyes: PERCLOS 25%", seq{secs: 90, eye: periodic(2, 0.5)}, map[Kind]int{Drowsy: 1, LongClosure: 0}, Warning},
		{"signal flickering between the thresholds", seq{secs: 30, eye: func(t float64) float32 { return 0.175 }, noise: 0.02}, map[Kind]int{Blink: 0, LongClosure: 0}, OK},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, got, top := run(t, c.q, Options{})
			for k, n := range c.want {
				if got[k] != n {
					t.Errorf("%s: %d events, want %d (all: %v)", k, got[k], n, got)
				}
			}
			if top != c.level {
				t.Errorf("highest alert level %v, want %v (events %v)", top, c.level, got)
			}
		})
	}
}

// closuresMouth is a mouth held open (0.6) during the spans.
func closuresMouth(spans ...[2]float64) func(float64) float32 {
	e := closures(spans...)
	return func(t float64) float32 {
		if e(t) < 0.1 {
			return 0.6
		}
		return 0.05
	}
}

func step(at, dur float64, v float32) func(float64) float32 {
	return func(t float64) float32 {
		if t >= at && t < at+dur {
			return v
		}
		return 0
	}
}

func gap(at, dur float64) func(float64) bool {
	return func(t float64) bool { return t < at || t >= at+dur }
}

func periodic(every, closed float64) func(float64) float32 {
	return func(t float64) float32 {
		if t > 3 && math.Mod(t, every) < closed {
			return 0.05
		}
		return 0.3
	}
}

func TestLevelFallsAfterHold(t *testing.T) {
	m, _, _ := run(t, seq{secs: 12, eye: closures([2]float64{4, 1.5})}, Options{Hold: 3})
	at := func(ts float64) Level {
		for _, p := range m.Timeline().Points {
			if p.T >= ts {
				return p.Level
			}
		}
		return -1
	}
	if at(5.2) != Alarm || at(7.0) != Alarm || at(8.8) != OK {
		t.Fatalf("levels at 5.2, 7.0, 8.8 s: %v %v %v; want alarm, alarm (held 3 s after reopening at 5.5 s), ok", at(5.2), at(7.0), at(8.8))
	}
}

func TestBlinkStats(t *testing.T) {
	m, _, _ := run(t, seq{secs: 60, eye: periodic(3, 0.2)}, Options{})
	st := m.State()
	if math.Abs(st.BlinkRate-20) > 2 || math.Abs(st.BlinkMean-0.2) > 0.05 {
		t.Fatalf("blink every 3 s for 0.2 s: rate %.1f/min, mean %.3f s", st.BlinkRate, st.BlinkMean)
	}
	if st.Perclos < 0.05 || st.Perclos > 0.09 || !st.Judged {
		t.Fatalf("PERCLOS %.3f (judged %v), want about 0.067", st.Perclos, st.Judged)
	}
}

func TestRefusesBadInput(t *testing.T) {
	m, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Update(Sample{T: 1, Face: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Update(Sample{T: 1, Face: true}); err == nil {
		t.Fatal("a sample at the same time was accepted")
	}
	if _, err := m.Update(Sample{T: math.NaN()}); err == nil {
		t.Fatal("a NaN time was accepted")
	}
	if len(m.Timeline().Points) != 1 {
		t.Fatal("a refused sample changed the timeline")
	}
	for _, o := range []Options{{EyeClosedBelow: 0.3, EyeOpenAbove: 0.2}, {YawnOpen: 0.2, YawnClose: 0.3}, {Window: 10, MinSpan: 20}, {LongClosure: -1}} {
		if _, err := New(o); err == nil {
			t.Errorf("options %+v accepted", o)
		}
	}
}

func TestTimelineJSON(t *testing.T) {
	m, _, _ := run(t, seq{secs: 8, eye: closures([2]float64{3, 2})}, Options{})
	b, err := json.Marshal(m.Timeline())
	if err != nil {
		t.Fatal(err)
	}
	var back Timeline
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Points) != len(m.Timeline().Points) || len(back.Events) == 0 || back.Final.Level != m.State().Level {
		t.Fatalf("timeline did not round-trip: %d points, %d events", len(back.Points), len(back.Events))
	}
	var found bool
	for _, e := range back.Events {
		found = found || (e.Kind == LongClosure && e.Level == Alarm)
	}
	if !found {
		t.Fatalf("no long_closure alarm in %s", b[:min(len(b), 300)])
	}
	var l Level
	if err := json.Unmarshal([]byte(`"sleepy"`), &l); err == nil {
		t.Fatal("unknown level name accepted")
	}
}

// TestAlertFreeHour is an hour of an attentive driver (blinks of 0.1-0.4 s
// every 2-6 s, talking, 1 s mirror checks every 40 s, 0.5 s face dropouts
// every 90 s, signal noise): the false alert rate per hour, reported in
// docs/benchmarks.md, must be zero.
func TestAlertFreeHour(t *testing.T) {
	const secs = 3600
	bl := blinks(secs, 11)
	q := seq{
		secs:  secs,
		eye:   closures(bl...),
		mouth: func(t float64) float32 { return float32(0.15 + 0.15*math.Sin(2*math.Pi*3*t)) },
		yaw: func(t float64) float32 {
			if math.Mod(t, 40) > 20 && math.Mod(t, 40) < 21 {
				return 50
			}
			return 0
		},
		face:  func(t float64) bool { return math.Mod(t, 90) < 89.5 },
		noise: 0.03,
	}
	_, c, _ := run(t, q, Options{})
	t.Logf("alert-free hour: %d blinks, %d alerts (%v)", c[Blink], alerts(c), c)
	if alerts(c) != 0 {
		t.Fatalf("%d false alerts in an alert-free hour: %v", alerts(c), c)
	}
}
