package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/imageio"
	"github.com/mienhq/mien/internal/testclips"
	"github.com/mienhq/mien/internal/testenv"
	"github.com/mienhq/mien/mesh"
	"github.com/mienhq/mien/models"
)

// headClip writes the 10 s 720p head clip (a real LFW photo moving,
// turning and zooming, with audio) and returns it with the photo's eye
// centres and mouth centre in photo pixels (from the real mesh).
func headClip(t *testing.T, ff string) (*testclips.Head, string, [3]face.Point) {
	t.Helper()
	data, err := os.ReadFile(testenv.Shared(t, "data/lfw/images/Aaron_Eckhart/Aaron_Eckhart_0001.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	photo, err := imageio.Decode(data, imageio.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e := testenv.Engine(t, "standard")
	m, err := e.OpenMesh(mesh.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	f, ok, err := e.TrackMesh(context.Background(), mesh.NewTracker(m, mesh.TrackOptions{}), photo, 0)
	if err != nil || !ok {
		t.Fatalf("no mesh on the photo: %v", err)
	}
	p := func(i, j int) face.Point { return f.Mesh.Points[i].XY().Add(f.Mesh.Points[j].XY()).Mul(0.5) }
	marks := [3]face.Point{p(33, 133), p(362, 263), p(13, 14)}
	h := &testclips.Head{W: 1280, H: 720, FPS: 25, Frames: 250, Photo: photo, Size: 560, Roll: 20}
	clip := filepath.Join(t.TempDir(), "head.mp4")
	if err := testclips.EncodeHead(context.Background(), ff, h, clip); err != nil {
		t.Fatal(err)
	}
	return h, clip, marks
}

// frameAt decodes frame n of a video as rgb24.
func frameAt(t *testing.T, ff, path string, n, w, h int) *face.Image {
	t.Helper()
	out, err := exec.Command(ff, "-v", "error", "-i", path, "-vf", "select=eq(n\\,"+itoa(n)+")", "-frames:v", "1",
		"-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1").Output()
	if err != nil || len(out) != 3*w*h {
		t.Fatalf("frame %d of %s: %v (%d bytes)", n, path, err, len(out))
	}
	return &face.Image{W: w, H: h, Pix: out}
}

func itoa(n int) string { return strconv.Itoa(n) }

// discDiff is the mean absolute difference of a and b over a disc.
func discDiff(a, b *face.Image, c face.Point, r float32) float64 {
	var s float64
	n := 0
	for y := int(c.Y - r); y <= int(c.Y+r); y++ {
		for x := int(c.X - r); x <= int(c.X+r); x++ {
			if x < 0 || y < 0 || x >= a.W || y >= a.H || (float32(x)-c.X)*(float32(x)-c.X)+(float32(y)-c.Y)*(float32(y)-c.Y) > r*r {
				continue
			}
			i := 3 * (y*a.W + x)
			for k := 0; k < 3; k++ {
				s += math.Abs(float64(a.Pix[i+k]) - float64(b.Pix[i+k]))
			}
			n += 3
		}
	}
	return s / float64(max(n, 1))
}

// TestEffectsCommandOnHeadClip: on a 10 s 720p clip of a real photo moving
// and turning, mien effects --sticker glasses writes a playable H.264 MP4
// of the same size, length and frame count with the audio kept (ffprobe),
// and in sampled frames the output differs from the input around the true
// eye centres (the glasses are there) and not at the mouth.
func TestEffectsCommandOnHeadClip(t *testing.T) {
	ff, err := exec.LookPath("ffmpeg")
	fp, err2 := exec.LookPath("ffprobe")
	if err != nil || err2 != nil {
		t.Skip("ffmpeg and ffprobe not found: apt-get install -y ffmpeg")
	}
	testenv.Pack(t, "standard")
	testenv.Runtime(t)
	h, clip, marks := headClip(t, ff)
	out := filepath.Join(t.TempDir(), "out.mp4")
	var stdout, stderr bytes.Buffer
	if code := Main([]string{"effects", clip, out, "--sticker", "glasses"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var sum effectsSummary
	if err := json.Unmarshal(stdout.Bytes(), &sum); err != nil {
		t.Fatalf("summary %q: %v", stdout.String(), err)
	}
	t.Logf("%d frames, %d with a face, mesh %.1f ms/frame, effects %.1f ms/frame", sum.Frames, sum.Faces, sum.MeshMS, sum.EffectsMS)
	if sum.Frames != 250 || sum.Faces < 245 {
		t.Errorf("summary %+v: want 250 frames, nearly all with a face", sum)
	}
	if !strings.Contains(stderr.String(), "effects [") {
		t.Errorf("no progress bar on stderr: %q", stderr.String())
	}
	checkPlayable(t, ff, fp, out)
	for _, n := range []int{20, 70, 125, 180, 235} {
		m := h.Transform(n)
		l, r, mouth := m.Apply(marks[0]), m.Apply(marks[1]), m.Apply(marks[2])
		ipd := l.Dist(r)
		a, b := frameAt(t, ff, clip, n, 1280, 720), frameAt(t, ff, out, n, 1280, 720)
		dl, dr, dm := discDiff(a, b, l, 0.25*ipd), discDiff(a, b, r, 0.25*ipd), discDiff(a, b, mouth, 0.2*ipd)
		t.Logf("frame %d: eyes at %v %v, difference at the eyes %.1f %.1f, at the mouth %.1f", n, l, r, dl, dr, dm)
		if dl < 20 || dr < 20 || dm > 6 {
			t.Errorf("frame %d: the sticker is not on the eyes (difference at the eyes %.1f and %.1f, want > 20; at the mouth %.1f, want < 6)", n, dl, dr, dm)
		}
	}
}

// checkPlayable asks ffprobe for the streams and ffmpeg to decode it all.
func checkPlayable(t *testing.T, ff, fp, path string) {
	t.Helper()
	b, err := exec.Command(fp, "-v", "error", "-show_entries", "stream=codec_type,codec_name,width,height,nb_frames:format=duration,format_name",
		"-of", "json", path).Output()
	if err != nil {
		t.Fatalf("ffprobe: %v", err)
	}
	var v struct {
		Streams []struct {
			Type          string `json:"codec_type"`
			Name          string `json:"codec_name"`
			Width, Height int
			Frames        string `json:"nb_frames"`
		}
		Format struct {
			Duration string
			Name     string `json:"format_name"`
		}
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	var video, audio bool
	for _, s := range v.Streams {
		switch {
		case s.Type == "video" && s.Name == "h264" && s.Width == 1280 && s.Height == 720 && s.Frames == "250":
			video = true
		case s.Type == "audio" && s.Name == "aac":
			audio = true
		}
	}
	if !video || !audio || !strings.Contains(v.Format.Name, "mp4") || !strings.HasPrefix(v.Format.Duration, "10.") {
		t.Errorf("ffprobe: %s", b)
	}
	if out, err := exec.Command(ff, "-v", "error", "-i", path, "-f", "null", "-").CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("decoding the output: %v %s", err, out)
	}
}

// brokenRecognizerPack makes a copy of the standard pack whose recognizer
// file is garbage: any command that opens the recognizer fails on its
// sha256. It sets MIEN_MODELS and MIEN_PACK for the test.
func brokenRecognizerPack(t *testing.T) {
	t.Helper()
	p := testenv.Pack(t, "standard")
	rec, ok := p.Model(models.RoleRecognizer)
	if !ok {
		t.Fatal("the standard pack has no recognizer")
	}
	dir := filepath.Join(t.TempDir(), "models")
	dst := filepath.Join(dir, "standard")
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(p.Dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		from, to := filepath.Join(p.Dir, e.Name()), filepath.Join(dst, e.Name())
		switch e.Name() {
		case rec.File:
			err = os.WriteFile(to, []byte("not the recognizer"), 0o644)
		case models.ManifestFile:
			copyFile(t, from, to)
		default:
			err = os.Symlink(from, to)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("MIEN_MODELS", dir)
	t.Setenv("MIEN_PACK", "standard")
}

// TestEffectsNeverOpensTheRecognizer: with the recognizer's file broken,
// mien effects still runs (image, sticker, beautify and puppet), while a
// command that opens the recognizer fails on it: the effects path never
// loads the recognizer, so it cannot compute a template.
func TestEffectsNeverOpensTheRecognizer(t *testing.T) {
	testenv.Runtime(t)
	brokenRecognizerPack(t)
	root := testenv.Root(t)
	in := filepath.Join(root, "examples", "portrait-1.jpg")
	out := filepath.Join(t.TempDir(), "out.png")
	var stdout, stderr bytes.Buffer
	code := Main([]string{"effects", in, out, "--sticker", "hat", "--beautify", "0.6", "--slim", "0.5", "--eyes", "0.5",
		"--tone", "0.3", "--puppet", filepath.Join(root, "examples", "portrait-2.jpg")}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("effects with a broken recognizer: exit %d: %s", code, stderr.String())
	}
	if b, err := os.ReadFile(out); err != nil || !bytes.HasPrefix(b, []byte("\x89PNG")) {
		t.Fatalf("no PNG written: %v", err)
	}
	if !strings.Contains(stdout.String(), `"frames_with_face": 1`) {
		t.Errorf("summary: %s", stdout.String())
	}
	stdout.Reset()
	stderr.Reset()
	if code := Main([]string{"detect", in}, &stdout, &stderr); code == 0 || !strings.Contains(stderr.String(), "sha256") {
		t.Errorf("detect with the broken recognizer: exit %d, %q; want a sha256 failure (else this test proves nothing)", code, stderr.String())
	}
}

// TestEffectsImage: an image with a sticker and beautification is written
// as a PNG of the same size that differs from the input around the eyes.
func TestEffectsImage(t *testing.T) {
	testenv.Pack(t, "standard")
	testenv.Runtime(t)
	in := filepath.Join(testenv.Root(t), "examples", "portrait-1.jpg")
	out := filepath.Join(t.TempDir(), "out.jpg")
	var stdout, stderr bytes.Buffer
	if code := Main([]string{"effects", in, out, "--sticker", "glasses", "--beautify", "0.6"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	data, _ := os.ReadFile(in)
	a, err := imageio.Decode(data, imageio.Options{})
	if err != nil {
		t.Fatal(err)
	}
	data, _ = os.ReadFile(out)
	b, err := imageio.Decode(data, imageio.Options{})
	if err != nil {
		t.Fatalf("output: %v", err)
	}
	if a.W != b.W || a.H != b.H {
		t.Fatalf("output is %dx%d, input %dx%d", b.W, b.H, a.W, a.H)
	}
	if d := discDiff(a, b, face.Point{X: float32(a.W) / 2, Y: float32(a.H) / 2}, float32(a.W)/2); d < 1 {
		t.Errorf("output hardly differs from the input (%.2f)", d)
	}
}

// TestEffectsBadInput: a broken sticker PNG, a portrait without a face,
// strengths out of range and a wrong output type are refused with a clear
// error, and nothing is written.
func TestEffectsBadInput(t *testing.T) {
	testenv.Pack(t, "standard")
	testenv.Runtime(t)
	root := testenv.Root(t)
	dir := t.TempDir()
	in := filepath.Join(root, "examples", "portrait-1.jpg")
	broken := filepath.Join(dir, "broken.png")
	os.WriteFile(broken, []byte("\x89PNG\r\n\x1a\nbroken"), 0o644)
	blank := filepath.Join(dir, "blank.png")
	var buf bytes.Buffer
	imageio.EncodePNG(&buf, face.NewImage(320, 240))
	os.WriteFile(blank, buf.Bytes(), 0o644)
	out := filepath.Join(dir, "out.png")
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{in, out, "--sticker", broken}, 1, "not a PNG"},
		{[]string{in, out, "--sticker", broken, "--anchor", "feet"}, 2, "unknown sticker anchor"},
		{[]string{in, out, "--sticker", "crown"}, 2, "no built-in sticker"},
		{[]string{in, out, "--puppet", blank}, 1, "no face in the portrait"},
		{[]string{in, out, "--beautify", "1.5"}, 2, "outside 0..1"},
		{[]string{in, filepath.Join(dir, "out.mp4")}, 2, "writes a .png or .jpg"},
		{[]string{filepath.Join(dir, "clip.mp4"), filepath.Join(dir, "out.gif")}, 2, "writes a .mp4"},
		{[]string{filepath.Join(dir, "missing.jpg"), out}, 1, "no such file"},
	} {
		var stdout, stderr bytes.Buffer
		code := Main(append([]string{"effects"}, c.args...), &stdout, &stderr)
		if code != c.code || !strings.Contains(stderr.String(), c.msg) {
			t.Errorf("%v: exit %d, %q; want exit %d and %q", c.args, code, stderr.String(), c.code, c.msg)
		}
		if _, err := os.Stat(out); err == nil {
			t.Fatalf("%v: wrote %s", c.args, out)
		}
	}
}

// TestEffectsCommandOnCamera: an MJPEG HTTP camera (a local test server
// playing the head clip at 640x480) is read for --seconds and written as a
// playable MP4 with the effects.
func TestEffectsCommandOnCamera(t *testing.T) {
	ff, err := exec.LookPath("ffmpeg")
	fp, err2 := exec.LookPath("ffprobe")
	if err != nil || err2 != nil {
		t.Skip("ffmpeg and ffprobe not found: apt-get install -y ffmpeg")
	}
	testenv.Pack(t, "standard")
	testenv.Runtime(t)
	data, err := os.ReadFile(testenv.Shared(t, "data/lfw/images/Aaron_Eckhart/Aaron_Eckhart_0001.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	photo, err := imageio.Decode(data, imageio.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := mjpegServer(t, &testclips.Head{W: 640, H: 480, FPS: 10, Frames: 40, Photo: photo, Size: 300, Roll: 15})
	defer srv.Close()
	out := filepath.Join(t.TempDir(), "camera.mp4")
	var stdout, stderr bytes.Buffer
	code := Main([]string{"effects", srv.URL + "/video.mjpg", out, "--format", "mpjpeg", "--fps", "10", "--seconds", "3", "--sticker", "mask"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var sum effectsSummary
	if err := json.Unmarshal(stdout.Bytes(), &sum); err != nil {
		t.Fatalf("summary %q: %v", stdout.String(), err)
	}
	t.Logf("camera: %d frames, %d with a face", sum.Frames, sum.Faces)
	if sum.Frames < 5 || sum.Faces < sum.Frames*9/10 {
		t.Errorf("summary %+v: want at least 5 frames, nearly all with a face", sum)
	}
	b, err := exec.Command(fp, "-v", "error", "-show_entries", "stream=codec_name,width,height,nb_frames:format=duration", "-of", "csv=p=0", out).Output()
	if err != nil || !strings.HasPrefix(string(b), "h264,640,480,"+strconv.Itoa(sum.Frames)+"\n") {
		t.Errorf("ffprobe: %v %q; want h264 640x480 with the summary's %d frames", err, b, sum.Frames)
	}
	// stamped with arrival times: about --seconds long however many frames were dropped
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if d, _ := strconv.ParseFloat(lines[len(lines)-1], 64); d < 2 || d > 4.5 {
		t.Errorf("the MP4 is %.2f s long, want about 3 (%q)", d, b)
	}
	if out, err := exec.Command(ff, "-v", "error", "-i", out, "-f", "null", "-").CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("decoding the output: %v %s", err, out)
	}
}

// mjpegServer plays a clip, looped, as an MJPEG HTTP camera at 10 frames/s.
func mjpegServer(t *testing.T, h *testclips.Head) *httptest.Server {
	t.Helper()
	var jpegs [][]byte
	img := face.NewImage(h.W, h.H)
	for i := 0; i < h.Frames; i++ {
		if err := h.Render(i, img); err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := imageio.EncodeJPEG(&b, img, 85); err != nil {
			t.Fatal(err)
		}
		jpegs = append(jpegs, b.Bytes())
	}
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "multipart/x-mixed-replace; boundary=frame")
		for i := 0; ; i++ {
			j := jpegs[i%len(jpegs)]
			fmt.Fprintf(w, "--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n", len(j))
			if _, err := w.Write(append(j, "\r\n"...)); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}))
}
