package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/driver"
	"github.com/mienhq/mien/effects"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/imageio"
	"github.com/mienhq/mien/mesh"
)

// meshMessage is one answer of the mesh stream (types "mesh", "driver",
// "effects" (the frame's numbers, before its JPEG) and "error").
type meshMessage struct {
	Type    string         `json:"type"`
	Seq     int            `json:"seq"`
	T       float64        `json:"t"`
	Face    bool           `json:"face"`
	Width   int            `json:"width,omitempty"`
	Height  int            `json:"height,omitempty"`
	Points  []float32      `json:"points,omitempty"` // mesh mode: 468 x (x, y, z), pixels, one decimal
	Iris    []float32      `json:"iris,omitempty"`   // mesh mode: the two iris centres (x, y)
	Pose    *mesh.Pose     `json:"pose,omitempty"`
	Signals *mesh.Signals  `json:"signals,omitempty"`
	Sample  *driver.Sample `json:"sample,omitempty"`
	State   *driver.State  `json:"state,omitempty"`
	Events  []driver.Event `json:"events,omitempty"`
	Dropped int            `json:"dropped"`
	Ms      float64        `json:"ms"` // the server's time on this frame
	Error   string         `json:"error,omitempty"`
}

// frame decodes, meshes and answers one frame. Only a failure of the
// connection itself is returned; a bad frame is answered with an error
// message and the stream goes on.
func (mc *meshConn) frame(ctx context.Context, data []byte, at time.Time, par effectParams) error {
	start := time.Now()
	mc.frames++
	msg := meshMessage{Type: mc.mode, Seq: mc.frames}
	img, err := mc.decode(data)
	if err != nil {
		return mc.send(ctx, meshMessage{Type: "error", Seq: mc.frames, Error: err.Error()})
	}
	ts := at.Sub(mc.start).Seconds()
	if ts <= mc.lastT {
		ts = mc.lastT + 1e-3
	}
	mc.lastT = ts
	f, ok, err := mc.tr.Follow(ctx, img, ts, mc.detect)
	if err != nil && ctx.Err() != nil {
		return err
	}
	if err != nil { // a pose that did not solve: the frame counts as no face
		ok = false
	}
	msg.T, msg.Face, msg.Width, msg.Height = ts, ok, img.W, img.H
	if ok {
		msg.Pose, msg.Signals = &f.Pose, &f.Signals
	}
	mc.mu.Lock()
	msg.Dropped = mc.dropped
	mc.mu.Unlock()
	switch mc.mode {
	case "mesh":
		if ok {
			msg.Points, msg.Iris = meshPoints(&f.Mesh)
		}
	case "driver":
		s := mien.DriverSample(f, ok, ts)
		evs, err := mc.mon.Update(s)
		if err != nil {
			return err
		}
		st := mc.mon.State()
		msg.Sample, msg.State, msg.Events = &s, &st, append([]driver.Event(nil), evs...)
	case "effects":
		out, err := mc.render(img, f, ok, par)
		if err != nil {
			return mc.send(ctx, meshMessage{Type: "error", Seq: mc.frames, Error: err.Error()})
		}
		msg.Ms = float64(time.Since(start).Microseconds()) / 1000
		if err := mc.send(ctx, msg); err != nil {
			return err
		}
		return mc.c.Write(ctx, websocket.MessageBinary, out)
	}
	msg.Ms = float64(time.Since(start).Microseconds()) / 1000
	return mc.send(ctx, msg)
}

// decode reads a JPEG frame within the stream's bounds.
func (mc *meshConn) decode(data []byte) (*face.Image, error) {
	if imageio.Sniff(data) != "jpeg" {
		return nil, fmt.Errorf("frame is not a JPEG")
	}
	img, err := imageio.Decode(data, imageio.Options{MaxBytes: mc.opts.MaxFrameBytes, MaxSide: mc.opts.MaxSide,
		MaxPixels: mc.opts.MaxSide * mc.opts.MaxSide, IgnoreOrientation: true})
	if err != nil {
		return nil, err
	}
	return img, nil
}

func (mc *meshConn) send(ctx context.Context, m meshMessage) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return mc.c.Write(ctx, websocket.MessageText, b)
}

