package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/effects"
	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/imageio"
	"github.com/mienhq/mien/mesh"
)

func init() {
	register(command{name: "effects", summary: "face effects over an image, video file or camera: effects IN OUT --sticker glasses --beautify 0.6 --puppet portrait.jpg", run: runEffects})
}

// effectsFlags are the effects command's choices.
type effectsFlags struct {
	sticker, anchor, puppet string
	beautify, slim, eyes    float64
	tone                    float64
	ffmpeg, ffprobe, format string
	width, height           int
	fps, seconds            float64
	noSmooth                bool
}

func (f *effectsFlags) register(fs interface {
	StringVar(*string, string, string, string)
	Float64Var(*float64, string, float64, string)
	IntVar(*int, string, int, string)
	BoolVar(*bool, string, bool, string)
}) {
	fs.StringVar(&f.sticker, "sticker", "", "a sticker: glasses, hat, mask (built in) or a PNG file with alpha")
	fs.StringVar(&f.anchor, "anchor", "glasses", "where a PNG sticker sits: glasses (eyes), hat (forehead) or mask (nose to chin)")
	fs.Float64Var(&f.beautify, "beautify", 0, "skin smoothing strength, 0..1 (eyes, brows and lips stay sharp)")
	fs.Float64Var(&f.slim, "slim", 0, "face slimming strength, 0..1")
	fs.Float64Var(&f.eyes, "eyes", 0, "eye enlarging strength, 0..1")
	fs.Float64Var(&f.tone, "tone", 0, "tone lift strength, 0..1 (one brightness curve for the whole frame; hue and saturation kept)")
	fs.StringVar(&f.puppet, "puppet", "", "a portrait photo the face in IN drives (the output is the portrait's size)")
	fs.StringVar(&f.ffmpeg, "ffmpeg", "ffmpeg", "the ffmpeg binary (video and camera input)")
	fs.StringVar(&f.ffprobe, "ffprobe", "ffprobe", "the ffprobe binary (video file input)")
	fs.IntVar(&f.width, "width", 640, "camera input: frame width")
	fs.IntVar(&f.height, "height", 480, "camera input: frame height")
	fs.Float64Var(&f.fps, "fps", 15, "camera input: frames per second")
	fs.Float64Var(&f.seconds, "seconds", 0, "camera input: stop after this long (0: until interrupted)")
	fs.StringVar(&f.format, "format", "", "camera input: force the input format, e.g. mpjpeg for an MJPEG HTTP camera")
	fs.BoolVar(&f.noSmooth, "no-smooth", false, "video: do not smooth the mesh over time (stickers jitter more)")
}

// effectsSummary is printed as JSON when the command ends.
type effectsSummary struct {
	Out       string  `json:"out"`
	Frames    int     `json:"frames"`
	Faces     int     `json:"frames_with_face"`
	MeshMS    float64 `json:"mesh_ms_per_frame"`
	EffectsMS float64 `json:"effects_ms_per_frame"`
}

