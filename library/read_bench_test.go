package library

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/face"
)

// benchLibrary makes a library of n synthetic photos (one or two faces
// each, 8-float templates) stored as a server stores uploads
// (photos/HASH), recorded without grouping, and every face placed into a
// person of ten.
func benchLibrary(b *testing.B, n int) *Library {
	b.Helper()
	l, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { l.Close() })
	items := make([]Analysed, n)
	for i := range items {
		sum := sha256.Sum256([]byte(fmt.Sprint("photo ", i)))
		h := hex.EncodeToString(sum[:])
		an := &mien.Analysis{Width: 640, Height: 480}
		for k := 0; k <= i%2; k++ {
			x := float32(50 + 200*k)
			an.Faces = append(an.Faces, mien.Face{Detection: face.Detection{Box: face.R(x, 50, x+120, 170), Score: 0.9},
				Embedding: face.Embedding{Model: "m", Vector: []float32{1, 0, 0, 0, 0, 0, 0, float32(i)}}})
		}
		items[i] = Analysed{Path: "photos/" + h, Hash: h, Size: 1000, MTime: int64(i), Analysis: an}
	}
	if _, err := l.RecordUngrouped("m", items); err != nil {
		b.Fatal(err)
	}
	l.mu.Lock()
	k := 0
	for _, f := range l.allFaces() {
		l.people.Assign[f.id] = 1 + k/10
		k++
	}
	l.people.NextID = 2 + k/10
	l.mu.Unlock()
	return l
}

// BenchmarkLibraryReads measures what the server does for the reads the web
// UI polls (GET /v1/libraries/{lib}: the whole export before; counts now)
// and the export itself, at 13k and 30k photos.
func BenchmarkLibraryReads(b *testing.B) {
	for _, n := range []int{13_000, 30_000} {
		l := benchLibrary(b, n)
		b.Run(fmt.Sprintf("Export/photos=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if ex := l.Export(); len(ex.Photos) != n {
					b.Fatalf("%d photos", len(ex.Photos))
				}
			}
		})
		b.Run(fmt.Sprintf("Summary/photos=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if s := l.Summary(); s.Photos != n {
					b.Fatalf("%d photos", s.Photos)
				}
			}
		})
		b.Run(fmt.Sprintf("PhotosPage100/photos=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			after := ""
			for i := 0; i < b.N; i++ {
				ps, next, err := l.PhotosPage(Page{Limit: 100, After: after})
				if err != nil || len(ps) == 0 {
					b.Fatalf("%d photos, %v", len(ps), err)
				}
				after = next
			}
		})
		b.Run(fmt.Sprintf("ExportAfterChange/photos=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				l.mu.Lock()
				l.invalidate() // as after an upload: the first read sorts again
				l.mu.Unlock()
				l.Export()
			}
		})
	}
}

// BenchmarkOpenSealed measures opening a library of 13,000 photos (one or
// two faces each, 512-float templates) stored plain and sealed.
func BenchmarkOpenSealed(b *testing.B) {
	for _, sealed := range []bool{false, true} {
		var key []byte
		if sealed {
			key = make([]byte, 32)
		}
		dir := b.TempDir()
		l, err := Open(dir, Options{Key: key})
		if err != nil {
			b.Fatal(err)
		}
		items := make([]Analysed, 13_000)
		vec := make([]float32, 512)
		for i := range vec {
			vec[i] = float32(i) / 512
		}
		for i := range items {
			sum := sha256.Sum256([]byte(fmt.Sprint("photo ", i)))
			h := hex.EncodeToString(sum[:])
			an := &mien.Analysis{Width: 640, Height: 480}
			for k := 0; k <= i%2; k++ {
				an.Faces = append(an.Faces, mien.Face{Detection: face.Detection{Box: face.R(50, 50, 170, 170), Score: 0.9},
					Embedding: face.Embedding{Model: "m", Vector: vec}})
			}
			items[i] = Analysed{Path: "photos/" + h, Hash: h, Size: 1000, Analysis: an}
		}
		if _, err := l.RecordUngrouped("m", items); err != nil {
			b.Fatal(err)
		}
		l.Close()
		b.Run(fmt.Sprintf("sealed=%v/photos=13000", sealed), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				l, err := Open(dir, Options{Key: key})
				if err != nil {
					b.Fatal(err)
				}
				l.Close()
			}
		})
	}
}
