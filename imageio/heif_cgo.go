//go:build cgo && heif

package imageio

/*
#cgo LDFLAGS: -lheif
#include <stdlib.h>
#include <string.h>
#include <libheif/heif.h>

// mien_heif_open reads the container and the primary image's handle.
static int mien_heif_open(const void *buf, size_t len, struct heif_context **ctx, struct heif_image_handle **hd, char *msg, int msglen) {
	*ctx = heif_context_alloc();
	if (!*ctx) { strncpy(msg, "out of memory", msglen - 1); return -1; }
	struct heif_error err = heif_context_read_from_memory_without_copy(*ctx, buf, len, NULL);
	if (err.code == heif_error_Ok) err = heif_context_get_primary_image_handle(*ctx, hd);
	if (err.code != heif_error_Ok) {
		strncpy(msg, err.message, msglen - 1);
		heif_context_free(*ctx);
		return err.code;
	}
	return 0;
}

// mien_heif_size gives the primary image's size after its transformations
// (rotation, mirroring, cropping), as it will decode.
static int mien_heif_size(const void *buf, size_t len, int *w, int *h, char *msg, int msglen) {
	struct heif_context *ctx; struct heif_image_handle *hd;
	int rc = mien_heif_open(buf, len, &ctx, &hd, msg, msglen);
	if (rc) return rc;
	*w = heif_image_handle_get_width(hd);
	*h = heif_image_handle_get_height(hd);
	heif_image_handle_release(hd);
	heif_context_free(ctx);
	return 0;
}

// mien_heif_decode decodes the primary image, upright, into w*h RGB bytes.
static int mien_heif_decode(const void *buf, size_t len, unsigned char *dst, int w, int h, char *msg, int msglen) {
	struct heif_context *ctx; struct heif_image_handle *hd;
	int rc = mien_heif_open(buf, len, &ctx, &hd, msg, msglen);
	if (rc) return rc;
	struct heif_image *img = NULL;
	struct heif_error err = heif_decode_image(hd, &img, heif_colorspace_RGB, heif_chroma_interleaved_RGB, NULL);
	if (err.code != heif_error_Ok) {
		strncpy(msg, err.message, msglen - 1);
		rc = err.code;
	} else {
		int stride = 0;
		const uint8_t *p = heif_image_get_plane_readonly(img, heif_channel_interleaved, &stride);
		if (!p || heif_image_get_width(img, heif_channel_interleaved) != w || heif_image_get_height(img, heif_channel_interleaved) != h) {
			strncpy(msg, "decoded size differs from the header's", msglen - 1);
			rc = -2;
		} else {
			for (int y = 0; y < h; y++) memcpy(dst + (size_t)y * w * 3, p + (size_t)y * stride, (size_t)w * 3);
		}
		heif_image_release(img);
	}
	heif_image_handle_release(hd);
	heif_context_free(ctx);
	return rc;
}
*/
import "C"

import (
	"fmt"
	"strings"
	"unsafe"

	"github.com/mienhq/mien/face"
)

// HEIF reports whether HEIC/HEIF and AVIF photos decode (libheif).
const HEIF = true

const heifMsgLen = 256

func heifError(what string, rc C.int, msg []byte) error {
	n := 0
	for n < len(msg) && msg[n] != 0 {
		n++
	}
	return fmt.Errorf("%w: heif %s: %s (libheif error %d)", ErrCorrupt, what, strings.TrimSpace(string(msg[:n])), int(rc))
}

// heifSize reads the container (no pixels) and returns the primary image's
// upright size.
func heifSize(data []byte) (int, int, error) {
	var w, h C.int
	msg := make([]byte, heifMsgLen)
	rc := C.mien_heif_size(unsafe.Pointer(&data[0]), C.size_t(len(data)), &w, &h, (*C.char)(unsafe.Pointer(&msg[0])), heifMsgLen)
	if rc != 0 {
		return 0, 0, heifError("header", rc, msg)
	}
	return int(w), int(h), nil
}

// decodeHEIF decodes the primary image, whose size was checked against the
// limits, with libheif's rotation and mirroring applied (HEIF's own
// transformations; EXIF orientation inside a HEIF is informational).
func decodeHEIF(data []byte, w, h int) (*face.Image, error) {
	out := face.NewImage(w, h)
	msg := make([]byte, heifMsgLen)
	rc := C.mien_heif_decode(unsafe.Pointer(&data[0]), C.size_t(len(data)), (*C.uchar)(unsafe.Pointer(&out.Pix[0])), C.int(w), C.int(h),
		(*C.char)(unsafe.Pointer(&msg[0])), heifMsgLen)
	if rc != 0 {
		return nil, heifError("image", rc, msg)
	}
	return out, nil
}
