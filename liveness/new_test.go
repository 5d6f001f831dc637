package liveness

import (
	"strings"
	"testing"

	"github.com/mienhq/mien/models"
)

// TestNewRefusesBadManifests: a manifest entry that cannot be fed as the
// authors do is refused before any model is loaded.
func TestNewRefusesBadManifests(t *testing.T) {
	good := models.Model{ID: "m", Arch: Arch, Inputs: []string{"input"}, Outputs: []string{"output"},
		Pre:    models.Pre{Width: 80, Height: 80, Layout: "NCHW", Channels: "BGR", Std: [3]float32{1, 1, 1}},
		Params: map[string]float64{"crop_scale": 2.7, "real_class": 1}}
	for _, c := range []struct {
		name string
		edit func(m *models.Model)
		want string
	}{
		{"arch", func(m *models.Model) { m.Arch = "yunet" }, `arch of m is "yunet"`},
		{"no crop scale", func(m *models.Model) { m.Params = map[string]float64{"real_class": 1} }, "crop_scale"},
		{"real class out of range", func(m *models.Model) { m.Params["real_class"] = 3 }, "real_class"},
		{"fractional real class", func(m *models.Model) { m.Params["real_class"] = 0.5 }, "real_class"},
		{"two inputs", func(m *models.Model) { m.Inputs = []string{"a", "b"} }, "1 input"},
		{"no size", func(m *models.Model) { m.Pre.Width = 0 }, "input size"},
		{"layout", func(m *models.Model) { m.Pre.Layout = "NHWC" }, "NHWC"},
		{"channels", func(m *models.Model) { m.Pre.Channels = "CMYK" }, "CMYK"},
	} {
		m := good
		m.Params = map[string]float64{"crop_scale": 2.7, "real_class": 1}
		c.edit(&m)
		if _, err := New(nil, m, Options{}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error naming %s", c.name, err, c.want)
		}
	}
	if _, err := NewEnsemble(nil, 0.5); err == nil {
		t.Error("an empty ensemble was made")
	}
	for _, thr := range []float32{0, 1, -0.1} {
		if _, err := NewEnsemble([]*Model{{}}, thr); err == nil {
			t.Errorf("threshold %g accepted", thr)
		}
	}
}
