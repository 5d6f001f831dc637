package driver

import "math"

// updatePose calibrates the neutral pose, then follows the head turned
// away and the gaze off the road.
func (m *Monitor) updatePose(s Sample, dt float64) {
	if !m.calibrated {
		m.calSpan += dt
		w := math.Max(dt, 1e-3)
		m.calYaw += w * float64(s.Yaw)
		m.calPitch += w * float64(s.Pitch)
		m.calGX += w * float64(s.GazeX)
		m.calGY += w * float64(s.GazeY)
		m.calW += w
		if m.calSpan >= m.o.Calibrate {
			m.o.Neutral = Sample{Yaw: float32(m.calYaw / m.calW), Pitch: float32(m.calPitch / m.calW),
				GazeX: float32(m.calGX / m.calW), GazeY: float32(m.calGY / m.calW)}
			m.calibrated = true
			m.emit(Event{T: s.T, Kind: Calibrated, Level: OK, Duration: m.calSpan})
		}
		return
	}
	nu := m.o.Neutral
	away := abs32(s.Yaw-nu.Yaw) > m.o.AwayYaw || abs32(s.Pitch-nu.Pitch) > m.o.AwayPitch
	m.hold(&m.away, away, s.T, m.o.AwayFor, HeadAway, float64(s.Yaw-nu.Yaw))
	off := abs32(s.GazeX-nu.GazeX) > m.o.GazeOff || abs32(s.GazeY-nu.GazeY) > m.o.GazeOff
	m.hold(&m.gaze, off && !away, s.T, m.o.GazeFor, GazeOff, float64(s.GazeX-nu.GazeX))
}

// hold follows a condition that alerts (at Warning) once it has held for
// d seconds.
func (m *Monitor) hold(sp *spell, cond bool, t, d float64, k Kind, v float64) {
	if !cond {
		*sp = spell{}
		return
	}
	if !sp.on {
		*sp = spell{on: true, since: t}
	}
	if t-sp.since >= d {
		if !sp.fired {
			sp.fired = true
			m.emit(Event{T: t, Kind: k, Level: Warning, Duration: t - sp.since, Value: v})
		}
		m.raise(k, Warning, t)
	}
}

func (m *Monitor) endSpell(sp *spell) { *sp = spell{} }

// faceGone ends the face's spells (a closure cut by losing the face is
// neither a blink nor a long closure unless it had already become one)
// and follows how long the face has been lost.
func (m *Monitor) faceGone(t float64) {
	m.eyes, m.mouth, m.away, m.gaze = spell{}, spell{}, spell{}, spell{}
	m.hold(&m.lost, true, t, m.o.FaceLostFor, FaceLost, 0)
}

// updateWindow slides the PERCLOS and blink window.
func (m *Monitor) updateWindow(s Sample, dt float64, closed bool) {
	if s.Face && dt > 0 {
		m.win = append(m.win, slot{t: s.T, dt: dt, closed: closed})
		m.span += dt
		if closed {
			m.closedSum += dt
		}
	}
	for len(m.win) > 0 && s.T-m.win[0].t >= m.o.Window {
		m.span -= m.win[0].dt
		if m.win[0].closed {
			m.closedSum -= m.win[0].dt
		}
		m.win = m.win[1:]
	}
	for len(m.blinks) > 0 && s.T-m.blinks[0].t >= m.o.Window {
		m.blinks = m.blinks[1:]
	}
	m.perclos = 0
	if m.span > 1e-9 {
		m.perclos = math.Max(0, m.closedSum/m.span)
	}
	judged := m.span >= m.o.MinSpan
	switch {
	case judged && !m.perclosOn && m.perclos >= m.o.PerclosAlert:
		m.perclosOn = true
		m.emit(Event{T: s.T, Kind: Drowsy, Level: Warning, Value: m.perclos, Duration: m.span})
	case m.perclosOn && (m.perclos < m.o.PerclosClear || !judged):
		m.perclosOn = false
	}
	if m.perclosOn {
		m.raise(Drowsy, Warning, s.T)
	}
}

// updateLevel sets the level to the highest cause still held, and reports
// a change.
func (m *Monitor) updateLevel(t float64) {
	l := OK
	for k, until := range m.until {
		if t <= until {
			l = max(l, m.causes[k])
		}
	}
	if l != m.level {
		m.level = l
		m.emit(Event{T: t, Kind: LevelChange, Level: l})
	}
}

// State returns the monitor's measures now.
func (m *Monitor) State() State {
	st := State{T: m.lastT, Level: m.level, Perclos: m.perclos, Judged: m.span >= m.o.MinSpan,
		EyesClosed: m.eyes.on, Calibrated: m.calibrated}
	if len(m.blinks) > 0 {
		var sum float64
		for _, b := range m.blinks {
			sum += b.dur
		}
		st.BlinkMean = sum / float64(len(m.blinks))
	}
	if m.span > 0 {
		st.BlinkRate = float64(len(m.blinks)) * 60 / math.Min(m.o.Window, math.Max(m.span, 1))
	}
	return st
}

// Timeline returns every point and event so far (for JSON).
func (m *Monitor) Timeline() Timeline {
	return Timeline{Points: m.points, Events: m.events, Final: m.State()}
}

func abs32(x float32) float32 { return float32(math.Abs(float64(x))) }
