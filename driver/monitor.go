package driver

import (
	"fmt"
	"math"
)

// Point is one sample of the timeline.
type Point struct {
	T         float64 `json:"t"`
	Level     Level   `json:"level"`
	Face      bool    `json:"face"`
	EyeOpen   float32 `json:"eye_open"`
	Closed    bool    `json:"closed"`
	MouthOpen float32 `json:"mouth_open"`
	Yaw       float32 `json:"yaw"`
	Pitch     float32 `json:"pitch"`
	Perclos   float64 `json:"perclos"`
}

// State is the monitor's view now.
type State struct {
	T     float64 `json:"t"`
	Level Level   `json:"level"`
	// Perclos is the fraction of face time with the eyes closed over the
	// window; Judged says the window held enough face time to alert on it.
	Perclos float64 `json:"perclos"`
	Judged  bool    `json:"judged"`
	// BlinkRate is blinks per minute over the window; BlinkMean their mean
	// duration in seconds.
	BlinkRate  float64 `json:"blink_rate"`
	BlinkMean  float64 `json:"blink_mean"`
	EyesClosed bool    `json:"eyes_closed"`
	Calibrated bool    `json:"calibrated"`
}

// Timeline is the whole record: every sample's point and every event.
type Timeline struct {
	Points []Point `json:"points"`
	Events []Event `json:"events"`
	Final  State   `json:"final"`
}

type slot struct {
	t, dt  float64
	closed bool
}

type blink struct{ t, dur float64 }

// spell follows a condition that must hold for some time to count.
type spell struct {
	on    bool
	since float64
	fired bool
}

// Monitor turns samples into state and events. It is not safe for
// concurrent use; use one per driver.
type Monitor struct {
	o       Options
	lastT   float64
	started bool

	eyes, mouth, away, gaze, lost spell
	mouthPeak                     float32

	win             []slot
	closedSum, span float64
	blinks          []blink
	perclos         float64
	perclosOn       bool

	calSpan, calW, calYaw, calPitch, calGX, calGY float64
	calibrated                                    bool

	until  map[Kind]float64 // each cause's level holds until this time
	causes map[Kind]Level
	level  Level

	points []Point
	events []Event
}

// New returns a monitor.
func New(o Options) (*Monitor, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	o = o.withDefaults()
	m := &Monitor{o: o, until: map[Kind]float64{}, causes: map[Kind]Level{}}
	if o.Calibrate < 0 {
		m.calibrated = true
	}
	return m, nil
}

// Update feeds one sample and returns the events it raised (the slice is
// valid until the next call). Samples out of time order are refused.
func (m *Monitor) Update(s Sample) ([]Event, error) {
	if m.started && !(s.T > m.lastT) {
		return nil, fmt.Errorf("driver: sample at %g s is not after the previous one at %g s", s.T, m.lastT)
	}
	if math.IsNaN(s.T) || math.IsInf(s.T, 0) {
		return nil, fmt.Errorf("driver: sample time %g is not a number", s.T)
	}
	dt := 0.0
	if m.started {
		dt = math.Min(s.T-m.lastT, m.o.MaxGap)
	}
	m.started, m.lastT = true, s.T
	n := len(m.events)
	closed := false
	if s.Face {
		m.endSpell(&m.lost)
		closed = m.updateEyes(s)
		m.updateMouth(s)
		m.updatePose(s, dt)
	} else {
		m.faceGone(s.T)
	}
	m.updateWindow(s, dt, closed)
	m.updateLevel(s.T)
	m.points = append(m.points, Point{T: s.T, Level: m.level, Face: s.Face, EyeOpen: max(s.EyeOpen[0], s.EyeOpen[1]),
		Closed: closed, MouthOpen: s.MouthOpen, Yaw: s.Yaw, Pitch: s.Pitch, Perclos: m.perclos})
	return m.events[n:], nil
}

func (m *Monitor) emit(e Event) { m.events = append(m.events, e) }

// raise keeps cause k at level l until Hold seconds after now.
func (m *Monitor) raise(k Kind, l Level, t float64) {
	m.causes[k] = l
	m.until[k] = t + m.o.Hold
}

// updateEyes follows closures; it returns whether the eyes are closed now.
func (m *Monitor) updateEyes(s Sample) bool {
	open := max(s.EyeOpen[0], s.EyeOpen[1])
	e := &m.eyes
	switch {
	case !e.on && open < m.o.EyeClosedBelow:
		*e = spell{on: true, since: s.T}
	case e.on && open > m.o.EyeOpenAbove:
		dur := s.T - e.since
		if !e.fired && dur >= m.o.LongClosure { // reached the limit between two frames
			m.emit(Event{T: s.T, Kind: LongClosure, Level: Alarm, Duration: dur})
			m.raise(LongClosure, Alarm, s.T)
			e.fired = true
		}
		if e.fired {
			m.emit(Event{T: s.T, Kind: ClosureEnd, Level: OK, Duration: dur})
		} else {
			m.emit(Event{T: s.T, Kind: Blink, Level: OK, Duration: dur})
			m.blinks = append(m.blinks, blink{t: s.T, dur: dur})
		}
		*e = spell{}
	}
	if e.on && s.T-e.since >= m.o.LongClosure {
		if !e.fired {
			e.fired = true
			m.emit(Event{T: s.T, Kind: LongClosure, Level: Alarm, Duration: s.T - e.since})
		}
		m.raise(LongClosure, Alarm, s.T)
	}
	return e.on
}

// updateMouth finds yawns: the mouth held wide open for YawnFor seconds.
func (m *Monitor) updateMouth(s Sample) {
	y := &m.mouth
	switch {
	case !y.on && s.MouthOpen > m.o.YawnOpen:
		*y = spell{on: true, since: s.T}
		m.mouthPeak = s.MouthOpen
	case y.on && s.MouthOpen < m.o.YawnClose:
		*y = spell{}
	}
	if !y.on {
		return
	}
	m.mouthPeak = max(m.mouthPeak, s.MouthOpen)
	if s.T-y.since >= m.o.YawnFor {
		if !y.fired {
			y.fired = true
			m.emit(Event{T: s.T, Kind: Yawn, Level: Caution, Duration: s.T - y.since, Value: float64(m.mouthPeak)})
		}
		m.raise(Yawn, Caution, s.T)
	}
}
