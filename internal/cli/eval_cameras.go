package cli

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/count"
	"github.com/mienhq/mien/detect"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/internal/gallery"
	"github.com/mienhq/mien/internal/store"
	"github.com/mienhq/mien/internal/testclips"
)

// gatePerson is one walker's outcome in a gate clip.
type gatePerson struct {
	Name     string  `json:"name"`
	Enrolled bool    `json:"enrolled"`
	Big      float64 `json:"big_seconds"` // when the face first reached 80 px whole; -1 never
	Granted  float64 `json:"granted_seconds"`
	Latency  float64 `json:"latency_seconds,omitempty"` // granted - big
	Outcome  string  `json:"outcome"`                   // first decision about them ("" none)
	OK       bool    `json:"ok"`
}

// gateClipResult is one gate clip's evaluation.
type gateClipResult struct {
	Clip      string       `json:"clip"`
	People    []gatePerson `json:"people"`
	Enrolled  int          `json:"enrolled"`
	OnTime    int          `json:"granted_within_1s"`
	Strangers int          `json:"strangers"`
	FalseIDs  int          `json:"false_grants"` // strangers granted, or someone granted as another subject
	Summary   watchSummary `json:"summary"`
}

// gateRig is a throwaway store and gallery with a clip's enrolled walkers.
type gateRig struct {
	dir      string
	st       *store.Store
	gal      *gallery.Gallery
	col      store.Collection
	subjects map[string]string // subject id -> walker
}

// newGateRig enrols a clip's enrolled walkers (from their second LFW photo)
// in a new store in a temporary folder.
func newGateRig(ctx context.Context, eng *mien.Engine, tr testclips.Truth, lfw string) (*gateRig, error) {
	key := make([]byte, 32)
	rand.Read(key)
	dir, err := os.MkdirTemp("", "mien-gate-eval-")
	if err != nil {
		return nil, err
	}
	r := &gateRig{dir: dir}
	if r.st, err = store.Open(ctx, filepath.Join(dir, "mien.db"), store.Options{MasterKey: key}); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if r.gal, r.col, r.subjects, err = enrolWalkers(ctx, eng, r.st, tr, lfw); err != nil {
		r.close()
		return nil, err
	}
	return r, nil
}

func (r *gateRig) close() {
	r.st.Close()
	os.RemoveAll(r.dir)
}

// run runs the gate over the clip and checks its decisions against the truth.
func (r *gateRig) run(ctx context.Context, eng *mien.Engine, clip string, tr testclips.Truth, wf watchFlags) (gateClipResult, error) {
	res := gateClipResult{Clip: filepath.Base(clip)}
	src, err := openWatchSource(clip, wf)
	if err != nil {
		return res, err
	}
	if err := src.Start(ctx); err != nil {
		return res, err
	}
	defer src.Stop()
	var events []watchEvent
	res.Summary, err = runGatePipe(ctx, src, eng, r.gal.GateMatcher(r.col, gallery.Policy{FPIR: wf.fpir}), wf,
		func(ev watchEvent) error { events = append(events, ev); return nil })
	if err != nil {
		return res, err
	}
	judgeGate(&res, tr, events, r.subjects)
	return res, nil
}

// gateClipEval evaluates the gate on one clip with a throwaway store.
func gateClipEval(ctx context.Context, eng *mien.Engine, clip string, tr testclips.Truth, lfw string, wf watchFlags) (gateClipResult, error) {
	r, err := newGateRig(ctx, eng, tr, lfw)
	if err != nil {
		return gateClipResult{Clip: filepath.Base(clip)}, err
	}
	defer r.close()
	return r.run(ctx, eng, clip, tr, wf)
}

// enrolWalkers enrols every enrolled walker of the truth from their second
// LFW photo; subjects maps subject id to walker name.
func enrolWalkers(ctx context.Context, eng *mien.Engine, st *store.Store, tr testclips.Truth, lfw string) (*gallery.Gallery, store.Collection, map[string]string, error) {
	ten, err := st.CreateTenant(ctx, "gate-eval")
	if err != nil {
		return nil, store.Collection{}, nil, err
	}
	col, err := st.CreateCollection(ctx, ten.ID, "door", eng.ModelID(), "eval")
	if err != nil {
		return nil, col, nil, err
	}
	gal, err := gallery.New(ctx, gallery.Options{Engine: eng, Store: st})
	if err != nil {
		return nil, col, nil, err
	}
	subjects := map[string]string{}
	now := time.Now()
	for _, p := range tr.People {
		if !p.Enrolled {
			continue
		}
		photo := filepath.Join(lfw, testclips.EnrolPhoto(p.Name))
		data, err := os.ReadFile(photo)
		if err != nil {
			return nil, col, nil, err
		}
		a, err := eng.Analyze(ctx, data, detect.Options{})
		if err != nil || len(a.Faces) == 0 {
			return nil, col, nil, fmt.Errorf("eval cameras: %s: no face to enrol (%v)", photo, err)
		}
		best := a.Faces[0]
		for _, f := range a.Faces {
			if f.Box.Area() > best.Box.Area() {
				best = f
			}
		}
		sub, err := gal.Enroll(ctx, gallery.Actor{Tenant: ten.ID, ID: "eval"}, col,
			store.Subject{ExternalID: p.Name, Consent: store.Consent{Purpose: "door", Evidence: "eval", ConsentedAt: now.Add(-time.Hour), ExpiresAt: now.Add(24 * time.Hour)}},
			[]gallery.Template{{Embedding: best.Embedding}})
		if err != nil {
			return nil, col, nil, err
		}
		subjects[sub.ID] = p.Name
	}
	return gal, col, subjects, nil
}

