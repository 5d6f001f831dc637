package server

import (
	"context"
	"fmt"

	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/gate"
	"github.com/mienhq/mien/internal/gallery"
	"github.com/mienhq/mien/internal/stream"
	"github.com/mienhq/mien/track"
	"github.com/mienhq/mien/video"
)

// CameraEmbedder computes the template of a detected face: only gate
// cameras have one, and only for the faces their gate asks for.
type CameraEmbedder interface {
	Embed(ctx context.Context, img *face.Image, d face.Detection) (face.Embedding, error)
}

// CameraLiveness is the passive anti-spoofing of gate cameras (the
// engine's): a face's live score, 0 where the models cannot judge it, and
// the calibrated threshold a track's frames must reach.
type CameraLiveness interface {
	PassiveScore(ctx context.Context, img *face.Image, d face.Detection) (score float32, grey bool, err error)
	LivenessThreshold() (float32, error)
}

// gateFactory makes a gate camera's gate over its collection, through the
// gallery's open-set decision (the collection's FPIR setting), with
// anti-spoofing unless the camera turned it off.
func (s *Server) gateFactory(emb CameraEmbedder, live CameraLiveness) stream.GateFactory {
	return func(cfg stream.Config) (stream.Gate, error) {
		col, err := s.opts.Store.Collection(context.Background(), cfg.Tenant, cfg.Collection)
		if err != nil {
			return nil, fmt.Errorf("server: gate camera %s: %w", cfg.ID, err)
		}
		o := gate.Options{Camera: cfg.ID}
		if cfg.AntiSpoof {
			if live != nil {
				o.MinLive, err = live.LivenessThreshold()
			}
			if live == nil || err != nil {
				return nil, fmt.Errorf("server: gate camera %s: anti-spoofing is on and the model pack has no anti-spoof models (install the standard pack, or set anti_spoof to false)", cfg.ID)
			}
		} else {
			live = nil
		}
		g, err := gate.New(o, s.gal.GateMatcher(col, gallery.Policy{}))
		if err != nil {
			return nil, err
		}
		id := cfg.ID
		return &cameraGate{g: g, emb: emb, live: live, grey: func() {
			s.opts.Logger.Warn("gate camera's faces have no colour (an infrared or greyscale camera?): anti-spoofing reads every grey face "+
				"as a photo, so they are denied_not_live; set the camera's anti_spoof to false", "camera", id)
		}}, nil
	}
}

// cameraGate adapts a gate.Gate to stream.Gate: it computes templates (and
// live scores, with anti-spoofing) only where the gate wants them and wipes
// them once the gate has them.
type cameraGate struct {
	g     *gate.Gate
	emb   CameraEmbedder
	live  CameraLiveness // nil: anti-spoofing off
	grey  func()         // said once, when anti-spoofing meets a face with no colour
	greys bool
	faces []gate.Face
	ended []uint64
}

func (c *cameraGate) Observe(ctx context.Context, f *video.Frame, dets []face.Detection, res *track.Result) ([]stream.Decision, error) {
	c.faces, c.ended = c.faces[:0], c.ended[:0]
	defer func() {
		for i := range c.faces {
			clear(c.faces[i].Template.Vector) // the gate keeps its own copy, only while it must
			c.faces[i].Template = face.Embedding{}
		}
	}()
	for _, t := range res.Tracks {
		if t.ID == 0 || t.Det < 0 {
			continue
		}
		fc := gate.Face{Track: t.ID, Box: t.Box, Quality: gate.Quality(dets[t.Det].Box, dets[t.Det].Score)}
		if c.g.Wants(t.ID, t.Box, fc.Quality, f.Time) {
			e, err := c.emb.Embed(ctx, f.Image, dets[t.Det])
			if err != nil {
				return nil, fmt.Errorf("server: track %d: %w", t.ID, err)
			}
			fc.Template = e
			if c.live != nil {
				var grey bool
				if fc.Live, grey, err = c.live.PassiveScore(ctx, f.Image, dets[t.Det]); err != nil {
					return nil, fmt.Errorf("server: track %d: %w", t.ID, err)
				}
				if grey && !c.greys {
					c.greys = true
					c.grey()
				}
			}
		}
		c.faces = append(c.faces, fc)
	}
	for _, t := range res.Ended {
		c.ended = append(c.ended, t.ID)
	}
	ds, err := c.g.Update(ctx, gate.Frame{Time: f.Time, Faces: c.faces, Ended: c.ended})
	out := make([]stream.Decision, 0, len(ds))
	for _, d := range ds {
		out = append(out, stream.Decision{Kind: d.Outcome.String(), Track: d.Track, Subject: d.SubjectID, Score: d.Score})
	}
	return out, err
}

func (c *cameraGate) Close() error { return nil }
