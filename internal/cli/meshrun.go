package cli

import (
	"context"
	"errors"
	"io"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/mesh"
	"github.com/mienhq/mien/video"
)

// meshFrameSource is what the mesh commands read frames from (a *video.Source).
type meshFrameSource interface {
	Next(ctx context.Context) (*video.Frame, error)
	Release(f *video.Frame)
}

// meshStream tracks one face over a source's frames with a two-goroutine
// mesh.Pipeline (the mesh of frame N+1 beside the iris, pose and signals of
// frame N) and calls fn with each frame's result, in order; ts gives a
// frame's time in seconds. It returns at the source's end (nil), on fn's
// error or on ctx's end. Each frame is released once fn has seen it.
func meshStream(ctx context.Context, eng *mien.Engine, m *mesh.Model, opts mesh.TrackOptions, src meshFrameSource,
	ts func(*video.Frame) float64, fn func(r mesh.Result) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	p := mesh.NewPipeline(ctx, mesh.NewTracker(m, opts), eng.MeshDetector())
	feedErr := make(chan error, 1)
	go func() {
		defer p.Close()
		for {
			f, err := src.Next(ctx)
			if err != nil {
				if errors.Is(err, io.EOF) {
					err = nil
				}
				feedErr <- err
				return
			}
			if err := p.Submit(ctx, f.Image, ts(f), f); err != nil {
				src.Release(f)
				feedErr <- err
				return
			}
		}
	}()
	var fnErr error
	for r := range p.Results() {
		if fnErr == nil {
			if fnErr = fn(r); fnErr != nil {
				cancel()
			}
		}
		src.Release(r.Tag.(*video.Frame))
	}
	if fnErr != nil {
		return fnErr
	}
	if err := <-feedErr; err != nil && ctx.Err() == nil {
		return err
	}
	return ctx.Err()
}

// copyImage returns a copy of img that no pool reuses.
func copyImage(img *face.Image) *face.Image {
	c := face.NewImage(img.W, img.H)
	copy(c.Pix, img.Pix)
	return c
}
