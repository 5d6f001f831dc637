//go:build !(cgo && heif)

package imageio

import (
	"fmt"

	"github.com/mienhq/mien/face"
)

// HEIF reports whether HEIC/HEIF and AVIF photos decode: this build has no
// libheif (build tag heif, with Debian's libheif-dev).
const HEIF = false

var errNoHEIF = fmt.Errorf("%w: HEIC/HEIF and AVIF need mien built with libheif (Debian libheif-dev, build tag heif; scripts/setup.sh does it)", ErrUnsupported)

func heifSize(data []byte) (int, int, error) { return 0, 0, errNoHEIF }

func decodeHEIF(data []byte, w, h int) (*face.Image, error) { return nil, errNoHEIF }
