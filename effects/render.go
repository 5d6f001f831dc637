package effects

import (
	"fmt"

	"github.com/mienhq/mien/face"
)

// Renderer renders effects frame after frame, reusing its buffers; one
// Renderer serves one stream (it also remembers the puppet's neutral
// face). It is not safe for concurrent use; use one per stream.
type Renderer struct {
	tmp    *face.Image // scratch frame for warps
	smooth smoothScratch
	warp   warpScratch
	puppet puppetState
	moved  Face // the face after the puppet and warps
}

// NewRenderer returns a renderer with empty buffers.
func NewRenderer() *Renderer { return &Renderer{} }

// Render is a one-off Renderer.Render.
func Render(dst, src *face.Image, f *Face, p Params) error {
	return NewRenderer().Render(dst, src, f, p)
}

// Render draws src with the effects of p into dst. f is the face's mesh
// in src (nil: no face in this frame; face effects are skipped and a puppet
// shows its portrait at rest). dst must be src's size, or the puppet's
// size when p.Puppet is set; dst and src may be the same image only
// without a puppet. Bad input returns an error and leaves dst unchanged.
func (r *Renderer) Render(dst, src *face.Image, f *Face, p Params) error {
	if err := src.Valid(); err != nil {
		return fmt.Errorf("effects: source: %w", err)
	}
	if err := dst.Valid(); err != nil {
		return fmt.Errorf("effects: destination: %w", err)
	}
	if f != nil {
		if err := f.Valid(); err != nil {
			return err
		}
	}
	cur := f
	if p.Puppet != nil {
		if dst.W != p.Puppet.img.W || dst.H != p.Puppet.img.H {
			return fmt.Errorf("effects: destination is %dx%d, the puppet's portrait %dx%d", dst.W, dst.H, p.Puppet.img.W, p.Puppet.img.H)
		}
		if dst == src {
			return fmt.Errorf("effects: a puppet cannot render in place")
		}
		cur = r.drive(dst, p.Puppet, f)
	} else {
		if dst.W != src.W || dst.H != src.H {
			return fmt.Errorf("effects: destination is %dx%d, source %dx%d", dst.W, dst.H, src.W, src.H)
		}
		if dst != src {
			copy(dst.Pix, src.Pix)
		}
	}
	if cur != nil {
		if s := clamp01(p.Beautify); s > 0 {
			r.smoothSkin(dst, cur, s)
		}
		if sl, ee := clamp01(p.Slim), clamp01(p.EyeEnlarge); sl > 0 || ee > 0 {
			cur = r.reshape(dst, cur, sl, ee)
		}
	}
	if t := clamp01(p.ToneLift); t > 0 {
		ToneLift(dst, t)
	}
	if p.Sticker != nil && cur != nil {
		p.Sticker.Draw(dst, cur)
	}
	return nil
}
