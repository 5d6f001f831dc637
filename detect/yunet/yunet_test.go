package yunet_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/mienhq/mien/detect"
	"github.com/mienhq/mien/detect/yunet"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/imageio"
	"github.com/mienhq/mien/internal/testenv"
	"github.com/mienhq/mien/models"
	"github.com/mienhq/mien/onnx"
)

func open(t *testing.T) *yunet.Detector {
	p := testenv.Pack(t, "standard")
	if err := onnx.Init(testenv.Runtime(t)); err != nil {
		t.Fatal(err)
	}
	m, _ := p.ModelByID("yunet-n")
	b, err := p.Read(m)
	if err != nil {
		t.Fatal(err)
	}
	d, err := yunet.New(b, m, yunet.Options{Sessions: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func TestDetectsOneUprightFace(t *testing.T) {
	d := open(t)
	data, err := os.ReadFile(testenv.Shared(t, "fixtures/insightface/bulk_Rob_Lowe_0001.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := imageio.Decode(data, imageio.Options{})
	if err != nil {
		t.Fatal(err)
	}
	dets, err := d.Detect(context.Background(), img, detect.Options{})
	if err != nil || len(dets) != 1 {
		t.Fatalf("%d faces, %v", len(dets), err)
	}
	f := dets[0]
	if f.Score < 0.8 || f.Box.Dx() < 60 {
		t.Fatalf("weak detection %+v", f)
	}
	for i, p := range f.Landmarks {
		if p.X < f.Box.Min.X || p.X > f.Box.Max.X || p.Y < f.Box.Min.Y || p.Y > f.Box.Max.Y {
			t.Errorf("landmark %d %v outside the box %v", i, p, f.Box)
		}
	}
	l := f.Landmarks
	if !(l[face.LeftEye].X < l[face.RightEye].X && l[face.LeftEye].Y < l[face.Nose].Y && l[face.Nose].Y < l[face.LeftMouth].Y) {
		t.Fatalf("landmarks not in template order: %v", l)
	}
	small, _ := d.Detect(context.Background(), img, detect.Options{MinSize: 500})
	if len(small) != 0 {
		t.Fatalf("MinSize 500 kept %d faces", len(small))
	}
}

func TestRefusesWrongManifest(t *testing.T) {
	if _, err := yunet.New(nil, models.Model{Arch: "ultraface"}, yunet.Options{}); err == nil || !strings.Contains(err.Error(), "arch") {
		t.Fatalf("got %v", err)
	}
}

// TestScaleDetectsSmaller: Options.Scale runs detection on a smaller copy
// (0.5 of a 250x250 photo: a 128x128 input) and still finds the face where
// the full-size run does; a scale outside (0, 1) is the full size.
func TestScaleDetectsSmaller(t *testing.T) {
	d := open(t)
	data, err := os.ReadFile(testenv.Shared(t, "fixtures/insightface/bulk_Rob_Lowe_0001.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := imageio.Decode(data, imageio.Options{})
	if err != nil {
		t.Fatal(err)
	}
	full, err := d.Detect(context.Background(), img, detect.Options{})
	if err != nil || len(full) != 1 {
		t.Fatalf("full size: %d faces, %v", len(full), err)
	}
	half, err := d.Detect(context.Background(), img, detect.Options{Scale: 0.5})
	if err != nil || len(half) != 1 {
		t.Fatalf("half size: %d faces, %v", len(half), err)
	}
	if iou := half[0].Box.IoU(full[0].Box); iou < 0.8 || half[0].Box == full[0].Box {
		t.Fatalf("half-size box %v against full-size %v (IoU %.2f): not a detection on a smaller copy", half[0].Box, full[0].Box, iou)
	}
	same, _ := d.Detect(context.Background(), img, detect.Options{Scale: 1.5})
	if len(same) != 1 || same[0].Box != full[0].Box {
		t.Fatalf("scale 1.5 changed the detection: %v", same)
	}
}
