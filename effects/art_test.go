package effects

import (
	"bytes"
	"flag"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/mienhq/mien/effects/internal/stickerart"
)

var update = flag.Bool("update", false, "rewrite stickers/*.png from effects/internal/stickerart")

// TestBuiltinArt checks that the shipped sticker PNGs are what the
// project's own drawing code makes (so their licence is the project's).
// Regenerate with: go test ./effects -run TestBuiltinArt -update
func TestBuiltinArt(t *testing.T) {
	for _, name := range stickerart.Names {
		want, err := stickerart.Draw(name)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("stickers", name+".png")
		if *update {
			var b bytes.Buffer
			if err := png.Encode(&b, want); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		s, err := Builtin(name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(s.img.Pix, want.Pix) || s.img.Rect != want.Rect {
			t.Errorf("%s: the shipped PNG differs from stickerart's drawing (run with -update)", name)
		}
	}
}
