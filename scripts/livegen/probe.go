package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/detect"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/imageio"
	"github.com/mienhq/mien/internal/livegen"
	"github.com/mienhq/mien/liveness/challenge"
	"github.com/mienhq/mien/mesh"
)

// probePose is one pose the probe applies, and what it read.
type probePose struct {
	Action  string  `json:"action"`
	Applied float64 `json:"applied"` // degrees (turns, look-up) or the jaw's 0..1
	// Read is what the session's measurement read at the peak: |yaw|,
	// pitch, or the mouth opening over the session's first frame's.
	Read float64 `json:"read"`
	// Similarity is the least cosine of the recognizer's templates between
	// the first rest frame and the frames at the peak (the same person by
	// construction); the session's same-face rule asks at least 0.341.
	Similarity float64 `json:"similarity"`
	// Off is the largest |yaw| or |pitch| read at an open mouth's peak (the
	// checker reads a mouth only on a frontal head, under 10 degrees).
	Off float64 `json:"off,omitempty"`
}

// probeHead is one synthetic head's readings.
type probeHead struct {
	Name  string      `json:"name"`
	Poses []probePose `json:"poses"`
}

// probeActions are the probe's poses, in order: each ramps up over 2
// frames, holds 2 and ramps back over 2, with 3 rest frames between.
var probeActions = []struct {
	action string
	head   livegen.Head
}{
	{"turn_left", livegen.Head{Yaw: 30}}, {"turn_right", livegen.Head{Yaw: -30}},
	{"look_up", livegen.Head{Pitch: 24}}, {"look_up", livegen.Head{Pitch: 32}}, {"look_up", livegen.Head{Pitch: 40}},
	{"open_mouth", livegen.Head{Mouth: 1}}, {"turn_left", livegen.Head{Yaw: 38}},
}

// probe (-probe FILE) renders each synthetic head of the split through a
// fixed pose sequence (turns of 30 degrees either way, look-ups of 24, 32
// and 40, the jaw fully open, a turn of 38), runs the frames through a liveness session as the
// evaluation does (camera shake and noise, no JPEG) and writes, per head
// and pose, the pose read against applied and the recognizer's similarity
// to the rest frame (JSON lines). It decides nothing: it is the
// generator's measuring tape.
func probe(ctx context.Context, e *mien.Engine, lfw, file string, photos []livegen.Photo, n int, split string, skip map[string]bool) error {
	by, names := peopleOfSplit(photos, split, skip)
	m, err := e.OpenMesh(mesh.Options{})
	if err != nil {
		return err
	}
	defer m.Close()
	out, err := os.Create(file)
	if err != nil {
		return err
	}
	defer out.Close()
	done := 0
	for _, name := range names {
		if done == n {
			break
		}
		rest, ok := livegen.RestPhoto(by[name])
		if !ok {
			continue
		}
		pose, _, err := poser(ctx, e, m, lfw, rest)
		if err != nil {
			continue
		}
		frames := ""
		if done < probeFrames {
			frames = file + ".frames"
		}
		ph, err := probeOne(ctx, e, name, pose, frames)
		if err != nil {
			return err
		}
		done++
		if err := json.NewEncoder(out).Encode(ph); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "livegen: probed %s\n", name)
	}
	return nil
}

// probeOne runs one head through the probe's poses.
// probeFrames is how many heads' peak frames the probe writes (FILE.frames/).
const probeFrames = 6

// probeOne runs one head through the probe's poses; with frames, it writes
// each pose's peak frame there.
func probeOne(ctx context.Context, e *mien.Engine, name string, pose livegen.Poser, frames string) (probeHead, error) {
	created := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	s := &challenge.Session{Nonce: "probe", Challenges: []challenge.Kind{challenge.TurnLeft, challenge.TurnRight, challenge.LookUp},
		Created: created, Deadline: created.Add(time.Hour)}
	ls, err := e.NewLivenessSession(s, mien.LivenessSessionOptions{})
	if err != nil {
		return probeHead{}, err
	}
	defer ls.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	ph := probeHead{Name: name}
	var first face.Embedding
	var restMouth float64
	frame := 0
	step := func(h livegen.Head) (mien.LivenessMeasure, face.Embedding, error) {
		c, err := pose(h)
		if err != nil {
			return mien.LivenessMeasure{}, face.Embedding{}, err
		}
		img := livegen.Live(c, rng)
		p, err := ls.AddFrame(ctx, img, created.Add(time.Duration(frame)*100*time.Millisecond))
		frame++
		if err != nil {
			return p.Measure, face.Embedding{}, err
		}
		dets, err := e.Detect(ctx, img, detect.Options{})
		if err != nil || len(dets) == 0 {
			return p.Measure, face.Embedding{}, err
		}
		d, _ := mien.LivenessFaces(dets)
		emb, err := e.Embed(ctx, img, d)
		return p.Measure, emb, err
	}
	for range 3 {
		meas, emb, err := step(livegen.Head{})
		if err != nil {
			return ph, err
		}
		if len(first.Vector) == 0 {
			first, restMouth = emb, float64(meas.MouthOpen)
		}
	}
	for _, a := range probeActions {
		pp := probePose{Action: a.action, Applied: a.head.Yaw + a.head.Pitch + a.head.Mouth, Similarity: 1}
		for i, k := range []float64{0.5, 1, 1, 0.5, 0, 0, 0} {
			h := livegen.Head{Yaw: k * a.head.Yaw, Pitch: k * a.head.Pitch, Mouth: k * a.head.Mouth}
			meas, emb, err := step(h)
			if err != nil {
				return ph, err
			}
			if i == 1 && frames != "" {
				if err := writeFrame(filepath.Join(frames, fmt.Sprintf("%s-%s-%g.jpg", name, a.action, pp.Applied)), pose, h); err != nil {
					return ph, err
				}
			}
			if i == 1 || i == 2 {
				r := readOf(a.action, meas)
				if a.action == "open_mouth" {
					r -= restMouth
					pp.Off = max(pp.Off, float64(max(meas.Yaw, -meas.Yaw, meas.Pitch, -meas.Pitch)))
				}
				pp.Read = max(pp.Read, r)
				if len(emb.Vector) > 0 && len(first.Vector) > 0 {
					pp.Similarity = min(pp.Similarity, float64(face.Dot(emb.Vector, first.Vector)))
				}
			}
		}
		ph.Poses = append(ph.Poses, pp)
	}
	return ph, nil
}

func readOf(action string, m mien.LivenessMeasure) float64 {
	switch action {
	case "turn_left", "turn_right":
		return float64(max(m.Yaw, -m.Yaw))
	case "look_up":
		return float64(m.Pitch)
	}
	return float64(m.MouthOpen)
}

func writeFrame(file string, pose livegen.Poser, h livegen.Head) error {
	img, err := pose(h)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return err
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	defer f.Close()
	return imageio.EncodeJPEG(f, img, 92)
}
