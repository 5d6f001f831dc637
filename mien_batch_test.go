package mien_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"

	"github.com/mienhq/mien"
	"github.com/mienhq/mien/detect"
	"github.com/mienhq/mien/internal/testenv"
)

// eachPhotos returns some LFW photos (every 200th, so a few hold two or
// more faces) and one input that is not an image.
func eachPhotos(t *testing.T) [][]byte {
	dir := testenv.Shared(t, "data/lfw/images")
	paths, _ := filepath.Glob(filepath.Join(dir, "*", "*.jpg"))
	sort.Strings(paths)
	var out [][]byte
	for i := 0; i < len(paths); i += 200 {
		b, err := os.ReadFile(paths[i])
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	if len(out) < 40 {
		t.Skipf("%d LFW photos under %s", len(paths), dir)
	}
	return append(out[:20:20], append([][]byte{[]byte("not an image")}, out[20:]...)...)
}

// TestAnalyzeEachEqualsAnalyze: the pipelined, batched path gives every
// image exactly the analysis the old serial path (Analyze, one image at a
// time, the recognizer unbatched) gives: same boxes, landmarks, quality and
// template bits, with and without flip; errors stay with their image.
func TestAnalyzeEachEqualsAnalyze(t *testing.T) {
	imgs := eachPhotos(t)
	p := testenv.Pack(t, "standard")
	rt := testenv.Runtime(t)
	for _, flip := range []bool{true, false} {
		serial, err := mien.Open(p, mien.Options{Runtime: rt, Flip: flip, Workers: 1, Batch: 1})
		if err != nil {
			t.Fatal(err)
		}
		want := make([]string, len(imgs))
		faces := 0
		for i, data := range imgs {
			a, err := serial.Analyze(context.Background(), data, detect.Options{})
			want[i] = answer(t, a, err)
			if a != nil {
				faces += len(a.Faces)
			}
		}
		serial.Close()
		if faces <= len(imgs) {
			t.Fatalf("%d faces in %d photos: the set should hold photos with several faces", faces, len(imgs))
		}
		batches := []int{4, 16}
		if !flip {
			batches = batches[:1]
		}
		for _, batch := range batches {
			eng, err := mien.Open(p, mien.Options{Runtime: rt, Flip: flip, Workers: 2, Batch: batch})
			if err != nil {
				t.Fatal(err)
			}
			got := make([]string, len(imgs))
			var mu sync.Mutex
			calls := 0
			err = eng.AnalyzeEach(context.Background(), len(imgs), mien.EachOptions{},
				func(_ context.Context, i int) ([]byte, error) { return imgs[i], nil },
				func(i int, a *mien.Analysis, err error) { mu.Lock(); calls++; got[i] = answer(t, a, err); mu.Unlock() })
			if err != nil || calls != len(imgs) {
				t.Fatalf("flip %v batch %d: %d sink calls for %d images, %v", flip, batch, calls, len(imgs), err)
			}
			for i := range imgs {
				if got[i] != want[i] {
					t.Fatalf("flip %v batch %d: image %d differs from the serial path:\n%.300s\nwant\n%.300s", flip, batch, i, got[i], want[i])
				}
			}
			one, err := eng.Analyze(context.Background(), imgs[0], detect.Options{})
			if answer(t, one, err) != want[0] {
				t.Fatalf("flip %v batch %d: Analyze on the batched recognizer differs from the serial path", flip, batch)
			}
			eng.Close()
		}
	}
}

// answer is an analysis as bytes (every float32 exactly), or its error.
func answer(t *testing.T, a *mien.Analysis, err error) string {
	if err != nil {
		return "error: " + err.Error()
	}
	b, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestAnalyzeEachNoEmbedAndErrors: detect-only answers carry no template;
// a failing source is that image's error; a cancelled context stops it.
func TestAnalyzeEachNoEmbedAndErrors(t *testing.T) {
	imgs := eachPhotos(t)[:8]
	eng := testenv.Engine(t, "standard")
	bad := errors.New("unreadable")
	res := make([]error, len(imgs))
	err := eng.AnalyzeEach(context.Background(), len(imgs), mien.EachOptions{NoEmbed: true},
		func(_ context.Context, i int) ([]byte, error) {
			if i == 3 {
				return nil, bad
			}
			return imgs[i], nil
		},
		func(i int, a *mien.Analysis, err error) {
			res[i] = err
			if err == nil && (len(a.Faces) == 0 || a.Faces[0].Embedding.Vector != nil) {
				res[i] = errors.New("detect-only answer has no face or has a template")
			}
		})
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range res {
		if (i == 3) != errors.Is(e, bad) {
			t.Fatalf("image %d: %v", i, e)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	n := 0
	err = eng.AnalyzeEach(ctx, 1000, mien.EachOptions{}, func(context.Context, int) ([]byte, error) { return imgs[0], nil },
		func(int, *mien.Analysis, error) { n++ })
	if !errors.Is(err, context.Canceled) || n > 4 {
		t.Fatalf("cancelled: %v after %d images", err, n)
	}
}
