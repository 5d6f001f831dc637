// Package driver turns per-frame face signals (eye openness, mouth opening,
// head pose, gaze, face present) into driver-monitoring measures and alerts:
// PERCLOS over a sliding window, blink rate and duration, long eye closures,
// yawns, head turned away or gaze off the road for too long, and face lost.
// Alert levels rise at once and fall only after a quiet spell (hysteresis),
// so an ordinary blink is never an alarm. Pure Go, values in and values out:
// it sees numbers, never images, and nothing here involves identity.
package driver

import (
	"encoding/json"
	"fmt"
)

// Sample is one frame's signals (the mesh stage's Signals and Pose).
type Sample struct {
	// T is the frame time in seconds; samples must come in increasing time.
	T float64 `json:"t"`
	// Face says a face was found in the frame; the other fields are
	// ignored when it is false.
	Face bool `json:"face"`
	// EyeOpen is the eye aspect ratio of both eyes (mesh.Signals.EyeOpen);
	// the monitor uses the wider-open one, so a wink is not a closure.
	EyeOpen [2]float32 `json:"eye_open"`
	// MouthOpen is the inner-lip gap over the mouth width.
	MouthOpen float32 `json:"mouth_open"`
	// Yaw and Pitch are the head pose in degrees.
	Yaw   float32 `json:"yaw"`
	Pitch float32 `json:"pitch"`
	// GazeX and GazeY are the iris offset in eye widths (mesh.Signals.Gaze).
	GazeX float32 `json:"gaze_x"`
	GazeY float32 `json:"gaze_y"`
}

// Level is an alert level.
type Level int

// Alert levels, in increasing order.
const (
	OK Level = iota
	Caution
	Warning
	Alarm
)

var levelNames = [...]string{"ok", "caution", "warning", "alarm"}

func (l Level) String() string {
	if l < 0 || int(l) >= len(levelNames) {
		return fmt.Sprintf("level(%d)", int(l))
	}
	return levelNames[l]
}

// MarshalJSON writes the level's name.
func (l Level) MarshalJSON() ([]byte, error) { return json.Marshal(l.String()) }

// UnmarshalJSON reads a level's name.
func (l *Level) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("driver: level: %w", err)
	}
	for i, n := range levelNames {
		if n == s {
			*l = Level(i)
			return nil
		}
	}
	return fmt.Errorf("driver: unknown level %q", s)
}

// Kind names an event.
type Kind string

// Event kinds. Blinks are informational (level ok); the others are alerts.
const (
	Blink       Kind = "blink"
	LongClosure Kind = "long_closure"
	ClosureEnd  Kind = "closure_end" // a long closure ended; Duration is its full length
	Yawn        Kind = "yawn"
	Drowsy      Kind = "drowsy" // PERCLOS over its threshold
	HeadAway    Kind = "head_away"
	GazeOff     Kind = "gaze_off"
	FaceLost    Kind = "face_lost"
	LevelChange Kind = "level"
	Calibrated  Kind = "calibrated"
)

// Event is something that happened at time T.
type Event struct {
	T    float64 `json:"t"`
	Kind Kind    `json:"kind"`
	// Level is the event's own level (for LevelChange: the new level).
	Level Level `json:"level"`
	// Duration is how long the condition had lasted, in seconds.
	Duration float64 `json:"duration,omitempty"`
	// Value is the measure behind the event (PERCLOS, mouth opening, yaw...).
	Value float64 `json:"value,omitempty"`
}

// Options tune the monitor. Zero fields take the defaults in parentheses.
type Options struct {
	// EyeClosedBelow and EyeOpenAbove are the eye-openness hysteresis
	// thresholds (0.15 and 0.20).
	EyeClosedBelow, EyeOpenAbove float32
	// LongClosure is the closure that is an alarm, in seconds (1).
	LongClosure float64
	// Window is the PERCLOS and blink-rate window in seconds (60).
	Window float64
	// PerclosAlert and PerclosClear are the PERCLOS hysteresis (0.15, 0.10);
	// PERCLOS is judged only once MinSpan seconds of face are in the window (20).
	PerclosAlert, PerclosClear, MinSpan float64
	// YawnOpen and YawnClose are the mouth-opening hysteresis (0.45, 0.30);
	// a yawn is a mouth held open at least YawnFor seconds (1.5).
	YawnOpen, YawnClose float32
	YawnFor             float64
	// AwayYaw and AwayPitch (degrees, 30 and 20) from the neutral pose, held
	// AwayFor seconds (2), are a head turned away.
	AwayYaw, AwayPitch float32
	AwayFor            float64
	// GazeOff (eye widths, 0.2) from the neutral gaze held GazeFor seconds (2).
	GazeOff float32
	GazeFor float64
	// FaceLostFor is how long without a face is an alert (2).
	FaceLostFor float64
	// Hold is how long a level stays after its cause ends (3).
	Hold float64
	// Calibrate is how many seconds of face at the start set the neutral
	// pose and gaze (2); negative uses Neutral as given.
	Calibrate float64
	// Neutral is the driver's straight-ahead pose and gaze.
	Neutral Sample
	// MaxGap caps the time one sample stands for, in seconds (0.5).
	MaxGap float64
}

func (o Options) withDefaults() Options {
	def := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	def32 := func(v *float32, d float32) {
		if *v == 0 {
			*v = d
		}
	}
	def32(&o.EyeClosedBelow, 0.15)
	def32(&o.EyeOpenAbove, 0.20)
	def(&o.LongClosure, 1)
	def(&o.Window, 60)
	def(&o.PerclosAlert, 0.15)
	def(&o.PerclosClear, 0.10)
	def(&o.MinSpan, 20)
	def32(&o.YawnOpen, 0.45)
	def32(&o.YawnClose, 0.30)
	def(&o.YawnFor, 1.5)
	def32(&o.AwayYaw, 30)
	def32(&o.AwayPitch, 20)
	def(&o.AwayFor, 2)
	def32(&o.GazeOff, 0.2)
	def(&o.GazeFor, 2)
	def(&o.FaceLostFor, 2)
	def(&o.Hold, 3)
	def(&o.Calibrate, 2)
	def(&o.MaxGap, 0.5)
	return o
}

// Validate reports options that cannot work.
func (o Options) Validate() error {
	o = o.withDefaults()
	switch {
	case o.EyeClosedBelow > o.EyeOpenAbove:
		return fmt.Errorf("driver: eye closed threshold %g is above the open threshold %g", o.EyeClosedBelow, o.EyeOpenAbove)
	case o.YawnClose > o.YawnOpen:
		return fmt.Errorf("driver: yawn close threshold %g is above the open threshold %g", o.YawnClose, o.YawnOpen)
	case o.PerclosClear > o.PerclosAlert:
		return fmt.Errorf("driver: PERCLOS clear level %g is above the alert level %g", o.PerclosClear, o.PerclosAlert)
	case o.Window <= 0 || o.MinSpan > o.Window:
		return fmt.Errorf("driver: PERCLOS window %g s must be positive and hold MinSpan %g s", o.Window, o.MinSpan)
	case o.LongClosure <= 0 || o.YawnFor <= 0 || o.AwayFor <= 0 || o.GazeFor <= 0 || o.FaceLostFor <= 0 || o.Hold < 0:
		return fmt.Errorf("driver: durations must be positive")
	}
	return nil
}
