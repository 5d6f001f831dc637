package imageio

import "fmt"

// Default bounds on the work of a JPEG decode. A progressive JPEG sends its
// coefficients in scans, and every scan walks every block of the image: a
// 1 MB file declaring 40 MP with 12,000 scans (each a few bytes of
// end-of-band runs) kept a decoder busy for minutes. Real encoders write
// 1 to 3 scans (baseline) or about 10 (progressive).
const (
	DefaultMaxScans      = 100
	DefaultMaxScanPixels = 1_000_000_000 // pixels x scans: 25 scans of a 40 MP image
)

// jpegScans counts the scans (SOS markers) of a JPEG by walking its marker
// segments and skipping entropy-coded data, without decoding. It stops
// early at limit+1 scans, and at the end of the data or at EOI.
func jpegScans(data []byte, limit int) int {
	n, i := 0, 2 // after SOI
	for i+1 < len(data) && n <= limit {
		if data[i] != 0xFF {
			i++ // entropy-coded data, or junk between segments
			continue
		}
		m := data[i+1]
		switch {
		case m == 0xFF: // fill byte
			i++
			continue
		case m == 0x00 || (m >= 0xD0 && m <= 0xD7) || m == 0x01 || m == 0xD8: // stuffing, RSTn, TEM, SOI: no length
			i += 2
			continue
		case m == 0xD9: // EOI
			return n
		}
		if i+3 >= len(data) {
			return n
		}
		seg := int(data[i+2])<<8 | int(data[i+3])
		if m == 0xDA {
			n++
		}
		i += 2 + seg
	}
	return n
}

// checkJPEGWork refuses a JPEG whose scans would take too long to decode.
func checkJPEGWork(data []byte, info Info, o Options) error {
	scans := jpegScans(data, o.MaxScans)
	if scans > o.MaxScans {
		return fmt.Errorf("%w: jpeg has more than %d scans", ErrTooLarge, o.MaxScans)
	}
	if work := int64(info.Width) * int64(info.Height) * int64(scans); work > o.MaxScanPixels {
		return fmt.Errorf("%w: jpeg is %dx%d in %d scans (%d pixel-scans), over the %d budget",
			ErrTooLarge, info.Width, info.Height, scans, work, o.MaxScanPixels)
	}
	return nil
}
