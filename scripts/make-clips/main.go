// Command make-clips writes test videos of LFW faces walking through a
// scene, with their ground truth as JSON beside each clip:
//
//	go run ./scripts/make-clips -lfw ../shared/data/lfw -out /tmp/clips
//
// It writes walk-WxH.mp4, walk-WxH.mjpeg and walk-WxH.json per size, and
// head-1280x720.mp4: one LFW photo (-head) moving, turning and zooming for
// 10 s at 25 frames/s with a tone as audio (the effects' test clip).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/mienhq/mien/imageio"
	"github.com/mienhq/mien/internal/testclips"
)

func main() {
	lfw := flag.String("lfw", "../shared/data/lfw", "LFW folder (with images/NAME/NAME_0001.jpg)")
	out := flag.String("out", "", "output folder (required)")
	ffmpeg := flag.String("ffmpeg", "ffmpeg", "ffmpeg binary")
	names := flag.String("names", "Aaron_Eckhart,Kofi_Annan,Angela_Merkel,Tony_Blair,Serena_Williams,Hugo_Chavez",
		"comma-separated LFW identities, one per walker (4 to 6)")
	sizes := flag.String("sizes", "1280x720,640x360", "comma-separated frame sizes")
	fps := flag.Int("fps", 10, "frame rate")
	seconds := flag.Float64("seconds", 9, "clip length")
	head := flag.String("head", "Aaron_Eckhart", "LFW identity of the head clip (empty: none)")
	flag.Parse()
	err := run(*lfw, *out, *ffmpeg, *names, *sizes, *fps, *seconds)
	if err == nil && *head != "" {
		err = runHead(*lfw, *out, *ffmpeg, *head)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "make-clips:", err)
		os.Exit(1)
	}
}

func run(lfw, out, ffmpeg, names, sizes string, fps int, seconds float64) error {
	if out == "" {
		return fmt.Errorf("-out is required")
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	var faces []testclips.NamedFace
	for _, n := range strings.Split(names, ",") {
		data, err := os.ReadFile(filepath.Join(lfw, "images", n, n+"_0001.jpg"))
		if err != nil {
			return err
		}
		img, err := imageio.Decode(data, imageio.Options{})
		if err != nil {
			return fmt.Errorf("%s: %w", n, err)
		}
		faces = append(faces, testclips.NamedFace{Name: n, Face: img})
	}
	for _, s := range strings.Split(sizes, ",") {
		var w, h int
		if _, err := fmt.Sscanf(s, "%dx%d", &w, &h); err != nil {
			return fmt.Errorf("size %q: %w", s, err)
		}
		sc, err := testclips.Default(faces, w, h, fps, seconds)
		if err != nil {
			return err
		}
		base := filepath.Join(out, fmt.Sprintf("walk-%dx%d", w, h))
		for _, format := range []string{"mp4", "mjpeg"} {
			clip := base + "." + format
			if err := testclips.Encode(context.Background(), ffmpeg, sc, clip, format); err != nil {
				return err
			}
			fmt.Println(clip)
		}
		if err := testclips.WriteTruth(sc, filepath.Base(base)+".mp4", base+".json"); err != nil {
			return err
		}
		fmt.Println(base + ".json")
	}
	return nil
}

func runHead(lfw, out, ffmpeg, name string) error {
	data, err := os.ReadFile(filepath.Join(lfw, "images", name, name+"_0001.jpg"))
	if err != nil {
		return err
	}
	img, err := imageio.Decode(data, imageio.Options{})
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	h := &testclips.Head{W: 1280, H: 720, FPS: 25, Frames: 250, Photo: img, Size: 560, Roll: 20}
	clip := filepath.Join(out, "head-1280x720.mp4")
	if err := testclips.EncodeHead(context.Background(), ffmpeg, h, clip); err != nil {
		return err
	}
	fmt.Println(clip)
	return nil
}
