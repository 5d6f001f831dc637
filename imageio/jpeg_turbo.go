//go:build cgo && turbojpeg

package imageio

/*
#cgo LDFLAGS: -lturbojpeg
#include <stdlib.h>
#include <turbojpeg.h>

static int mien_tj_decode(const unsigned char *buf, unsigned long len, unsigned char *dst, int w, int h) {
	tjhandle t = tjInitDecompress();
	if (!t) return -1;
	int rc = tjDecompress2(t, buf, len, dst, w, 0, h, TJPF_RGB, TJFLAG_ACCURATEDCT | TJFLAG_STOPONWARNING);
	tjDestroy(t);
	return rc;
}
*/
import "C"

import (
	"fmt"
	"unsafe"

	"github.com/mienhq/mien/face"
)

// TurboJPEG reports whether JPEG decoding uses libjpeg-turbo.
const TurboJPEG = true

// decodeJPEG decodes a JPEG whose header has already been checked against
// the limits (w x h) with libjpeg-turbo. It stops on any warning (a
// truncated file is one); the caller then tries the pure-Go decoder, which
// accepts some harmless irregularities and refuses truncation.
func decodeJPEG(data []byte, w, h int) (*face.Image, error) {
	out := face.NewImage(w, h)
	rc := C.mien_tj_decode((*C.uchar)(unsafe.Pointer(&data[0])), C.ulong(len(data)), (*C.uchar)(unsafe.Pointer(&out.Pix[0])), C.int(w), C.int(h))
	if rc != 0 {
		return nil, fmt.Errorf("%w: jpeg: libjpeg-turbo could not decode the data (truncated or broken file)", ErrCorrupt)
	}
	return out, nil
}