func runEffects(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "effects", "IN OUT [flags]",
		"Draw face effects over IN (an image, a video file, or a camera: rtsp://, http(s)://, /dev/videoN) and\n"+
			"write OUT (an image: .png or .jpg; video: .mp4, H.264, with IN's audio kept). The face's 468-point\n"+
			"mesh is tracked frame to frame; no face template is computed, no recognizer is opened and nothing\n"+
			"is stored. No effect changes a face's apparent ethnicity or sex.")
	var ef engineFlags
	ef.register(fs)
	var xf effectsFlags
	xf.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		fs.Usage()
		return usageError{errors.New("effects: give IN and OUT")}
	}
	in, out := fs.Arg(0), fs.Arg(1)
	params, err := xf.params()
	if err != nil {
		return err
	}
	kind := inputKind(in)
	if err := checkOutput(kind, out); err != nil {
		return usageError{err}
	}
	ef.noRecognizer = true // geometry only: the recognizer is never opened
	eng, err := openEngine(env, ef)
	if err != nil {
		return err
	}
	defer eng.Close()
	m, err := eng.OpenMesh(mesh.Options{Sessions: 2})
	if err != nil {
		return fmt.Errorf("effects: %w (the mesh needs the standard pack: mien models install standard)", err)
	}
	defer m.Close()
	if xf.puppet != "" {
		if params.Puppet, err = loadPuppet(ctx, eng, m, xf.puppet); err != nil {
			return err
		}
	}
	fx := &effectsRun{eng: eng, tracker: mesh.NewTracker(m, mesh.TrackOptions{Smooth: !xf.noSmooth && kind != "image"}),
		r: effects.NewRenderer(), params: params}
	var sum effectsSummary
	switch kind {
	case "image":
		sum, err = fx.image(ctx, in, out)
	default:
		sum, err = fx.video(ctx, env, in, out, kind, xf)
	}
	if err != nil {
		return err
	}
	return writeJSON(env, sum)
}

// params turns the flags into effects parameters (the puppet is loaded
// later): a wrong value is a usage error, a sticker file that cannot be
// read or decoded an ordinary one.
func (f effectsFlags) params() (effects.Params, error) {
	p := effects.Params{Beautify: f.beautify, Slim: f.slim, EyeEnlarge: f.eyes, ToneLift: f.tone}
	for name, v := range map[string]float64{"beautify": f.beautify, "slim": f.slim, "eyes": f.eyes, "tone": f.tone} {
		if v < 0 || v > 1 || v != v {
			return p, usageError{fmt.Errorf("effects: --%s %g is outside 0..1", name, v)}
		}
	}
	if f.sticker == "" {
		return p, nil
	}
	var err error
	if !strings.Contains(f.sticker, ".") && !strings.Contains(f.sticker, "/") {
		if p.Sticker, err = effects.Builtin(f.sticker); err != nil {
			return p, usageError{err}
		}
		return p, nil
	}
	a, err := effects.ParseAnchor(f.anchor)
	if err != nil {
		return p, usageError{err}
	}
	b, err := os.ReadFile(f.sticker)
	if err != nil {
		return p, fmt.Errorf("effects: --sticker: %w", err)
	}
	if p.Sticker, err = effects.DecodeSticker(b, a); err != nil {
		return p, fmt.Errorf("effects: --sticker %s: %w", f.sticker, err)
	}
	return p, nil
}

var imageExts = map[string]bool{".jpg": true, ".jpeg": true, ".png": true, ".webp": true, ".heic": true, ".heif": true,
	".bmp": true, ".gif": true, ".tif": true, ".tiff": true}

// inputKind is "image", "file" (a video file) or "camera".
func inputKind(in string) string {
	if imageExts[strings.ToLower(filepath.Ext(in))] {
		return "image"
	}
	if strings.HasPrefix(in, "/dev/video") || strings.Contains(in, "://") && !strings.HasPrefix(in, "file://") {
		return "camera"
	}
	return "file"
}

func checkOutput(kind, out string) error {
	ext := strings.ToLower(filepath.Ext(out))
	switch {
	case kind == "image" && ext != ".png" && ext != ".jpg" && ext != ".jpeg":
		return fmt.Errorf("effects: an image input writes a .png or .jpg, not %q", out)
	case kind != "image" && ext != ".mp4" && ext != ".mov" && ext != ".mkv":
		return fmt.Errorf("effects: a video input writes a .mp4, .mov or .mkv, not %q", out)
	}
	return nil
}

