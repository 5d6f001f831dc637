package cli

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/imageio"
	"github.com/mienhq/mien/internal/testclips"
	"github.com/mienhq/mien/internal/testenv"
)

// smallGateClip writes a 6.5 s 720p clip of the first three walkers of the
// first gate clip (two enrolled, one stranger) and returns it with its truth.
func smallGateClip(t *testing.T, lfw string) (string, testclips.Truth) {
	t.Helper()
	ff, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("ffmpeg not found: apt-get install -y ffmpeg")
	}
	people, err := testclips.GatePeople(os.DirFS(lfw), 1)
	if err != nil {
		t.Fatal(err)
	}
	var faces []testclips.NamedFace
	for _, p := range people[0][:3] {
		data, err := os.ReadFile(filepath.Join(lfw, p.Photo))
		if err != nil {
			t.Fatal(err)
		}
		if p.Face, err = imageio.Decode(data, imageio.Options{}); err != nil {
			t.Fatal(err)
		}
		faces = append(faces, p)
	}
	sc, err := testclips.GateScene(faces, 1280, 720, 10, 6.5, 0)
	if err != nil {
		t.Fatal(err)
	}
	clip := filepath.Join(t.TempDir(), "gate.mp4")
	if err := testclips.Encode(context.Background(), ff, sc, clip, "mp4"); err != nil {
		t.Fatal(err)
	}
	return clip, sc.Truth("gate.mp4")
}

func cameraFlags() watchFlags {
	return watchFlags{fps: 5, width: 1280, height: 720, hysteresis: 8, minSize: 32, ffmpeg: "ffmpeg", transport: "tcp",
		camera: "test", frames: 3, minFace: 64, fpir: 0.01}
}

// TestGateGrantsEnrolledWithinASecond is the gate's acceptance on a small
// clip: both enrolled walkers are granted within 1 s (video time) of their
// face reaching 80 px, the stranger is denied and granted as no one, and the
// store holds afterwards only the enrolled subjects' templates.
func TestGateGrantsEnrolledWithinASecond(t *testing.T) {
	testenv.Pack(t, "standard")
	testenv.Runtime(t)
	lfw := testenv.Shared(t, "data/lfw/images")
	clip, truth := smallGateClip(t, lfw)
	eng := testenv.Engine(t, "standard")
	ctx := context.Background()
	rig, err := newGateRig(ctx, eng, truth, lfw)
	if err != nil {
		t.Fatal(err)
	}
	defer rig.close()
	res, err := rig.run(ctx, eng, clip, truth, cameraFlags())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.People {
		t.Logf("%s enrolled %v: 80 px at %.1f s, first decision %s, granted at %.1f s", p.Name, p.Enrolled, p.Big, p.Outcome, p.Granted)
		if !p.OK || (!p.Enrolled && p.Outcome != "denied_unknown") {
			t.Errorf("%s (enrolled %v): %+v", p.Name, p.Enrolled, p)
		}
	}
	if res.Enrolled != 2 || res.OnTime != 2 || res.Strangers != 1 || res.FalseIDs != 0 {
		t.Fatalf("%d of %d enrolled granted within 1 s, %d strangers, %d false grants", res.OnTime, res.Enrolled, res.Strangers, res.FalseIDs)
	}
	n := 0
	err = rig.st.EachTemplate(ctx, rig.col.ID, func(sid string, _ int64, _ []float32) error {
		if rig.subjects[sid] == "" {
			t.Errorf("template of an unknown subject %s in the store", sid)
		}
		n++
		return nil
	})
	if err != nil || n != 2 {
		t.Fatalf("the store holds %d templates (%v), want the 2 enrolled", n, err)
	}
}

// embedCounter is a detector that also has Embed, counting its calls: the
// counting path must never reach it.
type embedCounter struct {
	*mien.Engine
	embeds atomic.Int64
}

func (e *embedCounter) Embed(ctx context.Context, img *face.Image, d face.Detection) (face.Embedding, error) {
	e.embeds.Add(1)
	return e.Engine.Embed(ctx, img, d)
}

// TestCountingNeverComputesATemplate counts the small clip with an engine
// opened for detection alone (no recognizer: a template is impossible),
// through a detector that would count any Embed: in/out equal the truth,
// and no template was asked for or computed.
func TestCountingNeverComputesATemplate(t *testing.T) {
	pack := testenv.Pack(t, "standard")
	rt := testenv.Runtime(t)
	clip, truth := smallGateClip(t, testenv.Shared(t, "data/lfw/images"))
	eng, err := mien.Open(pack, mien.Options{Runtime: rt, DetectOnly: true, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	det := &embedCounter{Engine: eng}
	res, err := countClipEval(context.Background(), det, clip, truth, cameraFlags())
	if err != nil {
		t.Fatal(err)
	}
	if res.In != truth.In || res.Out != truth.Out || truth.In+truth.Out != 3 {
		t.Errorf("counted in %d out %d; truth in %d out %d", res.In, res.Out, truth.In, truth.Out)
	}
	if res.Templates != 0 || det.embeds.Load() != 0 {
		t.Errorf("counting computed %d templates, asked for %d", res.Templates, det.embeds.Load())
	}
	if _, err := eng.Embed(context.Background(), face.NewImage(8, 8), face.Detection{}); !errors.Is(err, mien.ErrDetectOnly) {
		t.Errorf("the counting engine could compute a template: %v", err)
	}
}
