package mesh

import (
	"context"
	"strings"
	"testing"

	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/models"
)

func TestNewRefusesWrongArch(t *testing.T) {
	_, err := New(nil, models.Model{ID: "x", Arch: "yunet"}, nil, models.Model{}, Options{})
	if err == nil || !strings.Contains(err.Error(), `want "facemesh"`) {
		t.Fatalf("mesh model of arch yunet: %v", err)
	}
	_, err = New(nil, models.Model{ID: "x", Arch: ArchMesh, Inputs: []string{"a"}, Outputs: []string{"b"}}, nil, models.Model{}, Options{})
	if err == nil || !strings.Contains(err.Error(), "must name 1 input, 2 outputs") {
		t.Fatalf("manifest with one output: %v", err)
	}
}

func TestLocateRefusesBadInput(t *testing.T) {
	m := &Model{meshN: 192} // no sessions: every check below must fail before running a model
	img := face.NewImage(64, 48)
	for _, c := range []struct {
		img *face.Image
		roi ROI
	}{
		{&face.Image{W: 10, H: 10}, ROI{Size: 20}},
		{img, ROI{Size: 0}},
		{img, ROI{Size: float32(-5)}},
	} {
		if _, err := m.Locate(context.Background(), c.img, c.roi, nil); err == nil {
			t.Errorf("image %dx%d, region %+v accepted", c.img.W, c.img.H, c.roi)
		}
	}
}
