package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/mienhq/mien/imageio"
	"github.com/mienhq/mien/internal/testclips"
)

// runGate writes n access-gate clips of LFW people: in each, three people
// with at least two photos are enrolled (the clip shows their first photo;
// the gallery enrols their second) and three people with one photo are
// strangers. Who walks in which clip is fixed by the LFW listing.
func runGate(lfw, out, ffmpeg string, n int) error {
	people, err := testclips.GatePeople(os.DirFS(filepath.Join(lfw, "images")), n)
	if err != nil {
		return err
	}
	for k := range n {
		var faces []testclips.NamedFace
		for _, p := range people[k] {
			data, err := os.ReadFile(filepath.Join(lfw, "images", p.Photo))
			if err != nil {
				return err
			}
			img, err := imageio.Decode(data, imageio.Options{})
			if err != nil {
				return fmt.Errorf("%s: %w", p.Photo, err)
			}
			p.Face = img
			faces = append(faces, p)
		}
		sc, err := testclips.GateScene(faces, 1280, 720, 10, 12, k)
		if err != nil {
			return err
		}
		base := filepath.Join(out, fmt.Sprintf("gate-%d", k+1))
		if err := testclips.Encode(context.Background(), ffmpeg, sc, base+".mp4", "mp4"); err != nil {
			return err
		}
		if err := testclips.WriteTruth(sc, filepath.Base(base)+".mp4", base+".json"); err != nil {
			return err
		}
		fmt.Println(base + ".mp4")
		fmt.Println(base + ".json")
	}
	return nil
}