// meshPoints flattens the mesh to x, y, z triples and the iris centres,
// rounded to a tenth of a pixel.
func meshPoints(m *mesh.Mesh) (pts, iris []float32) {
	r := func(v float32) float32 { return float32(math.Round(float64(v)*10) / 10) }
	pts = make([]float32, 0, 3*mesh.NumPoints)
	for _, p := range m.Points {
		pts = append(pts, r(p.X), r(p.Y), r(p.Z))
	}
	if m.HasIris {
		for _, e := range m.Eyes {
			iris = append(iris, r(e.Iris[0].X), r(e.Iris[0].Y))
		}
	}
	return pts, iris
}

// render draws the effects on the frame and encodes it as a JPEG.
func (mc *meshConn) render(img *face.Image, f mesh.Frame, ok bool, par effectParams) ([]byte, error) {
	p, err := par.params()
	if err != nil {
		return nil, err
	}
	var fc *effects.Face
	if ok {
		ef := mien.EffectsFace(f)
		fc = &ef
	}
	if err := mc.fx.Render(img, img, fc, p); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := imageio.EncodeJPEG(&buf, img, 80); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// effectParams are the effects a stream asks for: strengths 0..1 and a
// built-in sticker ("" for none).
type effectParams struct {
	Beautify float64 `json:"beautify"`
	Slim     float64 `json:"slim"`
	Eyes     float64 `json:"eyes"`
	Tone     float64 `json:"tone"`
	Sticker  string  `json:"sticker"`
}

// parseEffectParams reads the query's beautify, slim, eyes, tone and sticker.
func parseEffectParams(get func(string) string) (effectParams, error) {
	var p effectParams
	for _, f := range []struct {
		name string
		v    *float64
	}{{"beautify", &p.Beautify}, {"slim", &p.Slim}, {"eyes", &p.Eyes}, {"tone", &p.Tone}} {
		s := get(f.name)
		if s == "" {
			continue
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || !(v >= 0 && v <= 1) {
			return p, badRequest(fmt.Sprintf("%s %q is not a number from 0 to 1", f.name, s))
		}
		*f.v = v
	}
	p.Sticker = get("sticker")
	if err := p.check(); err != nil {
		return p, badRequest(err.Error())
	}
	return p, nil
}

func (p effectParams) check() error {
	for _, v := range []float64{p.Beautify, p.Slim, p.Eyes, p.Tone} {
		if !(v >= 0 && v <= 1) {
			return fmt.Errorf("effect strengths run from 0 to 1")
		}
	}
	if p.Sticker != "" && p.Sticker != "none" {
		if _, err := builtinSticker(p.Sticker); err != nil {
			return fmt.Errorf("sticker %q is not glasses, hat, mask or none", p.Sticker)
		}
	}
	return nil
}

// update applies a {"type":"params",...} message; the parameters stay as
// they were when it is not one.
func (p *effectParams) update(b []byte) error {
	var m struct {
		Type string `json:"type"`
		effectParams
	}
	m.effectParams = *p
	if err := json.Unmarshal(b, &m); err != nil || m.Type != "params" {
		return fmt.Errorf("text messages must be {\"type\":\"params\",...}")
	}
	if err := m.effectParams.check(); err != nil {
		return err
	}
	*p = m.effectParams
	return nil
}

// params turns the request into the effects' parameters.
func (p effectParams) params() (effects.Params, error) {
	out := effects.Params{Beautify: p.Beautify, Slim: p.Slim, EyeEnlarge: p.Eyes, ToneLift: p.Tone}
	if p.Sticker != "" && p.Sticker != "none" {
		s, err := builtinSticker(p.Sticker)
		if err != nil {
			return out, err
		}
		out.Sticker = s
	}
	return out, nil
}

// stickers caches the decoded built-in stickers (immutable, shared).
var stickers sync.Map

func builtinSticker(name string) (*effects.Sticker, error) {
	if s, ok := stickers.Load(name); ok {
		return s.(*effects.Sticker), nil
	}
	s, err := effects.Builtin(name)
	if err != nil {
		return nil, err
	}
	stickers.Store(name, s)
	return s, nil
}
