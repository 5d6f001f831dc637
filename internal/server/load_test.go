package server_test

import (
	"flag"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/mienhq/mien/internal/testenv"
)

var load = flag.Duration("server.load", 0, "run the identify load test for this long (e.g. 10s)")

// TestIdentifyLoad measures identify requests/second over loopback with
// concurrent clients: go test ./internal/server -run IdentifyLoad -v -server.load 10s
func TestIdentifyLoad(t *testing.T) {
	if *load == 0 {
		t.Skip("run with -server.load DURATION to measure identify throughput")
	}
	e := setup(t)
	col := e.collection(e.admin, "load")
	dir := testenv.Shared(t, "data/lfw/images")
	people, _ := os.ReadDir(dir)
	var probes [][]byte
	enrolled := 0
	for _, p := range people {
		files, _ := filepath.Glob(filepath.Join(dir, p.Name(), "*.jpg"))
		if len(files) < 2 {
			continue
		}
		a, _ := os.ReadFile(files[0])
		b, _ := os.ReadFile(files[1])
		body, ct := form(map[string][][]byte{"images": {a}}, consentFields(p.Name()))
		if code, _ := e.call("POST", "/v1/collections/"+col+"/subjects", e.admin, body, ct); code == 201 {
			enrolled++
			probes = append(probes, b)
		}
		if enrolled == 200 {
			break
		}
	}
	const clients = 4
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	deadline := time.Now().Add(*load)
	start := time.Now()
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := c; time.Now().Before(deadline); i += clients {
				body, ct := form(map[string][][]byte{"image": {probes[i%len(probes)]}}, nil)
				t0 := time.Now()
				code, _ := e.call("POST", "/v1/collections/"+col+"/identify", e.admin, body, ct)
				if code != 200 {
					t.Errorf("identify: %d", code)
					return
				}
				mu.Lock()
				lat = append(lat, time.Since(t0))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	t.Logf("identify over loopback: gallery %d subjects, %d clients, %d requests in %v: %.1f requests/s, p50 %v, p95 %v",
		enrolled, clients, len(lat), el.Round(time.Millisecond), float64(len(lat))/el.Seconds(), lat[len(lat)/2], lat[len(lat)*95/100])
}
