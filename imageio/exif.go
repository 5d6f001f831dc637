package imageio

import (
	"encoding/binary"

	"github.com/mienhq/mien/face"
)

// jpegOrientation returns the EXIF orientation (1..8) of a JPEG, 1 when
// absent or unreadable. It walks the marker segments before the image data.
func jpegOrientation(data []byte) int {
	i := 2
	for i+4 <= len(data) {
		if data[i] != 0xFF {
			return 1
		}
		marker := data[i+1]
		if marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01 || marker == 0xFF {
			i++
			continue
		}
		if marker == 0xDA || marker == 0xD9 { // start of scan / end of image
			return 1
		}
		n := int(binary.BigEndian.Uint16(data[i+2:]))
		if n < 2 || i+2+n > len(data) {
			return 1
		}
		seg := data[i+4 : i+2+n]
		if marker == 0xE1 && len(seg) > 6 && string(seg[:6]) == "Exif\x00\x00" {
			return ExifOrientation(seg[6:])
		}
		i += 2 + n
	}
	return 1
}

// ExifOrientation reads the orientation tag (0x0112) of IFD0 from a TIFF
// blob (the EXIF payload after "Exif\0\0"); 1 when absent or invalid.
func ExifOrientation(tiff []byte) int {
	if len(tiff) < 8 {
		return 1
	}
	var bo binary.ByteOrder
	switch string(tiff[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 1
	}
	if bo.Uint16(tiff[2:]) != 42 {
		return 1
	}
	off := int(bo.Uint32(tiff[4:]))
	if off < 8 || off+2 > len(tiff) {
		return 1
	}
	count := int(bo.Uint16(tiff[off:]))
	for k := 0; k < count; k++ {
		e := off + 2 + 12*k
		if e+12 > len(tiff) {
			return 1
		}
		if bo.Uint16(tiff[e:]) != 0x0112 {
			continue
		}
		typ := bo.Uint16(tiff[e+2:])
		var v int
		switch typ {
		case 3: // SHORT
			v = int(bo.Uint16(tiff[e+8:]))
		case 4: // LONG
			v = int(bo.Uint32(tiff[e+8:]))
		default:
			return 1
		}
		if v >= 1 && v <= 8 {
			return v
		}
		return 1
	}
	return 1
}

// Orient returns src transformed so that an image stored with EXIF
// orientation o displays upright. Orientations 5-8 swap width and height.
func Orient(src *face.Image, o int) *face.Image {
	if o < 2 || o > 8 {
		return src
	}
	w, h := src.W, src.H
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	dst := face.NewImage(dw, dh)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var dx, dy int
			switch o {
			case 2: // mirrored horizontally
				dx, dy = w-1-x, y
			case 3: // rotated 180
				dx, dy = w-1-x, h-1-y
			case 4: // mirrored vertically
				dx, dy = x, h-1-y
			case 5: // transposed
				dx, dy = y, x
			case 6: // rotate 90 clockwise to view
				dx, dy = h-1-y, x
			case 7: // transverse
				dx, dy = h-1-y, w-1-x
			case 8: // rotate 90 counter-clockwise to view
				dx, dy = y, w-1-x
			}
			s, d := 3*(y*w+x), 3*(dy*dw+dx)
			dst.Pix[d], dst.Pix[d+1], dst.Pix[d+2] = src.Pix[s], src.Pix[s+1], src.Pix[s+2]
		}
	}
	return dst
}
