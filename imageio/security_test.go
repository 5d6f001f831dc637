package imageio

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/mienhq/mien/imageio/imageiotest"
)

// TestSecurityProgressiveJPEGValid: the generator's files are valid JPEGs
// that both decoders accept when the scans are few, and the scan counter
// counts them.
func TestSecurityProgressiveJPEGValid(t *testing.T) {
	data := imageiotest.ProgressiveJPEG(200, 120, 9)
	if n := jpegScans(data, 1000); n != 10 {
		t.Fatalf("counted %d scans, want 10", n)
	}
	m, err := Decode(data, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if m.W != 200 || m.H != 120 {
		t.Fatalf("decoded %dx%d", m.W, m.H)
	}
	if _, err := decodePixels(context.Background(), "jpeg", data); err != nil {
		t.Fatalf("pure-Go decoder: %v", err)
	}
	if TurboJPEG {
		if _, err := decodeJPEG(data, 200, 120); err != nil {
			t.Fatalf("libjpeg-turbo: %v", err)
		}
	}
	seed, err := os.ReadFile(filepath.Join("testdata", "seed-progressive.jpg"))
	if err != nil || !bytes.Equal(seed, imageiotest.ProgressiveJPEG(64, 48, 40)) {
		t.Fatalf("testdata/seed-progressive.jpg is not imageiotest.ProgressiveJPEG(64, 48, 40) (%v): write it again from it", err)
	}
}

// TestSecurityJPEGScanBomb: a JPEG declaring 38 MP in 12,000 scans (about
// 0.6 MB) is refused from its markers, before any pixel is decoded. Before
// the fix it kept the decoder busy for minutes.
func TestSecurityJPEGScanBomb(t *testing.T) {
	bomb := imageiotest.ProgressiveJPEG(6400, 6000, 12000)
	start := time.Now()
	_, err := Decode(bomb, Options{})
	took := time.Since(start)
	t.Logf("%d-byte bomb (6400x6000, 12001 scans, turbojpeg=%v): %v in %v", len(bomb), TurboJPEG, err, took)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("got %v, want ErrTooLarge", err)
	}
	if took > 2*time.Second {
		t.Fatalf("refusing the bomb took %v", took)
	}
	if _, err := DecodeConfig(bomb, Options{}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("DecodeConfig: got %v, want ErrTooLarge", err)
	}
	// Under the scan limit but over the pixels x scans budget: 16 MP in 81 scans.
	if _, err := DecodeConfig(imageiotest.ProgressiveJPEG(4000, 4000, 80), Options{}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("16 MP in 81 scans: got %v, want ErrTooLarge", err)
	}
}

// TestSecurityDecodeAbandoned: with the work limits lifted, a slow decode
// still returns when its context ends: DecodeContext at once, and the
// pure-Go decoder itself stops soon after (it reads through the context).
func TestSecurityDecodeAbandoned(t *testing.T) {
	slow := imageiotest.ProgressiveJPEG(6400, 6000, 400)
	lifted := Options{MaxScans: 1 << 30, MaxScanPixels: 1 << 62}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := DecodeContext(ctx, slow, lifted)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want context.DeadlineExceeded", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Fatalf("DecodeContext returned %v after a 200 ms deadline", took)
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel2()
	start = time.Now()
	_, err = decodePixels(ctx2, "jpeg", slow)
	took := time.Since(start)
	t.Logf("pure-Go decoder stopped %v after start (deadline 200 ms): %v", took, err)
	if !errors.Is(err, context.DeadlineExceeded) || took > 3*time.Second {
		t.Fatalf("pure-Go decode: %v after %v, want a stop soon after the deadline", err, took)
	}
}

// FuzzDecodeSlow fails on inputs that take long to decode or allocate far
// more than their pixels need, not only on crashes. Seeded from testdata
// (including a progressive JPEG of many scans).
func FuzzDecodeSlow(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "seed*"))
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	o := Options{MaxPixels: 1 << 20, MaxSide: 4096}
	f.Fuzz(func(t *testing.T, data []byte) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		start := time.Now()
		Decode(data, o)
		took := time.Since(start)
		runtime.ReadMemStats(&after)
		if took > 2*time.Second {
			t.Fatalf("a %d-byte input took %v to decode", len(data), took)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 256<<20 {
			t.Fatalf("a %d-byte input allocated %d MiB", len(data), alloc>>20)
		}
	})
}