// loadPuppet meshes the portrait's largest face.
func loadPuppet(ctx context.Context, eng *mien.Engine, m *mesh.Model, path string) (*effects.Puppet, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("effects: --puppet: %w", err)
	}
	img, err := eng.Decode(b)
	if err != nil {
		return nil, fmt.Errorf("effects: --puppet %s: %w", path, err)
	}
	if img.W%2 == 1 || img.H%2 == 1 { // video encoders want even sides
		img = cropEven(img)
	}
	f, ok, err := eng.TrackMesh(ctx, mesh.NewTracker(m, mesh.TrackOptions{}), img, 0)
	if err != nil {
		return nil, fmt.Errorf("effects: --puppet %s: %w", path, err)
	}
	if !ok {
		return nil, fmt.Errorf("effects: --puppet %s: %w in the portrait", path, effects.ErrNoFace)
	}
	ff := mien.EffectsFace(f)
	p, err := effects.NewPuppet(img, &ff)
	if err != nil {
		return nil, fmt.Errorf("effects: --puppet %s: %w", path, err)
	}
	return p, nil
}

func cropEven(img *face.Image) *face.Image {
	w, h := img.W&^1, img.H&^1
	out := face.NewImage(w, h)
	for y := 0; y < h; y++ {
		copy(out.Pix[3*y*w:3*(y+1)*w], img.Pix[3*y*img.W:])
	}
	return out
}

// effectsRun is one run of the effects over a stream of frames.
type effectsRun struct {
	eng     *mien.Engine
	tracker *mesh.Tracker
	r       *effects.Renderer
	params  effects.Params
	dst     *face.Image
	face    effects.Face
	sum     effectsSummary
	meshT   time.Duration
	fxT     time.Duration
}

// frame tracks the mesh in img (at time ts, seconds) and renders the
// effects; the result is valid until the next call.
func (x *effectsRun) frame(ctx context.Context, img *face.Image, ts float64) (*face.Image, error) {
	t0 := time.Now()
	f, ok, err := x.eng.TrackMesh(ctx, x.tracker, img, ts)
	if err != nil {
		return nil, err
	}
	t1 := time.Now()
	var fp *effects.Face
	if ok {
		x.face = mien.EffectsFace(f)
		fp = &x.face
		x.sum.Faces++
	}
	w, h := img.W, img.H
	if x.params.Puppet != nil {
		w, h = x.params.Puppet.Size()
	}
	if x.dst == nil || x.dst.W != w || x.dst.H != h {
		x.dst = face.NewImage(w, h)
	}
	if err := x.r.Render(x.dst, img, fp, x.params); err != nil {
		return nil, err
	}
	x.meshT += t1.Sub(t0)
	x.fxT += time.Since(t1)
	x.sum.Frames++
	return x.dst, nil
}

func (x *effectsRun) summary(out string) effectsSummary {
	s := x.sum
	s.Out = out
	if s.Frames > 0 {
		s.MeshMS = float64(x.meshT.Microseconds()) / 1000 / float64(s.Frames)
		s.EffectsMS = float64(x.fxT.Microseconds()) / 1000 / float64(s.Frames)
	}
	return s
}

// image applies the effects to one image file.
func (x *effectsRun) image(ctx context.Context, in, out string) (effectsSummary, error) {
	b, err := readInput(in)
	if err != nil {
		return effectsSummary{}, fmt.Errorf("effects: %w", err)
	}
	img, err := x.eng.Decode(b)
	if err != nil {
		return effectsSummary{}, fmt.Errorf("effects: %s: %w", in, err)
	}
	dst, err := x.frame(ctx, img, 0)
	if err != nil {
		return effectsSummary{}, fmt.Errorf("effects: %s: %w", in, err)
	}
	var buf bytes.Buffer
	if ext := strings.ToLower(filepath.Ext(out)); ext == ".png" {
		err = imageio.EncodePNG(&buf, dst)
	} else {
		err = imageio.EncodeJPEG(&buf, dst, 92)
	}
	if err != nil {
		return effectsSummary{}, fmt.Errorf("effects: %w", err)
	}
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		return effectsSummary{}, fmt.Errorf("effects: %w", err)
	}
	return x.summary(out), nil
}
