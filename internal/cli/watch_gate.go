package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/gate"
	"github.com/mienhq/mien/internal/config"
	"github.com/mienhq/mien/internal/gallery"
	"github.com/mienhq/mien/internal/store"
)

// watchGateCommand opens the store and the collection, and runs the gate
// over the source.
func watchGateCommand(ctx context.Context, env *Env, src startStopSource, eng *mien.Engine, wf watchFlags) (watchSummary, error) {
	if wf.data == "" {
		cfg, err := config.LoadServe("")
		if err != nil {
			return watchSummary{}, err
		}
		wf.data = cfg.Data
	}
	if wf.data == "" {
		wf.data = filepath.Join(env.Config.Home, "data")
	}
	st, err := openKeyedStore(ctx, env, wf.data)
	if err != nil {
		return watchSummary{}, err
	}
	defer st.Close()
	col, err := findCollection(ctx, st, wf.collection)
	if err != nil {
		return watchSummary{}, err
	}
	gal, err := gallery.New(ctx, gallery.Options{Engine: eng, Store: st})
	if err != nil {
		return watchSummary{}, err
	}
	if err := src.Start(ctx); err != nil {
		return watchSummary{}, err
	}
	defer src.Stop()
	return watchGate(ctx, src, eng, gal.GateMatcher(col, gallery.Policy{FPIR: wf.fpir}), wf, env.Stdout)
}

// startStopSource is a frameSource with a lifecycle (a *video.Source).
type startStopSource interface {
	frameSource
	Start(ctx context.Context) error
	Stop()
}

// findCollection finds a collection by id in any tenant (the command runs
// on the store's host, with its master key).
func findCollection(ctx context.Context, st *store.Store, id string) (store.Collection, error) {
	cols, err := st.AllCollections(ctx)
	if err != nil {
		return store.Collection{}, err
	}
	for _, c := range cols {
		if c.ID == id {
			return c, nil
		}
	}
	return store.Collection{}, fmt.Errorf("watch: no collection %q in the store (mien serve's /v1/collections lists them)", id)
}

// livenessScorer is the engine's passive anti-spoofing, for the gate.
type livenessScorer interface {
	PassiveScore(ctx context.Context, img *face.Image, d face.Detection) (score float32, grey bool, err error)
	LivenessThreshold() (float32, error)
}

func errSuffix(err error) string {
	if err == nil {
		return ""
	}
	return " (" + err.Error() + ")"
}

// watchEngine is what the gate uses of the engine: detection, and templates
// of the faces the gate asks for.
type watchEngine interface {
	faceDetector
	faceEmbedder
}

// watchGate runs detect -> track -> gate over the source's frames, printing
// each decision as a JSON line to out.
func watchGate(ctx context.Context, src frameSource, eng watchEngine, m gate.Matcher, wf watchFlags, out io.Writer) (watchSummary, error) {
	enc := json.NewEncoder(out)
	return runGatePipe(ctx, src, eng, m, wf, func(ev watchEvent) error { return enc.Encode(ev) })
}

// runGatePipe runs the gate pipeline with its events going to emit.
func runGatePipe(ctx context.Context, src frameSource, eng watchEngine, m gate.Matcher, wf watchFlags, emit func(watchEvent) error) (watchSummary, error) {
	p, err := newWatchPipe(eng, wf, emit)
	if err != nil {
		return watchSummary{}, err
	}
	p.live = wf.live
	p.emb = eng
	o := gate.Options{Camera: wf.camera, Frames: wf.frames, MinFace: float32(wf.minFace)}
	if wf.antiSpoof {
		ls, ok := eng.(livenessScorer)
		if ok {
			o.MinLive, err = ls.LivenessThreshold()
		}
		if !ok || err != nil {
			return watchSummary{}, fmt.Errorf("watch: anti-spoofing needs the anti-spoof models of the standard pack (mien models install standard --from DIR)%s; "+
				"--anti-spoof=false gates without them, and a photo or a screen showing an enrolled person is then granted", errSuffix(err))
		}
		p.liveness, p.warn = ls, wf.stderr
	}
	p.gate, err = gate.New(o, m)
	if err != nil {
		return watchSummary{}, fmt.Errorf("watch: %w", err)
	}
	return p.run(ctx, src)
}
