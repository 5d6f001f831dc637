package models

import (
	"strings"
	"testing"
)

func TestLivenessCalibration(t *testing.T) {
	std, err := BuiltinPack("standard")
	if err != nil {
		t.Fatal(err)
	}
	if std.Liveness == nil || len(std.Liveness.Models) != 2 || std.Liveness.Source == "" {
		t.Fatalf("the standard pack ships no liveness calibration: %+v", std.Liveness)
	}
	for _, c := range []struct {
		name string
		cal  LivenessCalibration
		want string
	}{
		{"threshold 0", LivenessCalibration{Models: []string{"minifasnet-v2"}, Threshold: 0}, "threshold in (0, 1)"},
		{"threshold 1", LivenessCalibration{Models: []string{"minifasnet-v2"}, Threshold: 1}, "threshold in (0, 1)"},
		{"no models", LivenessCalibration{Threshold: 0.5}, "needs models"},
		{"unknown model", LivenessCalibration{Models: []string{"nope"}, Threshold: 0.5}, `"nope"`},
		{"not anti-spoof", LivenessCalibration{Models: []string{"yunet-n"}, Threshold: 0.5}, `"yunet-n"`},
	} {
		m := std
		cal := c.cal
		m.Liveness = &cal
		if err := m.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error with %s", c.name, err, c.want)
		}
	}
	if err := std.Validate(); err != nil {
		t.Fatal(err)
	}
}
