// Command livepassive writes, for every synthetic-head bona fide session
// under DIR/sequences/bona_fide_warp (scripts/livegen -warp), its rest
// photo in the variants the generator's camera model passes through, one
// directory each under OUT, to be scored by `mien eval liveness --scores`
// (scripts/liveness-passive-dev.sh; docs/benchmarks.md, "Liveness bona
// fide: a compliant synthetic head"): where do low passive scores come from?
//
//	go run ./scripts/livepassive -lfw ../shared/data/lfw/images -dir DIR -out OUT
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"github.com/mienhq/mien/face"
	"github.com/mienhq/mien/imageio"
	"github.com/mienhq/mien/internal/livegen"
)

func main() {
	lfw := flag.String("lfw", "../shared/data/lfw/images", "LFW image directory")
	dir := flag.String("dir", "", "a directory written by scripts/livegen -warp")
	out := flag.String("out", "", "output directory")
	flag.Parse()
	if *dir == "" || *out == "" {
		fail(fmt.Errorf("livepassive: -dir and -out are required"))
	}
	seqs, err := filepath.Glob(filepath.Join(*dir, "sequences", livegen.BonaFideWarp, "*", "truth.json"))
	if err != nil || len(seqs) == 0 {
		fail(fmt.Errorf("livepassive: no %s sequences under %s", livegen.BonaFideWarp, *dir))
	}
	for _, tf := range seqs {
		if err := variants(*lfw, tf, *out); err != nil {
			fail(err)
		}
	}
}

// variants writes one session's rest photo as: the LFW file itself; the
// 480 px canvas (PNG); the canvas as JPEG 92; with sensor noise only; with
// camera shake only; with both (livegen.Live); with both and JPEG 92; and
// the session's own first frame.
func variants(lfw, truthFile, out string) error {
	var t livegen.Truth
	b, err := os.ReadFile(truthFile)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, &t); err != nil {
		return err
	}
	_, rest, ok := strings.Cut(t.Note, "rest photo ")
	if !ok {
		return fmt.Errorf("livepassive: %s names no rest photo", truthFile)
	}
	raw, err := os.ReadFile(filepath.Join(lfw, rest))
	if err != nil {
		return err
	}
	img, err := imageio.Decode(raw, imageio.Options{})
	if err != nil {
		return err
	}
	frame, err := os.ReadFile(filepath.Join(filepath.Dir(truthFile), "000.jpg"))
	if err != nil {
		return err
	}
	c := livegen.Canvas(img, false)
	rng := rand.New(rand.NewPCG(1, 2))
	still := livegen.PlaneH(0, 0, 0, 1, 0, 0)
	live := livegen.Live(c, rng)
	type variant struct {
		name, ext string
		data      func() ([]byte, error)
	}
	// in this order, so that the random draws are the same on every run
	vs := []variant{
		{"1-photo", ".jpg", func() ([]byte, error) { return raw, nil }},
		{"2-canvas", ".png", func() ([]byte, error) { return enc(c, 0) }},
		{"3-canvas-jpeg92", ".jpg", func() ([]byte, error) { return enc(c, 92) }},
		{"4-noise", ".png", func() ([]byte, error) { return enc(livegen.Scene(c, still, 2, rng), 0) }},
		{"5-shake", ".png", func() ([]byte, error) {
			return enc(livegen.Scene(c, livegen.PlaneH(0, 0, 0.3, 1.005, 0.8, 0.8), 0, rng), 0)
		}},
		{"6-noise-shake", ".png", func() ([]byte, error) { return enc(live, 0) }},
		{"7-noise-shake-jpeg92", ".jpg", func() ([]byte, error) { return enc(live, 92) }},
		{"8-session-frame", ".jpg", func() ([]byte, error) { return frame, nil }},
	}
	for _, v := range vs {
		data, err := v.data()
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Join(out, v.name), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(out, v.name, t.Name+v.ext), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func enc(m *face.Image, quality int) ([]byte, error) {
	var b bytes.Buffer
	var err error
	if quality == 0 {
		err = imageio.EncodePNG(&b, m)
	} else {
		err = imageio.EncodeJPEG(&b, m, quality)
	}
	return b.Bytes(), err
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
