// Package imageiotest writes hostile images for tests of the decoders and
// of everything above them (the server, the AWS endpoint): valid files
// that cost a decoder far more work than their size suggests.
package imageiotest

import (
	"bytes"
	"math/bits"
)

// bitWriter writes JPEG entropy-coded bits, with 0xFF bytes stuffed.
type bitWriter struct {
	buf bytes.Buffer
	acc byte
	n   uint
}

func (w *bitWriter) put(code uint32, n uint) {
	for i := n; i > 0; i-- {
		w.acc = w.acc<<1 | byte(code>>(i-1)&1)
		if w.n++; w.n == 8 {
			w.buf.WriteByte(w.acc)
			if w.acc == 0xFF {
				w.buf.WriteByte(0)
			}
			w.acc, w.n = 0, 0
		}
	}
}

func (w *bitWriter) flush() []byte {
	for w.n != 0 {
		w.put(1, 1)
	}
	return w.buf.Bytes()
}

// ProgressiveJPEG writes a valid greyscale progressive JPEG of w x h: one
// DC scan, then acScans AC scans of coefficients 1..63, each a few bytes of
// end-of-band runs (up to 32,767 blocks per code) that every decoder still
// walks block by block. This is the shape of the CPU bomb of issue 9.
func ProgressiveJPEG(w, h, acScans int) []byte {
	var b bytes.Buffer
	seg := func(marker byte, payload ...byte) {
		b.Write([]byte{0xFF, marker, byte((len(payload) + 2) >> 8), byte(len(payload) + 2)})
		b.Write(payload)
	}
	b.Write([]byte{0xFF, 0xD8})
	seg(0xDB, append([]byte{0}, bytes.Repeat([]byte{1}, 64)...)...)       // quantisation table 0: all 1
	seg(0xC2, 8, byte(h>>8), byte(h), byte(w>>8), byte(w), 1, 1, 0x11, 0) // SOF2, one component
	seg(0xC4, append([]byte{0x00, 1}, append(make([]byte, 15), 0)...)...) // DC table: "0" is category 0
	ac := append([]byte{0x10, 0, 0, 0, 15}, make([]byte, 12)...)          // AC table: 15 codes of 4 bits,
	for r := range 15 {                                                   // code r is EOBRUN class r
		ac = append(ac, byte(r<<4))
	}
	seg(0xC4, ac...)
	blocks := ((w + 7) / 8) * ((h + 7) / 8)
	seg(0xDA, 1, 1, 0x00, 0, 0, 0) // DC first scan
	var dc bitWriter
	for range blocks {
		dc.put(0, 1)
	}
	b.Write(dc.flush())
	for range acScans {
		seg(0xDA, 1, 1, 0x00, 1, 63, 0) // AC first scan, coefficients 1..63
		var bw bitWriter
		for left := blocks; left > 0; {
			run := min(left, 32767)
			r := bits.Len(uint(run)) - 1
			bw.put(uint32(r), 4)
			bw.put(uint32(run-1<<r), uint(r))
			left -= run
		}
		b.Write(bw.flush())
	}
	b.Write([]byte{0xFF, 0xD9})
	return b.Bytes()
}
