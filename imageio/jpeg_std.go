//go:build !(cgo && turbojpeg)

package imageio

import "github.com/mienhq/mien/face"

// TurboJPEG reports whether JPEG decoding uses libjpeg-turbo (build tag
// turbojpeg, with Debian's libturbojpeg0-dev); this build uses image/jpeg.
const TurboJPEG = false

func decodeJPEG(data []byte, w, h int) (*face.Image, error) { return nil, errNoTurbo }
