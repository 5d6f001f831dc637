package imageio

import (
	"bytes"
	"context"
	"fmt"

	"github.com/mienhq/mien/face"
)

// DecodeContext is Decode that gives up when ctx ends: it returns
// ctx's error at once. The pure-Go decoders read through ctx and stop at
// their next read (a few hundred bytes later); libjpeg-turbo cannot be
// interrupted, so its decode finishes in the background, within the work
// limits of Options (scans, pixels x scans), and its result is dropped.
func DecodeContext(ctx context.Context, data []byte, opts Options) (*face.Image, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("imageio: decode not started: %w", err)
	}
	type result struct {
		img *face.Image
		err error
	}
	done := make(chan result, 1)
	go func() {
		img, err := decode(ctx, data, opts)
		done <- result{img, err}
	}()
	select {
	case r := <-done:
		return r.img, r.err
	case <-ctx.Done():
		return nil, fmt.Errorf("imageio: decode abandoned: %w", ctx.Err())
	}
}

// ctxReader reads data in small pieces and fails once ctx has ended, so
// that a decoder reading through it stops soon after.
type ctxReader struct {
	ctx context.Context
	r   *bytes.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p[:min(len(p), 512)])
}

func newReader(ctx context.Context, data []byte) *ctxReader {
	return &ctxReader{ctx: ctx, r: bytes.NewReader(data)}
}