// judgeGate checks the decisions against the truth: each decision is put on
// the walker whose true box overlaps the track's box most in that frame.
func judgeGate(res *gateClipResult, tr testclips.Truth, events []watchEvent, subjects map[string]string) {
	idx := map[string]int{}
	for i, p := range tr.People {
		idx[p.Name] = i
		gp := gatePerson{Name: p.Name, Enrolled: p.Enrolled, Big: -1, Granted: -1}
		if p.Big >= 0 {
			gp.Big = float64(p.Big) / float64(tr.FPS)
		}
		res.People = append(res.People, gp)
	}
	for _, ev := range events {
		if !strings.Contains("granted denied_unknown expired_consent", ev.Event) {
			continue
		}
		fr := min(len(tr.Boxes)-1, int(ev.Seconds*float64(tr.FPS)+0.5))
		who, best := -1, float32(0.2)
		for _, b := range tr.Boxes[fr] {
			if iou := b.Box.IoU(ev.box); iou > best {
				who, best = idx[b.Name], iou
			}
		}
		granted := ev.Event == "granted"
		if who < 0 {
			if granted {
				res.FalseIDs++ // a grant on no one's face
			}
			continue
		}
		gp := &res.People[who]
		if gp.Outcome == "" || granted && gp.Granted < 0 {
			gp.Outcome = ev.Event
		}
		if granted && (!gp.Enrolled || subjects[ev.Subject] != gp.Name) {
			res.FalseIDs++
		} else if granted && gp.Granted < 0 {
			gp.Granted = ev.Seconds
		}
	}
	for i := range res.People {
		gp := &res.People[i]
		if !gp.Enrolled {
			res.Strangers++
			gp.OK = gp.Outcome != "granted"
			continue
		}
		res.Enrolled++
		if gp.Granted >= 0 && gp.Big >= 0 {
			gp.Latency = gp.Granted - gp.Big
		}
		gp.OK = gp.Granted >= 0 && (gp.Big < 0 || gp.Latency <= 1.0+1e-9)
		if gp.OK {
			res.OnTime++
		}
	}
}

// readTruth reads a clip's ground truth.
func readTruth(path string) (testclips.Truth, error) {
	var tr testclips.Truth
	b, err := os.ReadFile(path)
	if err != nil {
		return tr, err
	}
	if err := json.Unmarshal(b, &tr); err != nil {
		return tr, fmt.Errorf("%s: %w", path, err)
	}
	if tr.FPS <= 0 || len(tr.Boxes) != tr.Frames {
		return tr, errors.New(path + ": not a clip's ground truth")
	}
	return tr, nil
}

// countClipResult is one clip's counts against the truth.
type countClipResult struct {
	Clip      string  `json:"clip"`
	In        int     `json:"in"`
	Out       int     `json:"out"`
	TruthIn   int     `json:"truth_in"`
	TruthOut  int     `json:"truth_out"`
	Templates int     `json:"templates_computed"`
	DetectMS  float64 `json:"detect_ms_per_frame"`
}

// countClipEval counts the clip's line crossings with detection only.
func countClipEval(ctx context.Context, det faceDetector, clip string, tr testclips.Truth, wf watchFlags) (countClipResult, error) {
	res := countClipResult{Clip: filepath.Base(clip), TruthIn: tr.In, TruthOut: tr.Out}
	src, err := openWatchSource(clip, wf)
	if err != nil {
		return res, err
	}
	if err := src.Start(ctx); err != nil {
		return res, err
	}
	defer src.Stop()
	sx, sy := float32(wf.width)/float32(tr.Width), float32(wf.height)/float32(tr.Height)
	line, err := countLine(tr, sx, sy)
	if err != nil {
		return res, err
	}
	sum, err := watchCount(ctx, src, det, line, wf, discard{})
	if err != nil {
		return res, err
	}
	res.In, res.Out, res.Templates, res.DetectMS = sum.In, sum.Out, sum.Embeds, sum.DetectMS
	return res, nil
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// countLine is the truth's counting line in the analysed frame's pixels.
func countLine(tr testclips.Truth, sx, sy float32) (count.Line, error) {
	a, b := tr.Line[0], tr.Line[1]
	l := count.Line{A: face.Point{X: a.X * sx, Y: a.Y * sy}, B: face.Point{X: b.X * sx, Y: b.Y * sy}}
	if l.A == l.B {
		return l, errors.New("eval cameras: the truth's counting line is a point")
	}
	return l, nil
}
