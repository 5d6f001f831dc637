package cli

import (
	"context"
	"fmt"
	"sync"

	"github.com/mienhq/mien"
)

// eachFile calls f(i) for every file i on workers goroutines, ticking bar
// (if not nil) after each and finishing it at the end. It stops handing out files once
// ctx ends and returns the first error f returned, prefixed with its file,
// or else ctx's error. f runs concurrently with itself: it writes only its
// own index of any shared slice, or locks.
func eachFile(ctx context.Context, files []string, workers int, bar *progress, f func(i int) error) error {
	jobs := make(chan int)
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	for w := 0; w < max(1, workers); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				if err := f(i); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("%s: %w", files[i], err)
					}
					mu.Unlock()
				}
				if bar != nil {
					bar.Add(1)
				}
			}
		}()
	}
	for i := range files {
		if ctx.Err() != nil {
			break
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if bar != nil {
		bar.Finish()
	}
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

// analyzeFiles runs files through the engine's pipelined batch path
// (mien.Engine.AnalyzeEach: workers images in flight per stage, the
// recognizer batched), ticking bar (if not nil) after each file and
// finishing it at the end. f gets each file's analysis or error, one call at
// a time, in the order files finish. It returns ctx's error if ctx ended.
func analyzeFiles(ctx context.Context, eng *mien.Engine, files []string, o mien.EachOptions, bar *progress, f func(i int, a *mien.Analysis, err error)) error {
	err := eng.AnalyzeEach(ctx, len(files), o,
		func(_ context.Context, i int) ([]byte, error) { return readInput(files[i]) },
		func(i int, a *mien.Analysis, err error) {
			f(i, a, err)
			if bar != nil {
				bar.Add(1)
			}
		})
	if bar != nil {
		bar.Finish()
	}
	return err
}
