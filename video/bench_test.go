package video

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"
)

// BenchmarkDecode720p decodes a 1280x720 H.264 clip into rgb24 frames as
// fast as ffmpeg goes, with 1 and 8 streams at once, and reports frames per
// second per stream and in total; the 8-stream runs scale to 1280x720 and
// 640x360 (what a detector needs) to show the cost of the rgb24 conversion. Run: go test ./video -run - -bench Decode720p -benchtime 1x
func BenchmarkDecode720p(b *testing.B) {
	ffmpeg := ffmpegPath(b)
	clip := makeClip(b, ffmpeg, "mp4", scene(1280, 720, 100))
	for _, c := range []struct{ streams, w, h int }{{1, 1280, 720}, {8, 1280, 720}, {8, 640, 360}} {
		streams := c.streams
		b.Run(fmt.Sprintf("streams=%d/out=%dx%d", streams, c.w, c.h), func(b *testing.B) {
			var frames uint64
			var mu sync.Mutex
			var m0, m1 runtime.MemStats
			runtime.ReadMemStats(&m0)
			start := time.Now()
			for i := 0; i < b.N; i++ {
				var wg sync.WaitGroup
				for k := 0; k < streams; k++ {
					wg.Add(1)
					go func() {
						defer wg.Done()
						s, err := New(clip, Options{FFmpeg: ffmpeg, Width: c.w, Height: c.h, NoDrop: true})
						if err != nil {
							b.Error(err)
							return
						}
						s.Start(context.Background())
						n := uint64(0)
						s.Each(context.Background(), func(*Frame) error { n++; return nil })
						s.Stop()
						mu.Lock()
						frames += n
						mu.Unlock()
					}()
				}
				wg.Wait()
			}
			el := time.Since(start).Seconds()
			runtime.ReadMemStats(&m1)
			b.ReportMetric(float64(m1.Mallocs-m0.Mallocs)/float64(frames), "allocs/frame")
			b.ReportMetric(float64(m1.TotalAlloc-m0.TotalAlloc)/float64(frames), "B/frame")
			b.ReportMetric(float64(frames)/el, "frames/s")
			b.ReportMetric(float64(frames)/el/float64(streams), "frames/s/stream")
		})
	}
}
